package replicators

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/replicate"
)

// simulatedReplicator adds to f an active replicator authorized through
// the simulator's real flow, on a division of 20 contacts, and returns a
// service that reaches the simulator (started with opts) with a syncer
// that reports to it.
func simulatedReplicator(t *testing.T, f *fixture, opts exactsim.Options) (*Service, *replicate.Syncer, *roger.Replicator, *exactsim.Simulator) {
	t.Helper()
	ctx := context.Background()
	opts.Clock = f.clock
	sim := exactsim.New(opts)
	t.Cleanup(sim.Close)
	if _, err := sim.AddUser("demo", "demo", 123456); err != nil {
		t.Fatal(err)
	}
	sim.Seed(123456, 5, 20)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	const redirect = "https://roger.example/oauth/exact/callback"
	app, err := sim.RegisterApp("ROGER365.io – contacts", redirect, "", "")
	if err != nil {
		t.Fatal(err)
	}
	sleeper := &clock.Sleeper{Clock: f.clock}
	svc := &Service{Store: f.store, Clock: f.clock, Sleep: sleeper.Sleep, Budgets: exact.NewBudgetRegistry(f.clock),
		RedirectURL: func(int64) string { return redirect }}
	rep, err := svc.Create(ctx, roger.ReplicatorInput{OrgID: f.rep.OrgID, Name: "simulated", Entity: roger.Contacts, ExactURL: srv.URL,
		Credentials: &roger.CredentialsInput{ClientID: app.ClientID.String(), ClientSecret: app.Secret},
		Settings:    &roger.SettingsInput{ContactURL: srv.URL + "/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=123456", Country: "NL", Interval: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	to, err := svc.StartAuthorization(ctx, rep.OrgID, rep.ID, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	back, err := exactsim.Consent(ctx, nil, to, "demo", "demo")
	if err != nil {
		t.Fatal(err)
	}
	auth, err := svc.FinishAuthorization(ctx, rep.ID, back.Query().Get("state"), back.Query().Get("code"), "")
	if err != nil || auth.Replicator.State != roger.StateActive {
		t.Fatalf("authorization: %v %+v", err, auth)
	}
	syncer := &replicate.Syncer{Store: f.store, Reports: svc, Budgets: svc.Budgets, Clock: f.clock, Sleep: sleeper.Sleep,
		RedirectURL: svc.RedirectURL, PagesPerCommit: 1}
	return svc, syncer, auth.Replicator, sim
}

// report is one call the syncer made to its reporter, with the run as it
// was then.
type report struct {
	call string
	run  roger.SyncRun
	err  error
}

// recordingReports records every report and passes it on to next, when
// next is set.
type recordingReports struct {
	next roger.SyncReporter
	mu   sync.Mutex
	got  []report
}

func (r *recordingReports) add(call string, run *roger.SyncRun, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, report{call: call, run: *run, err: err})
}

func (r *recordingReports) RunStarted(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun) error {
	if r.next != nil {
		if err := r.next.RunStarted(ctx, rep, run); err != nil {
			return err
		}
	}
	r.add("started", run, nil)
	return nil
}

func (r *recordingReports) PageApplied(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun) error {
	r.add("page", run, nil)
	if r.next == nil {
		return nil
	}
	return r.next.PageApplied(ctx, rep, run)
}

func (r *recordingReports) RunWaiting(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun) error {
	r.add("waiting", run, nil)
	if r.next == nil {
		return nil
	}
	return r.next.RunWaiting(ctx, rep, run)
}

func (r *recordingReports) RunEnded(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun, err error) error {
	r.add("ended", run, err)
	if r.next == nil {
		return nil
	}
	return r.next.RunEnded(ctx, rep, run, err)
}

func (r *recordingReports) AuthLost(ctx context.Context, id int64, message string) error {
	r.add("auth lost", &roger.SyncRun{ReplicatorID: id, Error: message}, nil)
	if r.next == nil {
		return nil
	}
	return r.next.AuthLost(ctx, id, message)
}

// calls returns the reports' names in order.
func (r *recordingReports) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, g := range r.got {
		out = append(out, g.call)
	}
	return out
}

// TestSyncerReportsTheWholeRun runs a sync against the simulator with a
// reporter that records and stores nothing: the run begins, makes
// progress and ends through the reporter, and the syncer writes no run
// of its own.
func TestSyncerReportsTheWholeRun(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, db.dsn(t))
			_, syncer, rep, _ := simulatedReplicator(t, f, exactsim.Options{})
			rec := &recordingReports{}
			syncer.Reports = rec
			var progress int
			syncer.OnProgress = func(*roger.SyncRun) { progress++ }
			var done []*roger.SyncRun
			syncer.OnRunDone = func(_ *roger.Replicator, run *roger.SyncRun) { done = append(done, run) }

			run, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			calls := rec.calls()
			if len(calls) < 3 || calls[0] != "started" || calls[len(calls)-1] != "ended" {
				t.Fatalf("reports %q, want started, pages, ended", calls)
			}
			pages := calls[1 : len(calls)-1]
			for _, c := range pages {
				if c != "page" {
					t.Fatalf("reports %q: %q between the start and the end", calls, c)
				}
			}
			if progress != len(pages) {
				t.Errorf("OnProgress saw %d commits, the reporter %d", progress, len(pages))
			}
			if len(done) != 1 || done[0] != run {
				t.Errorf("OnRunDone saw %v, want the run once", done)
			}
			rec.mu.Lock()
			started, last, ended := rec.got[0], rec.got[len(rec.got)-2], rec.got[len(rec.got)-1]
			rec.mu.Unlock()
			if started.run.ReplicatorID != rep.ID || started.run.Trigger != roger.TriggerManual || started.run.Outcome != "" {
				t.Errorf("run started as %+v", started.run)
			}
			if last.run.Read != 20 || last.run.Created != 20 {
				t.Errorf("last progress %+v, want 20 read and created", last.run)
			}
			if ended.err != nil || ended.run.Outcome != roger.OutcomeOK || ended.run.Ended.IsZero() || ended.run.Read != 20 {
				t.Errorf("run ended as %+v (%v)", ended.run, ended.err)
			}
			runs, err := f.store.ListSyncRuns(ctx, rep.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 0 {
				t.Fatalf("the syncer recorded %d runs itself: %+v", len(runs), runs[0])
			}
		})
	}
}

