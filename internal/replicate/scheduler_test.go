package replicate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// syncLog watches every sync of both schedulers: which instance is inside
// Syncer.Sync for which replicator, from its run's creation to its end.
type syncLog struct {
	mu       sync.Mutex
	active   map[int64]string // replicator -> instance syncing it now
	overlaps []string
	runs     []loggedRun
}

type loggedRun struct {
	id         int64
	owner      string
	start, end time.Time
	outcome    roger.SyncOutcome
	err        string
}

func newSyncLog() *syncLog { return &syncLog{active: map[int64]string{}} }

func (l *syncLog) enter(id int64, owner string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if other, ok := l.active[id]; ok {
		l.overlaps = append(l.overlaps, fmt.Sprintf("replicator %d: %s started a sync while %s was syncing it", id, owner, other))
	}
	l.active[id] = owner
	l.runs = append(l.runs, loggedRun{id: id, owner: owner, start: time.Now()})
}

func (l *syncLog) exit(id int64, owner string, run *roger.SyncRun) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active[id] == owner {
		delete(l.active, id)
	}
	for i := len(l.runs) - 1; i >= 0; i-- {
		if r := &l.runs[i]; r.id == id && r.owner == owner && r.end.IsZero() {
			r.end, r.outcome, r.err = time.Now(), run.Outcome, run.Error
			break
		}
	}
}

// write checks that a change to replicator id comes from the instance
// syncing it.
func (l *syncLog) write(id int64, owner, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active[id] != owner {
		l.overlaps = append(l.overlaps, fmt.Sprintf("replicator %d: %s wrote %s while %q was syncing it", id, owner, what, l.active[id]))
	}
}

func (l *syncLog) activeOf(owner string) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []int64
	for id, o := range l.active {
		if o == owner {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func (l *syncLog) all() []loggedRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]loggedRun(nil), l.runs...)
}

var errDead = errors.New("this instance was killed")

// instanceStore is one instance's view of the database: every call the
// Syncer and the Scheduler make goes through it, so the log sees them, and
// killing the instance stops them all at once, as a crash would (its
// leases are not released).
type instanceStore struct {
	st    *sqlstore.Store
	owner string
	log   *syncLog
	dead  atomic.Bool
}

func (s *instanceStore) check() error {
	if s.dead.Load() {
		return errDead
	}
	return nil
}

func (s *instanceStore) FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.st.FindReplicatorByID(ctx, id)
}

func (s *instanceStore) ClientSecret(ctx context.Context, id int64) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	return s.st.ClientSecret(ctx, id)
}

func (s *instanceStore) TokenStore(id int64) roger.TokenStore {
	return &instanceTokens{inner: s.st.TokenStore(id), s: s}
}

func (s *instanceStore) ApplyPages(ctx context.Context, pages []roger.Page) (roger.PageResult, error) {
	if err := s.check(); err != nil {
		return roger.PageResult{}, err
	}
	s.log.write(pages[0].ReplicatorID, s.owner, "a page")
	return s.st.ApplyPages(ctx, pages)
}

func (s *instanceStore) StartFullSync(ctx context.Context, id int64, moveDate int64) (int64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	s.log.write(id, s.owner, "the start of a full pass")
	return s.st.StartFullSync(ctx, id, moveDate)
}

func (s *instanceStore) FinishFullSync(ctx context.Context, id, pass int64) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	s.log.write(id, s.owner, "the reconciliation")
	return s.st.FinishFullSync(ctx, id, pass)
}

func (s *instanceStore) SetDivisionChecked(ctx context.Context, id int64, at time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.st.SetDivisionChecked(ctx, id, at)
}

func (s *instanceStore) SetState(ctx context.Context, id int64, state roger.ReplicatorState, message string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.st.SetState(ctx, id, state, message)
}

// instanceReports is one instance's view of the replicator service: the
// log sees its runs begin and end there, and a killed instance reports
// nothing more.
type instanceReports struct {
	roger.SyncReporter
	s *instanceStore
}

func (r *instanceReports) RunStarted(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun) error {
	if err := r.s.check(); err != nil {
		return err
	}
	if err := r.SyncReporter.RunStarted(ctx, rep, run); err != nil {
		return err
	}
	r.s.log.enter(run.ReplicatorID, r.s.owner)
	return nil
}

func (r *instanceReports) PageApplied(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun) error {
	if err := r.s.check(); err != nil {
		return err
	}
	return r.SyncReporter.PageApplied(ctx, rep, run)
}

