package notify

import (
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// Policy sets when a replicator's condition is worth an alert.
type Policy struct {
	// FailedRuns is how many runs in a row must fail. Default 3.
	FailedRuns int
	// StaleIntervals is the staleness limit in sync intervals, and
	// MinStale its least: no successful sync for longer than the limit is
	// an alert. Defaults 3 and 1 hour.
	StaleIntervals int
	MinStale       time.Duration
	// Reminder is how often an open alert is sent again. Default a day.
	Reminder time.Duration
	// DailyLimit is the API calls Exact allows an app in a division a
	// day, and DailyShare the part of them that raises an alert. Defaults
	// 5,000 (Exact's limit) and 0.8.
	DailyLimit int
	DailyShare float64
	// UnparseableShare is the part of a sync's records whose count of
	// numbers that did not parse raises an alert, in a sync of at least
	// UnparseableMinRecords records. Defaults 0.1 and 20: a single
	// edited record is no jump.
	UnparseableShare      float64
	UnparseableMinRecords int
}

func (p *Policy) defaults() {
	if p.FailedRuns <= 0 {
		p.FailedRuns = 3
	}
	if p.StaleIntervals <= 0 {
		p.StaleIntervals = 3
	}
	if p.MinStale <= 0 {
		p.MinStale = time.Hour
	}
	if p.Reminder <= 0 {
		p.Reminder = 24 * time.Hour
	}
	if p.DailyLimit <= 0 {
		p.DailyLimit = 5000
	}
	if p.DailyShare <= 0 {
		p.DailyShare = 0.8
	}
	if p.UnparseableShare <= 0 {
		p.UnparseableShare = 0.1
	}
	if p.UnparseableMinRecords <= 0 {
		p.UnparseableMinRecords = 20
	}
}

// StaleLimit is how long replicator r may go without a successful sync.
func (p Policy) StaleLimit(r *roger.Replicator) time.Duration {
	p.defaults()
	return max(time.Duration(p.StaleIntervals)*r.Interval, p.MinStale)
}

// finding is a condition found true, with when it began and what it is.
type finding struct {
	since  time.Time
	detail string
}

// findings are the conditions of one replicator at one evaluation. When
// held, the open alerts of conditions not found stay open: while a
// replicator needs a person (re-authorization) or an admin stopped it
// (paused, new credentials), its runs stop, so whether it also fails or
// goes stale says nothing new, and a "recovered" would be false.
type findings struct {
	found map[roger.AlertCondition]finding
	held  bool
}

// evaluate finds the conditions of replicator r at now from its newest
// runs first and the API calls it made today (since 00:00 UTC). A paused
// replicator, or one not set up yet, has none and holds the alerts it
// has: an admin stopped it, or it waits for one.
func (p Policy) evaluate(r *roger.Replicator, runs []*roger.SyncRun, callsToday int, now time.Time) findings {
	p.defaults()
	out := findings{found: map[roger.AlertCondition]finding{}}
	var ended []*roger.SyncRun
	for _, run := range runs {
		if run.Outcome == roger.OutcomeOK || run.Outcome == roger.OutcomeFailed {
			ended = append(ended, run)
		}
	}
	switch r.State {
	case roger.StateNeedsReauthorization:
		since := now
		if len(ended) > 0 && ended[0].Outcome == roger.OutcomeFailed {
			since = ended[0].Ended
		}
		out.found[roger.AlertReauthorization] = finding{since: since, detail: r.StateMessage}
		out.held = true
		return out
	case roger.StateActive, roger.StateFailing:
	default:
		out.held = true
		return out
	}

	failed := 0
	for _, run := range ended {
		if run.Outcome != roger.OutcomeFailed {
			break
		}
		failed++
	}
	if failed >= p.FailedRuns {
		out.found[roger.AlertFailing] = finding{since: ended[failed-1].Started,
			detail: fmt.Sprintf("The last %d syncs failed; the latest said: %s", failed, ended[0].Error)}
	}

	// The last success is the newest run that ended well; without one
	// in the runs read, the replicator's creation stands in for it.
	last := r.Created
	for _, run := range ended {
		if run.Outcome == roger.OutcomeOK {
			last = run.Ended
			break
		}
	}
	if limit := p.StaleLimit(r); now.Sub(last) > limit {
		out.found[roger.AlertStale] = finding{since: last,
			detail: fmt.Sprintf("No sync succeeded since %s, longer than its limit of %s.", last.UTC().Format("2 January 2006 15:04 MST"), humanDuration(limit))}
	}

	// The count starts again at 00:00 UTC, when Exact's does: the alert
	// clears with the day.
	if float64(callsToday) > p.DailyShare*float64(p.DailyLimit) {
		day := now.UTC().Truncate(24 * time.Hour)
		out.found[roger.AlertDailyCalls] = finding{since: day,
			detail: fmt.Sprintf("It made %d of the %d API calls Exact Online allows its app in division %d a day (%d%%).",
				callsToday, p.DailyLimit, r.Division, callsToday*100/p.DailyLimit)}
	}

	// A jump in numbers that do not parse is judged on the latest sync
	// that ended well: a failed one read only part of its records.
	for _, run := range ended {
		if run.Outcome != roger.OutcomeOK {
			continue
		}
		if run.Read >= p.UnparseableMinRecords && float64(run.Unparseable) > p.UnparseableShare*float64(run.Read) {
			out.found[roger.AlertUnparseable] = finding{since: run.Started,
				detail: fmt.Sprintf("The sync of %s read %d records, and %d of their numbers did not parse.",
					run.Started.UTC().Format("2 January 2006 15:04 MST"), run.Read, run.Unparseable)}
		}
		break
	}
	return out
}

// humanDuration writes d as people do: "1 hour", "15 minutes", "3 days".
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	}
	return unit(int64(d.Round(time.Minute)/time.Minute), "minute")
}