// TestServiceRecordsTheRun runs a sync against the simulator through the
// real service, after a run left "running" by a crash: the crashed run is
// closed as interrupted, and the new run's row shows its progress while
// it goes on and its outcome in the end.
func TestServiceRecordsTheRun(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, db.dsn(t))
			svc, syncer, rep, _ := simulatedReplicator(t, f, exactsim.Options{})
			crashed := &roger.SyncRun{ReplicatorID: rep.ID, Trigger: roger.TriggerSchedule, Started: f.clock.Now()}
			if err := f.store.CreateSyncRun(ctx, crashed); err != nil {
				t.Fatal(err)
			}
			rec := &recordingReports{next: svc}
			syncer.Reports = rec
			// What the portal shows after each commit is the row as stored.
			var shown []roger.SyncRun
			syncer.OnProgress = func(run *roger.SyncRun) {
				runs, err := f.store.ListSyncRuns(ctx, rep.ID, 1)
				if err != nil || len(runs) != 1 {
					t.Errorf("runs during the sync: %v %v", runs, err)
					return
				}
				shown = append(shown, *runs[0])
			}

			run, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual)
			if err != nil {
				t.Fatal(err)
			}
			if run.ID == 0 || run.ID == crashed.ID {
				t.Fatalf("run ID %d (crashed run %d): the start was not recorded", run.ID, crashed.ID)
			}
			if len(shown) == 0 || shown[0].ID != run.ID || shown[0].Outcome != roger.OutcomeRunning {
				t.Fatalf("rows shown during the sync: %+v", shown)
			}
			runs, err := f.store.ListSyncRuns(ctx, rep.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 {
				t.Fatalf("%d runs, want the crashed one and this one", len(runs))
			}
			got, old := runs[0], runs[1]
			if got.ID != run.ID || got.Outcome != roger.OutcomeOK || got.Ended.IsZero() || got.Read != 20 || got.Created != 20 ||
				got.Trigger != roger.TriggerManual || !got.Full || got.APICalls != run.APICalls {
				t.Errorf("run row %+v, want the run %+v", got, run)
			}
			if old.ID != crashed.ID || old.Outcome != roger.OutcomeFailed || old.Error != interruptedRun {
				t.Errorf("crashed run row %+v, want failed as interrupted", old)
			}
			if calls := rec.calls(); calls[0] != "started" || calls[len(calls)-1] != "ended" {
				t.Errorf("reports %q", calls)
			}
		})
	}
}

// TestRunEndedRecordsTheOutcomeAfterCancel ends a run with a context
// already cancelled, as a shutdown does: the outcome is recorded anyway.
func TestRunEndedRecordsTheOutcomeAfterCancel(t *testing.T) {
	f := newFixture(t, filepath.Join(t.TempDir(), "roger.db"))
	run := &roger.SyncRun{ReplicatorID: f.rep.ID, Trigger: roger.TriggerSchedule, Started: f.clock.Now()}
	if err := f.svc.RunStarted(context.Background(), f.rep, run); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run.Ended, run.Outcome, run.Error = f.clock.Now(), roger.OutcomeFailed, "The sync was stopped before it finished."
	if err := f.svc.RunEnded(ctx, f.rep, run, context.Canceled); err != nil {
		t.Fatal(err)
	}
	runs, err := f.store.ListSyncRuns(context.Background(), f.rep.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Outcome != roger.OutcomeFailed || runs[0].Error != run.Error {
		t.Fatalf("runs %+v, want the stopped run recorded as failed", runs)
	}
}
