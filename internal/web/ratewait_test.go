package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// TestRateWaitShows: a replicator whose run waits for Exact's rate limit
// says so, with the time it goes on, on its page and in the status the
// page polls, as a state of its own (the run is neither running nor
// ended); the daily limit is named as such; once the run has ended its
// waits show in the history.
func TestRateWaitShows(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	p.authorize(p.repA)
	if err := p.store.SetState(ctx, p.repA.ID, roger.StateActive, ""); err != nil {
		t.Fatal(err)
	}
	id := itoa(p.repA.ID)
	run := &roger.SyncRun{ReplicatorID: p.repA.ID, Trigger: roger.TriggerSchedule, Full: true, Started: p.clock.Now()}
	if err := p.store.CreateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	wait := func(until time.Time, daily bool) {
		t.Helper()
		run.Outcome, run.Read, run.APICalls, run.Waits, run.WaitStarted = roger.OutcomeWaiting, 60000, 61, run.Waits+1, p.clock.Now()
		if err := p.store.UpdateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		if ok, err := p.store.ClaimOne(ctx, p.repA.ID, "test", time.Minute); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := p.store.ReleaseLeaseToWait(ctx, p.repA.ID, "test", until, daily); err != nil {
			t.Fatal(err)
		}
	}
	a := p.admin("Alpha")
	status := func() statusJSON {
		t.Helper()
		var st statusJSON
		pg := a.get("/replicators/" + id + "/status")
		if err := json.Unmarshal([]byte(pg.body), &st); err != nil || st.Run == nil {
			t.Fatalf("status: %s %v", pg.body, err)
		}
		return st
	}

	until := p.clock.Now().Truncate(time.Minute).Add(time.Minute + time.Second)
	wait(until, false)
	want := "Waiting for Exact's rate limit until " + until.UTC().Format("15:04:05") + " UTC."
	st := status()
	if st.RateWait != want || !st.Run.Waiting || st.Run.Running || !strings.HasPrefix(st.Run.Summary, want) || !strings.Contains(st.Run.Summary, "60000 records read") {
		t.Fatalf("status while waiting: %+v %+v", st, st.Run)
	}
	if pg := a.get("/replicators/" + id); !strings.Contains(pg.body, `<p id="rate-wait">`+strings.ReplaceAll(want, "'", "&#39;")+`</p>`) {
		t.Fatalf("the page does not show the wait:\n%s", pg.body)
	}

	// The day's calls spent: the wait lasts until midnight UTC.
	p.clock.Set(until)
	midnight := time.Date(until.Year(), until.Month(), until.Day()+1, 0, 0, 1, 0, time.UTC)
	wait(midnight, true)
	if st := status(); !strings.Contains(st.RateWait, "daily rate limit until "+midnight.Format("2006-01-02 15:04:05")+" UTC") {
		t.Fatalf("status while waiting for the day: %+v", st)
	}

	// A paused replicator is paused, whatever its run waits for.
	if err := p.store.SetState(ctx, p.repA.ID, roger.StatePaused, ""); err != nil {
		t.Fatal(err)
	}
	if st := status(); st.RateWait != "" {
		t.Fatalf("status while paused: %+v", st)
	}
	if err := p.store.SetState(ctx, p.repA.ID, roger.StateActive, ""); err != nil {
		t.Fatal(err)
	}

	// Past the reset, and after the run has ended, no wait is shown.
	p.clock.Set(midnight)
	a = p.admin("Alpha") // the session ran out meanwhile
	if st := status(); st.RateWait != "" {
		t.Fatalf("status after the reset: %+v", st)
	}
	waited, err := p.store.ContinueWaitingRun(ctx, p.repA.ID, p.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	waited.Outcome, waited.Ended = roger.OutcomeOK, p.clock.Now()
	if err := p.store.UpdateSyncRun(ctx, waited); err != nil {
		t.Fatal(err)
	}
	st = status()
	if st.Run.Waiting || st.Run.Waits != 2 || !strings.Contains(st.Run.Summary, "waiting for Exact's rate limit") {
		t.Fatalf("status after the run: %+v", st.Run)
	}
	if pg := a.get("/replicators/" + id); !strings.Contains(pg.body, "rate limit (2 waits)") || strings.Contains(pg.body, `id="rate-wait"`) {
		t.Fatalf("the history does not show the waits, or the page still waits:\n%s", pg.body)
	}
}