func (r *instanceReports) RunEnded(ctx context.Context, rep *roger.Replicator, run *roger.SyncRun, runErr error) error {
	r.s.log.exit(run.ReplicatorID, r.s.owner, run)
	if err := r.s.check(); err != nil {
		return err
	}
	return r.SyncReporter.RunEnded(ctx, rep, run, runErr)
}

func (s *instanceStore) ClaimDue(ctx context.Context, owner string, lease time.Duration, limit int) ([]*roger.Replicator, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.st.ClaimDue(ctx, owner, lease, limit)
}

func (s *instanceStore) RenewLease(ctx context.Context, id int64, owner string, lease time.Duration) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.st.RenewLease(ctx, id, owner, lease)
}

func (s *instanceStore) ReleaseLease(ctx context.Context, id int64, owner string, next time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.st.ReleaseLease(ctx, id, owner, next)
}

func (s *instanceStore) ReleaseLeaseToWait(ctx context.Context, id int64, owner string, until time.Time, daily bool) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.st.ReleaseLeaseToWait(ctx, id, owner, until, daily)
}

type instanceTokens struct {
	inner roger.TokenStore
	s     *instanceStore
}

func (t *instanceTokens) LoadToken(ctx context.Context) (*roger.Token, error) {
	if err := t.s.check(); err != nil {
		return nil, err
	}
	return t.inner.LoadToken(ctx)
}

func (t *instanceTokens) UpdateToken(ctx context.Context, fn func(*roger.Token) (*roger.Token, error)) error {
	if err := t.s.check(); err != nil {
		return err
	}
	return t.inner.UpdateToken(ctx, fn)
}

// waitFor polls cond every 5 ms until it holds or the time is up.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

