package replicate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// storeDSNs are the databases the tests below run on: a SQLite file (the
// empty dsn) and, when ROGER_TEST_POSTGRES is set, a fresh PostgreSQL
// database.
func storeDSNs(t *testing.T) []struct{ name, dsn string } {
	out := []struct{ name, dsn string }{{"sqlite", ""}}
	if admin := sqltest.Postgres(t); admin != "" {
		out = append(out, struct{ name, dsn string }{"postgres", sqltest.FreshPostgres(t, admin)})
	}
	return out
}

// TestResumeInTheDeletionsPhase: a pass stopped while it read Exact's
// deletion log records that phase, and the next run goes on there,
// without reading the records again.
func TestResumeInTheDeletionsPhase(t *testing.T) {
	for _, b := range storeDSNs(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, envOptions{dsn: b.dsn})
			e.seed(testDivision, 500, 3500)
			r := e.addReplicator(replicatorOptions{})
			e.sync(r.ID)
			// 1,500 deletions fill two pages of sync/Deleted; the increment
			// stops after its (empty) page of records and the first page of
			// deletions.
			e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Deletes: 1500})
			if _, err := e.syncer.Sync(stopAfterPages(e, 2), r.ID, roger.TriggerManual); !errors.Is(err, context.Canceled) {
				t.Fatalf("sync error %v, want the cancellation", err)
			}
			e.syncer.OnProgress = nil
			if got := e.replicator(r.ID); got.Phase != roger.PhaseDeletions || got.ResumeURL == "" {
				t.Fatalf("the stopped pass: phase %q, resume %q; want the deletions phase with a link", got.Phase, got.ResumeURL)
			}

			run := e.sync(r.ID)
			if run.APICalls != 2 || run.Read != 0 || run.Deleted != 500 {
				t.Errorf("the resumed pass: %d API calls, read %d, deleted %d; want 2 calls (the accounts' countries, the last page of deletions), 0 read, 500 deleted",
					run.APICalls, run.Read, run.Deleted)
			}
			if got := e.replicator(r.ID); got.Phase != roger.PhaseRecords || got.ResumeURL != "" {
				t.Errorf("after the pass: phase %q, resume %q; want the next pass to begin with records", got.Phase, got.ResumeURL)
			}
			e.assertEqual(r)
		})
	}
}

// TestSchedulerRecordsSyncNowAsManual: a "Sync now" is run at once, even
// before the replicator's time, recorded as manual, and taken up once; a
// scheduled run is recorded as scheduled.
func TestSchedulerRecordsSyncNowAsManual(t *testing.T) {
	for _, b := range storeDSNs(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, envOptions{dsn: b.dsn})
			e.seed(testDivision, 10, 40)
			tests := []struct {
				name    string
				request bool
				next    time.Duration // from now
				synced  bool          // it has synced before
				want    roger.SyncTrigger
			}{
				{"due by its schedule", false, -time.Minute, true, roger.TriggerSchedule},
				{"sync now before its time", true, time.Hour, true, roger.TriggerManual},
				// The save that made it active made it due: its first
				// load is no scheduled sync.
				{"never synced", false, -time.Minute, false, roger.TriggerFirst},
				{"sync now before the first load", true, time.Hour, false, roger.TriggerManual},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					r := e.addReplicator(replicatorOptions{})
					if tt.synced {
						// A sync's end is recorded by the release of its lease.
						if ok, err := e.store.ClaimOne(ctx, r.ID, "before", time.Minute); err != nil || !ok {
							t.Fatalf("claim: %v %v", ok, err)
						}
						if err := e.store.ReleaseLease(ctx, r.ID, "before", e.clock.Now()); err != nil {
							t.Fatal(err)
						}
						r = e.replicator(r.ID)
					}
					r.NextSyncAt = e.clock.Now().Add(tt.next)
					if err := e.store.UpdateReplicator(ctx, r); err != nil {
						t.Fatal(err)
					}
					if tt.request {
						if err := e.store.RequestSync(ctx, r.ID); err != nil {
							t.Fatal(err)
						}
					}
					// The scheduler claims at once when it starts; its poll
					// would come only after the test.
					sched := &Scheduler{Store: e.store, Syncer: e.syncer, Owner: "test", Workers: 1, Poll: time.Hour,
						Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
					runCtx, cancel := context.WithCancel(ctx)
					done := make(chan error, 1)
					go func() { done <- sched.Run(runCtx) }()
					ended := waitFor(time.Minute, func() bool {
						runs, err := e.store.ListSyncRuns(ctx, r.ID, 1)
						return err == nil && len(runs) == 1 && runs[0].Outcome != roger.OutcomeRunning
					})
					cancel()
					if err := <-done; err != nil {
						t.Fatal(err)
					}
					if !ended {
						t.Fatal("the scheduler did not run the replicator")
					}
					if run := lastRun(t, e.store, r.ID); run.Trigger != tt.want || run.Outcome != roger.OutcomeOK {
						t.Errorf("run: trigger %q, outcome %q; want %q, ok", run.Trigger, run.Outcome, tt.want)
					}
					if got := e.replicator(r.ID); got.SyncRequested {
						t.Error("the request is still set after its run")
					}
				})
			}
		})
	}
}
