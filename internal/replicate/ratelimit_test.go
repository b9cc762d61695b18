package replicate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/sqlstore"
)

// workerWatch sees every part of a run begin and end (RunStarted to
// RunWaiting or RunEnded): how many are under way at once, at most.
type workerWatch struct {
	roger.SyncReporter
	mu         sync.Mutex
	now, most  int
	partsByRep map[int64]int
}

func (w *workerWatch) enter(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now++
	w.most = max(w.most, w.now)
	w.partsByRep[id]++
}

func (w *workerWatch) exit() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now--
}

func (w *workerWatch) RunStarted(ctx context.Context, r *roger.Replicator, run *roger.SyncRun) error {
	if err := w.SyncReporter.RunStarted(ctx, r, run); err != nil {
		return err
	}
	w.enter(r.ID)
	return nil
}

func (w *workerWatch) RunWaiting(ctx context.Context, r *roger.Replicator, run *roger.SyncRun) error {
	w.exit()
	return w.SyncReporter.RunWaiting(ctx, r, run)
}

func (w *workerWatch) RunEnded(ctx context.Context, r *roger.Replicator, run *roger.SyncRun, err error) error {
	w.exit()
	return w.SyncReporter.RunEnded(ctx, r, run, err)
}

func (w *workerWatch) stats() (most int, parts map[int64]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	parts = map[int64]int{}
	for k, v := range w.partsByRep {
		parts[k] = v
	}
	return w.most, parts
}

