package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// A replicator released to wait for Exact's rate limit holds no lease,
// is not claimed before the wait ends (not even for a "Sync now", which
// is kept for then), and is claimed at its end; its run stays one run:
// waiting is not "running", so a crash's clean-up leaves it alone, and
// the next part takes it up with its counts and the time waited.
func TestRateWait(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if _, err := f.store.ContinueWaitingRun(ctx, r.ID, f.clock.Now()); code(err) != roger.ENOTFOUND {
			t.Fatalf("continuing with no run waiting: %v", err)
		}
		if got, err := f.store.ClaimDue(ctx, "one", schedulerLease, 10); err != nil || len(got) != 1 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		run := &roger.SyncRun{ReplicatorID: r.ID, Trigger: roger.TriggerSchedule, Full: true, Started: f.clock.Now()}
		if err := f.store.CreateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(20 * time.Second)
		run.Outcome, run.Read, run.APICalls, run.Waits, run.WaitStarted = roger.OutcomeWaiting, 60000, 60, 1, f.clock.Now()
		if err := f.store.UpdateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		until := time.Date(2026, 6, 25, 12, 1, 1, 0, time.UTC)
		if err := f.store.ReleaseLeaseToWait(ctx, r.ID, "one", until, false); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.FindReplicatorByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.RateWaitUntil.Equal(until) || got.RateWaitDaily || !got.NextSyncAt.Equal(until) || !got.LastSyncAt.IsZero() || !got.WaitingForRateLimit(f.clock.Now()) {
			t.Fatalf("after the release: waits until %v (daily %v), due %v, last sync %v", got.RateWaitUntil, got.RateWaitDaily, got.NextSyncAt, got.LastSyncAt)
		}
		if ok, err := f.open().ClaimOne(ctx, r.ID, "probe", time.Second); err != nil || !ok {
			t.Fatalf("the lease is still held while waiting: %v %v", ok, err)
		}
		if err := f.store.ReleaseLeaseToWait(ctx, r.ID, "probe", until, false); err != nil {
			t.Fatal(err)
		}

		// A crash's clean-up ends running runs only.
		if err := f.store.AbandonRuns(ctx, r.ID, "interrupted"); err != nil {
			t.Fatal(err)
		}
		if err := f.store.RequestSync(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := f.store.ClaimDue(ctx, "two", schedulerLease, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d before the wait ended (%v)", len(got), err)
		}
		f.clock.Set(until)
		claimed, err := f.store.ClaimDue(ctx, "two", schedulerLease, 10)
		if err != nil || len(claimed) != 1 || !claimed[0].SyncRequested {
			t.Fatalf("at the wait's end: %d claimed (%v)", len(claimed), err)
		}
		cont, err := f.store.ContinueWaitingRun(ctx, r.ID, until)
		if err != nil {
			t.Fatal(err)
		}
		if cont.ID != run.ID || cont.Outcome != roger.OutcomeRunning || cont.Read != 60000 || cont.APICalls != 60 || cont.Waits != 1 ||
			cont.Waited != 41*time.Second || !cont.WaitStarted.IsZero() || !cont.Started.Equal(run.Started) || !cont.Full {
			t.Fatalf("continued run %+v", *cont)
		}
		runs, err := f.store.ListSyncRuns(ctx, r.ID, 10)
		if err != nil || len(runs) != 1 || runs[0].Outcome != roger.OutcomeRunning || runs[0].Waited != 41*time.Second {
			t.Fatalf("runs %v %v", runs, err)
		}
		if _, err := f.store.ContinueWaitingRun(ctx, r.ID, until); code(err) != roger.ENOTFOUND {
			t.Fatalf("continuing twice: %v", err)
		}

		// The run's end clears the wait.
		if err := f.store.ReleaseLeaseToWait(ctx, r.ID, "two", time.Date(2026, 6, 26, 0, 0, 1, 0, time.UTC), true); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.FindReplicatorByID(ctx, r.ID); !got.RateWaitDaily {
			t.Fatal("the daily wait is not recorded")
		}
		f.clock.Set(time.Date(2026, 6, 26, 0, 0, 1, 0, time.UTC))
		if got, err := f.store.ClaimDue(ctx, "three", schedulerLease, 10); err != nil || len(got) != 1 {
			t.Fatalf("after midnight: %d claimed (%v)", len(got), err)
		}
		if err := f.store.ReleaseLease(ctx, r.ID, "three", f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.FindReplicatorByID(ctx, r.ID); !got.RateWaitUntil.IsZero() || got.RateWaitDaily {
			t.Fatalf("after the run: waits until %v (daily %v)", got.RateWaitUntil, got.RateWaitDaily)
		}
	})
}
