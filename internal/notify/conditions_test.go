package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC)
	run := func(outcome roger.SyncOutcome, agoMin int, msg string) *roger.SyncRun {
		at := now.Add(-time.Duration(agoMin) * time.Minute)
		return &roger.SyncRun{Outcome: outcome, Started: at, Ended: at.Add(time.Second), Error: msg}
	}
	ok, failed, running := roger.OutcomeOK, roger.OutcomeFailed, roger.OutcomeRunning
	read := func(r *roger.SyncRun, records, unparseable int) *roger.SyncRun {
		r.Read, r.Unparseable = records, unparseable
		return r
	}
	tests := []struct {
		name     string
		state    roger.ReplicatorState
		interval time.Duration
		runs     []*roger.SyncRun // newest first
		want     []roger.AlertCondition
		held     bool
		detail   string // in the first finding's detail
	}{
		{"healthy", roger.StateActive, 5 * time.Minute, []*roger.SyncRun{run(ok, 5, "")}, nil, false, ""},
		{"two failures are not yet an alert", roger.StateFailing, 5 * time.Minute,
			[]*roger.SyncRun{run(failed, 5, "x"), run(failed, 10, "x"), run(ok, 15, "")}, nil, false, ""},
		{"three failures in a row", roger.StateFailing, 5 * time.Minute,
			[]*roger.SyncRun{run(running, 0, ""), run(failed, 5, "Exact answered 503"), run(failed, 10, "x"), run(failed, 15, "x"), run(ok, 20, "")},
			[]roger.AlertCondition{roger.AlertFailing}, false, "The last 3 syncs failed; the latest said: Exact answered 503"},
		{"stale after the least limit of an hour", roger.StateActive, 5 * time.Minute, []*roger.SyncRun{run(ok, 61, "")},
			[]roger.AlertCondition{roger.AlertStale}, false, "limit of 1 hour"},
		{"three intervals of an hour", roger.StateActive, time.Hour, []*roger.SyncRun{run(ok, 179, "")}, nil, false, ""},
		{"stale after three intervals", roger.StateActive, time.Hour, []*roger.SyncRun{run(ok, 181, "")},
			[]roger.AlertCondition{roger.AlertStale}, false, "limit of 3 hours"},
		{"failing and stale", roger.StateFailing, 5 * time.Minute,
			[]*roger.SyncRun{run(failed, 5, "x"), run(failed, 30, "x"), run(failed, 60, "x"), run(ok, 90, "")},
			[]roger.AlertCondition{roger.AlertFailing, roger.AlertStale}, false, ""},
		{"needs re-authorization holds the rest", roger.StateNeedsReauthorization, 5 * time.Minute,
			[]*roger.SyncRun{run(failed, 500, "gone"), run(ok, 505, "")}, []roger.AlertCondition{roger.AlertReauthorization}, true, ""},
		{"4,000 calls today is 80%, not more", roger.StateActive, 5 * time.Minute, []*roger.SyncRun{run(ok, 5, "")}, nil, false, ""},
		{"more than 80% of the day's calls", roger.StateActive, 5 * time.Minute, []*roger.SyncRun{run(ok, 5, "")},
			[]roger.AlertCondition{roger.AlertDailyCalls}, false, "It made 4200 of the 5000 API calls"},
		{"a tenth of the records with a number that does not parse is no jump", roger.StateActive, 5 * time.Minute,
			[]*roger.SyncRun{read(run(ok, 5, ""), 300, 30)}, nil, false, ""},
		{"more than a tenth is", roger.StateActive, 5 * time.Minute,
			[]*roger.SyncRun{read(run(failed, 1, "x"), 1000, 900), read(run(ok, 5, ""), 300, 31), read(run(ok, 10, ""), 300, 0)},
			[]roger.AlertCondition{roger.AlertUnparseable}, false, "read 300 records, and 31 of their numbers did not parse"},
		{"a few records are no jump", roger.StateActive, 5 * time.Minute, []*roger.SyncRun{read(run(ok, 5, ""), 19, 19)}, nil, false, ""},
		{"the latest good sync decides", roger.StateActive, 5 * time.Minute,
			[]*roger.SyncRun{read(run(ok, 5, ""), 300, 2), read(run(ok, 10, ""), 300, 200)}, nil, false, ""},
		{"paused raises nothing and holds", roger.StatePaused, 5 * time.Minute, []*roger.SyncRun{run(ok, 5000, "")}, nil, true, ""},
		{"awaiting authorization raises nothing and holds", roger.StateAwaitingAuthorization, 5 * time.Minute, nil, nil, true, ""},
	}
	// API calls today, by case; none for the others.
	callsToday := map[string]int{"4,000 calls today is 80%, not more": 4000, "more than 80% of the day's calls": 4200}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &roger.Replicator{State: tc.state, Interval: tc.interval, Division: 123456, Created: now.Add(-1000 * time.Hour), StateMessage: "Sign in again."}
			f := Policy{}.evaluate(r, tc.runs, callsToday[tc.name], now)
			if len(f.found) != len(tc.want) || f.held != tc.held {
				t.Fatalf("found %v held %v, want %v held %v", f.found, f.held, tc.want, tc.held)
			}
			for _, c := range tc.want {
				if _, ok := f.found[c]; !ok {
					t.Errorf("%s not found: %v", c, f.found)
				}
			}
			if tc.detail != "" && !strings.Contains(f.found[tc.want[0]].detail, tc.detail) {
				t.Errorf("detail %q does not say %q", f.found[tc.want[0]].detail, tc.detail)
			}
		})
	}
}