// startScheduler runs a scheduler on st until the test ends or the
// returned stop is called. Its polls run on the wall clock, every 5 ms;
// what is due is decided by the env's (fake) clock.
func startScheduler(t *testing.T, e *env, st *sqlstore.Store, owner string, workers int) (*Scheduler, *workerWatch, func()) {
	t.Helper()
	sy := e.newSyncer(st)
	watch := &workerWatch{SyncReporter: sy.Reports, partsByRep: map[int64]int{}}
	sy.Reports = watch
	sc := &Scheduler{Store: st, Syncer: sy, Owner: owner, Workers: workers, Poll: 5 * time.Millisecond,
		Clock: e.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return sc, watch, stop
}

// waitingAll reports whether every replicator's run waits for the rate
// limit with read records read so far, and the replicator with it.
func waitingAll(t *testing.T, e *env, reps []*roger.Replicator, read int) bool {
	t.Helper()
	for _, r := range reps {
		run := latestRun(t, e, r.ID)
		if run == nil || run.Outcome != roger.OutcomeWaiting || run.Read != read || !e.replicator(r.ID).WaitingForRateLimit(e.clock.Now()) {
			return false
		}
	}
	return true
}

// latestRun is replicator id's newest run, nil before the first.
func latestRun(t *testing.T, e *env, id int64) *roger.SyncRun {
	t.Helper()
	runs, err := e.store.ListSyncRuns(context.Background(), id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		return nil
	}
	return runs[0]
}

// describe is the runs and waits of reps, for a failure message.
func describe(t *testing.T, e *env, reps []*roger.Replicator) string {
	s := ""
	for _, r := range reps {
		run := latestRun(t, e, r.ID)
		if run == nil {
			s += fmt.Sprintf("\n  replicator %d: no run yet", r.ID)
			continue
		}
		s += fmt.Sprintf("\n  replicator %d: run %d %s, read %d, waits %d, rate wait until %v", r.ID, run.ID, run.Outcome, run.Read, run.Waits, e.replicator(r.ID).RateWaitUntil)
	}
	return s
}

// TestWaitingReplicatorsHoldNoWorker: ten replicators, each with its own
// app and division and so its own budget (two calls a minute here), and
// four workers. Every replicator spends its minute's calls in the same
// minute, since one that must wait gives its worker back at once; while
// all ten wait no worker is busy and no lease is held. Each load is one
// run in the history, with its waits, and the directory equals the
// source. (Before, four replicators held the four workers through their
// waits and the other six did not start in that minute.)
func TestWaitingReplicatorsHoldNoWorker(t *testing.T) {
	// Two pages of records and the empty one that ends them: with the
	// division check and the deletions, five calls in three minutes.
	// Accounts replicators: a contacts replicator also reads its
	// accounts' countries, a call more in the first minute.
	const n, records = 10, 1500
	divisions := make([]int, n)
	for i := range divisions {
		divisions[i] = 300001 + i
	}
	e := newEnv(t, envOptions{divisions: divisions, sim: exactsim.Options{MinutelyLimit: 2, DailyLimit: -1}})
	reps := make([]*roger.Replicator, n)
	for i, d := range divisions {
		e.seed(d, records, 10)
		reps[i] = e.addReplicator(replicatorOptions{entity: roger.Accounts, division: d, interval: 24 * time.Hour})
	}
	start := e.clock.Now()
	sc, watch, stop := startScheduler(t, e, e.store, "only", 4)

	// Minute one: the division check and the first page each.
	if !waitFor(60*time.Second, func() bool { return waitingAll(t, e, reps, 1000) }) {
		t.Fatalf("not every replicator read its first page and waits:%s", describe(t, e, reps))
	}
	if now := e.clock.Now(); now.Truncate(time.Minute) != start.Truncate(time.Minute) {
		t.Fatalf("the clock moved from %v to %v: a sync slept instead of giving its worker back", start, now)
	}
	if busy := sc.Busy(); busy != 0 {
		t.Errorf("%d workers busy while every replicator waits for its budget", busy)
	}
	for _, r := range reps {
		if got := e.replicator(r.ID); !got.NextSyncAt.Equal(got.RateWaitUntil) || got.RateWaitUntil.Before(start.Truncate(time.Minute).Add(time.Minute)) {
			t.Errorf("replicator %d: due %v, waits until %v; want both at the minute's reset", r.ID, got.NextSyncAt, got.RateWaitUntil)
		}
	}
	assertNoLeases(t, e.store)

	// Then, minute by minute, the rest of the records and the deletions.
	for minute := 2; ; minute++ {
		if minute > 5 {
			t.Fatalf("the loads did not end in four minutes:%s", describe(t, e, reps))
		}
		toReset(t, e, reps)
		sc.Wake()
		ended := func() bool {
			for _, r := range reps {
				if run := latestRun(t, e, r.ID); run == nil || run.Outcome != roger.OutcomeOK {
					return false
				}
			}
			return true
		}
		if !waitFor(60*time.Second, func() bool {
			if ended() {
				return true
			}
			for _, r := range reps {
				if run := latestRun(t, e, r.ID); run.Outcome != roger.OutcomeOK && (run.Outcome != roger.OutcomeWaiting || run.Waits < minute) {
					return false
				}
			}
			return true
		}) {
			t.Fatalf("minute %d: not every replicator went on:%s", minute, describe(t, e, reps))
		}
		if ended() {
			break
		}
	}
	stop()

	most, parts := watch.stats()
	if most > 4 {
		t.Errorf("%d syncs worked at once with four workers", most)
	}
	st := e.sim.Stats()
	if st.Rejected != 0 {
		t.Errorf("Exact refused %d calls", st.Rejected)
	}
	calls := 0
	for _, r := range reps {
		runs, err := e.store.ListSyncRuns(context.Background(), r.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 {
			t.Errorf("replicator %d: %d runs, want the first load as one", r.ID, len(runs))
			continue
		}
		run := runs[0]
		calls += run.APICalls
		if run.Outcome != roger.OutcomeOK || run.Read != records || run.Created != records || run.Waits < 1 || run.Waits != parts[r.ID]-1 ||
			run.Waited <= 0 || !run.WaitStarted.IsZero() || !run.Full {
			t.Errorf("replicator %d: run %+v in %d parts; want ok, %d read and created, a wait between parts, and its time", r.ID, *run, parts[r.ID], records)
		}
		if got := e.replicator(r.ID); !got.RateWaitUntil.IsZero() || got.LastSyncAt.IsZero() {
			t.Errorf("replicator %d: waits until %v, last synced %v after its run ended", r.ID, got.RateWaitUntil, got.LastSyncAt)
		}
		assertEqualOn(t, e, e.store, r, false)
	}
}

// toReset moves the clock to when the last of reps' rate-limit waits ends.
func toReset(t *testing.T, e *env, reps []*roger.Replicator) {
	t.Helper()
	var until time.Time
	for _, r := range reps {
		if u := e.replicator(r.ID).RateWaitUntil; u.After(until) {
			until = u
		}
	}
	if until.IsZero() {
		t.Fatal("no replicator waits for the rate limit")
	}
	e.clk.Set(until)
}

func assertNoLeases(t *testing.T, st *sqlstore.Store) {
	t.Helper()
	reps, err := st.ListReplicators(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// A claim by anyone succeeds only for unleased replicators; one that
	// is not due cannot be claimed, so ask the store with ClaimOne under
	// an owner that holds nothing.
	for _, r := range reps {
		ok, err := st.ClaimOne(context.Background(), r.ID, "probe", time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("replicator %d is still leased while it waits for the rate limit", r.ID)
			continue
		}
		if err := st.ReleaseLeaseToWait(context.Background(), r.ID, "probe", r.RateWaitUntil, r.RateWaitDaily); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRateWaitHandover: a first load waits for its budget twice and is
// taken up each time by another instance (its own store handle, Syncer
// and budgets), while people edit in Exact during the waits. The run goes
// on from the committed position: without edits nothing is read twice
// (each page is asked for once), and in the end the directory equals the
// source, with the load one run.
func TestRateWaitHandover(t *testing.T) {
	const records = 2500 // accounts, as in TestWaitingReplicatorsHoldNoWorker
	e := newEnv(t, envOptions{sim: exactsim.Options{MinutelyLimit: 2, DailyLimit: -1}})
	e.seed(testDivision, records, 20)
	r := e.addReplicator(replicatorOptions{entity: roger.Accounts, interval: 24 * time.Hour})

	_, _, stopA := startScheduler(t, e, e.store, "instance-a", 2)
	if !waitFor(60*time.Second, func() bool { return waitingAll(t, e, []*roger.Replicator{r}, 1000) }) {
		t.Fatalf("instance A did not stop for the budget after the first page:%s", describe(t, e, []*roger.Replicator{r}))
	}
	stopA()
	if calls := e.sim.Stats().APICalls; calls != 2 {
		t.Fatalf("%d calls before the first wait, want the division check and one page", calls)
	}

	// Instance B takes the run up after the reset; its budget knows
	// nothing of A's calls, which Exact's headers then tell it.
	toReset(t, e, []*roger.Replicator{r})
	storeB := e.openStore()
	_, _, stopB := startScheduler(t, e, storeB, "instance-b", 2)
	if !waitFor(60*time.Second, func() bool { return waitingAll(t, e, []*roger.Replicator{r}, records) }) {
		t.Fatalf("instance B did not read the rest of the records:%s", describe(t, e, []*roger.Replicator{r}))
	}
	stopB()
	if st := e.sim.Stats(); st.APICalls != 4 || st.Rejected != 0 {
		t.Fatalf("%d calls (%d refused) after two parts, want 4: a page read twice or a call Exact refused", st.APICalls, st.Rejected)
	}

	// People edit while it waits; instance A, started again, ends the run
	// (after another wait when the edits take a page of their own).
	res := e.mutate(testDivision, exactsim.Mutation{Entity: "accounts", Creates: 30, Updates: 40, Deletes: 25})
	// A deletion removes an entry only when the record was read: the
	// deletions may include records the same edits created.
	removable := 0
	for _, id := range res.Deleted {
		if !slices.Contains(res.Created, id) {
			removable++
		}
	}
	_, _, stopA2 := startScheduler(t, e, e.openStore(), "instance-a", 2)
	for waits := 2; ; {
		toReset(t, e, []*roger.Replicator{r})
		var run *roger.SyncRun
		if !waitFor(60*time.Second, func() bool {
			run = latestRun(t, e, r.ID)
			return run.Outcome == roger.OutcomeOK || run.Outcome == roger.OutcomeWaiting && run.Waits > waits
		}) {
			t.Fatalf("the run did not go on:%s", describe(t, e, []*roger.Replicator{r}))
		}
		if run.Outcome == roger.OutcomeOK {
			break
		}
		waits = run.Waits
	}
	stopA2()
	runs, err := e.store.ListSyncRuns(context.Background(), r.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Waits < 2 || runs[0].Read < records || runs[0].Deleted != removable {
		t.Fatalf("runs %+v; want one run with its waits, at least %d read and %d removed", *runs[0], records, removable)
	}
	if st := e.sim.Stats(); st.Rejected != 0 {
		t.Errorf("Exact refused %d calls", st.Rejected)
	}
	assertEqualOn(t, e, e.store, r, false)
}

// killAtStart kills its instance as soon as a run has begun: the part
// that takes up a waiting run dies before it writes anything, leaving its
// run recorded as running and its lease held, as a crash would.
type killAtStart struct {
	roger.SyncReporter
	s *instanceStore
}

func (k *killAtStart) RunStarted(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun) error {
	if err := k.SyncReporter.RunStarted(ctx, rep, run); err != nil {
		return err
	}
	k.s.dead.Store(true)
	return nil
}

// A dead instance reports nothing more.
func (k *killAtStart) PageApplied(context.Context, *roger.Replicator, *roger.SyncRun) error {
	return errDead
}

func (k *killAtStart) RunWaiting(context.Context, *roger.Replicator, *roger.SyncRun) error {
	return errDead
}

func (k *killAtStart) RunEnded(context.Context, *roger.Replicator, *roger.SyncRun, error) error {
	return errDead
}

// TestRateWaitCrash: an instance that takes up a waiting run and crashes
// leaves that run running; the instance that takes the replicator over
// when the lease runs out ends it as interrupted, as after any crash, and
// loads from the committed position in a run of its own. No run stays
// running, and the directory equals the source.
func TestRateWaitCrash(t *testing.T) {
	const records = 1500 // accounts, as in TestWaitingReplicatorsHoldNoWorker
	e := newEnv(t, envOptions{sim: exactsim.Options{MinutelyLimit: 2, DailyLimit: -1}})
	e.seed(testDivision, records, 20)
	r := e.addReplicator(replicatorOptions{entity: roger.Accounts, interval: 24 * time.Hour})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	_, _, stopA := startScheduler(t, e, e.store, "instance-a", 2)
	if !waitFor(60*time.Second, func() bool { return waitingAll(t, e, []*roger.Replicator{r}, 1000) }) {
		t.Fatalf("instance A did not stop for the budget:%s", describe(t, e, []*roger.Replicator{r}))
	}
	stopA()
	first := latestRun(t, e, r.ID)

	toReset(t, e, []*roger.Replicator{r})
	crashing := &instanceStore{st: e.openStore(), owner: "instance-c", log: newSyncLog()}
	sy := e.newSyncer(crashing)
	sy.Reports = &killAtStart{SyncReporter: sy.Reports, s: crashing}
	sc := &Scheduler{Store: crashing, Syncer: sy, Owner: "instance-c", Workers: 1, Poll: 5 * time.Millisecond, Clock: e.clock, Log: quiet}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx) }()
	if !waitFor(60*time.Second, func() bool { return crashing.dead.Load() }) {
		cancel()
		t.Fatal("instance C did not take the waiting run up")
	}
	cancel()
	<-done
	if run := latestRun(t, e, r.ID); run.ID != first.ID || run.Outcome != roger.OutcomeRunning {
		t.Fatalf("after the crash: run %+v; want run %d running", *run, first.ID)
	}

	// The crashed instance's lease runs out; B takes over.
	e.clk.Advance(DefaultLease + time.Second)
	_, _, stopB := startScheduler(t, e, e.openStore(), "instance-b", 2)
	for {
		var run *roger.SyncRun
		if !waitFor(60*time.Second, func() bool {
			run = latestRun(t, e, r.ID)
			return run.ID != first.ID && (run.Outcome == roger.OutcomeOK || run.Outcome == roger.OutcomeWaiting)
		}) {
			t.Fatalf("instance B did not take over:%s", describe(t, e, []*roger.Replicator{r}))
		}
		if run.Outcome == roger.OutcomeOK {
			break
		}
		toReset(t, e, []*roger.Replicator{r})
	}
	stopB()
	runs, err := e.store.ListSyncRuns(context.Background(), r.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].ID != first.ID || runs[1].Outcome != roger.OutcomeFailed || !strings.Contains(runs[1].Error, "interrupted") ||
		runs[1].Ended.IsZero() || runs[0].Outcome != roger.OutcomeOK || runs[0].Read != records-1000 {
		for _, run := range runs {
			t.Logf("run %+v", *run)
		}
		t.Fatalf("want the interrupted run failed and a second run that read the remaining %d records", records-1000)
	}
	assertEqualOn(t, e, e.store, r, false)
}