func TestTwoSchedulersOnePostgres(t *testing.T) {
	admin := os.Getenv("ROGER_TEST_POSTGRES")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("ROGER_TEST_POSTGRES is not set: CI must run the scheduler test on PostgreSQL")
		}
		t.Skip("ROGER_TEST_POSTGRES is not set")
	}
	const n = 20
	divisions := make([]int, n)
	for i := range divisions {
		divisions[i] = 200001 + i
	}
	// The wall clock: schedulers, leases and tickers run for real.
	e := newEnv(t, envOptions{realClock: true, dsn: sqltest.FreshPostgres(t, admin), divisions: divisions,
		sim: exactsim.Options{MinutelyLimit: -1, DailyLimit: -1}})
	reps := make([]*roger.Replicator, n)
	for i, d := range divisions {
		contacts := 150
		if i%7 == 0 {
			contacts = 2500 // three pages: these syncs outlast a lease
		}
		e.seed(d, 40, contacts)
		reps[i] = e.addReplicator(replicatorOptions{division: d, interval: time.Second})
		delay := 15 * time.Millisecond
		if i%7 == 0 {
			delay = 1200 * time.Millisecond
		}
		e.fault(exactsim.Fault{Kind: exactsim.FaultSlow, Delay: delay, Path: "/sync/", ClientID: reps[i].ClientID})
	}

	// Long enough that a race-instrumented run on a busy machine renews
	// in time (a stall longer than the lease is a lost lease, and another
	// instance may then rightly start the same replicator), short enough
	// that the slow syncs above outlast it and must renew.
	const lease = 3 * time.Second
	log := newSyncLog()
	// The schedulers' warnings (with the errors behind a failed run's
	// message) are shown when the test fails.
	var warnings lockedBuffer
	quiet := slog.New(slog.NewTextHandler(&warnings, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("scheduler warnings:\n%s", warnings.String())
		}
	})
	type instance struct {
		store  *instanceStore
		sched  *Scheduler
		cancel context.CancelFunc
		done   chan error
	}
	start := func(owner string, st *sqlstore.Store) *instance {
		is := &instanceStore{st: st, owner: owner, log: log}
		sy := e.newSyncer(is)
		sy.Reports = &instanceReports{SyncReporter: sy.Reports, s: is}
		sc := &Scheduler{Store: is, Syncer: sy, Owner: owner, Workers: 4, Lease: lease, Poll: 20 * time.Millisecond,
			RetryAfter: time.Second, Log: quiet}
		ctx, cancel := context.WithCancel(context.Background())
		in := &instance{store: is, sched: sc, cancel: cancel, done: make(chan error, 1)}
		go func() { in.done <- sc.Run(ctx) }()
		return in
	}
	began := time.Now()
	a := start("instance-a", e.store)
	b := start("instance-b", e.openStore())
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			a.cancel()
			b.cancel()
			<-a.done
			<-b.done
		}
	})

	// Users keep editing relations meanwhile.
	mutating, stopMutating := context.WithCancel(context.Background())
	mutatorDone := make(chan struct{})
	go func() {
		defer close(mutatorDone)
		rng := rand.New(rand.NewPCG(3, 4))
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-mutating.Done():
				return
			case <-tick.C:
				_, _ = e.sim.Mutate(divisions[rng.IntN(n)], exactsim.Mutation{Entity: "contacts", Creates: rng.IntN(3), Updates: rng.IntN(4), Deletes: rng.IntN(2)})
			}
		}
	}()
	defer stopMutating()

	syncedOK := func(id int64, owner string, after time.Time) bool {
		for _, r := range log.all() {
			if r.id == id && (owner == "" || r.owner == owner) && r.outcome == roger.OutcomeOK && !r.start.Before(after) {
				return true
			}
		}
		return false
	}
	if !waitFor(30*time.Second, func() bool {
		for _, r := range reps {
			if !syncedOK(r.ID, "", began) {
				return false
			}
		}
		return time.Since(began) > 1500*time.Millisecond
	}) {
		t.Fatal("not every replicator was synced within 30 s")
	}

	// Kill instance A while it syncs: no further database call, no lease
	// released. Instance B must take its replicators over once their
	// leases have run out.
	var held []int64
	if !waitFor(10*time.Second, func() bool { held = log.activeOf("instance-a"); return len(held) > 0 }) {
		t.Fatal("instance A synced nothing for 10 s")
	}
	killedAt := time.Now()
	a.store.dead.Store(true)
	a.cancel()
	<-a.done
	t.Logf("killed instance A %v after the start while it synced replicators %v", killedAt.Sub(began).Round(time.Millisecond), held)
	for _, id := range held {
		if !waitFor(20*time.Second, func() bool { return syncedOK(id, "instance-b", killedAt) }) {
			t.Errorf("instance B did not take replicator %d over from the killed instance A", id)
			continue
		}
		for _, r := range log.all() {
			if r.id == id && r.owner == "instance-b" && r.start.After(killedAt) {
				t.Logf("replicator %d: taken over by B %v after the kill (lease %v)", id, r.start.Sub(killedAt).Round(time.Millisecond), lease)
				break
			}
		}
	}

	// Stop the edits; once B has synced everything after that, the
	// directory must equal the source.
	time.Sleep(500 * time.Millisecond)
	stopMutating()
	<-mutatorDone
	quietSince := time.Now()
	if !waitFor(30*time.Second, func() bool {
		for _, r := range reps {
			if !syncedOK(r.ID, "instance-b", quietSince) {
				return false
			}
		}
		return true
	}) {
		t.Fatal("instance B did not sync every replicator after the edits stopped")
	}
	b.cancel()
	if err := <-b.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	stopped = true
	elapsed := time.Since(began)
	// A graceful stop releases every lease at once, so that another
	// instance need not wait for them to run out.
	db, err := sql.Open("pgx", e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var leased int
	if err := db.QueryRow(`SELECT COUNT(*) FROM replicators WHERE lease_owner = 'instance-b'`).Scan(&leased); err != nil {
		t.Fatal(err)
	}
	if leased != 0 {
		t.Errorf("%d replicators are still leased to instance B after it stopped", leased)
	}

	runs := log.all()
	count := map[string]int{}
	per := map[int64]int{}
	for _, r := range runs {
		count[r.owner]++
		per[r.id]++
		switch {
		case r.owner == "instance-a" && !r.end.Before(killedAt):
			// cut short by the kill
		case r.end.IsZero():
			t.Errorf("replicator %d: a sync of %s never ended", r.id, r.owner)
		case r.outcome != roger.OutcomeOK && !(r.owner == "instance-b" && strings.Contains(r.err, "stopped before it finished")):
			t.Errorf("replicator %d: a sync of %s failed: %s", r.id, r.owner, r.err)
		}
	}
	t.Logf("%v (wall clock): %d syncs by A, %d by B; syncs per replicator %v", elapsed.Round(time.Millisecond), count["instance-a"], count["instance-b"], per)
	log.mu.Lock()
	overlaps := log.overlaps
	log.mu.Unlock()
	for _, o := range overlaps {
		t.Error(o)
	}
	for _, r := range reps {
		assertEqualOn(t, e, e.store, r, false)
	}
}

// lockedBuffer is a bytes.Buffer that several goroutines may write.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
