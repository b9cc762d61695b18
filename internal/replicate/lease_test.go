package replicate

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// reclaimingLeases hands out the same replicator at every claim, as the
// database does when the lease of a sync under way ran out before its
// renewal (a slow database, a loaded machine) and its holder claims again.
type reclaimingLeases struct {
	r      *roger.Replicator
	polled chan struct{}
}

func (l *reclaimingLeases) ClaimDue(context.Context, string, time.Duration, int) ([]*roger.Replicator, error) {
	select {
	case l.polled <- struct{}{}:
	default:
	}
	return []*roger.Replicator{l.r}, nil
}

func (l *reclaimingLeases) RenewLease(context.Context, int64, string, time.Duration) error {
	return nil
}

func (l *reclaimingLeases) ReleaseLease(context.Context, int64, string, time.Time) error { return nil }

func (l *reclaimingLeases) ReleaseLeaseToWait(context.Context, int64, string, time.Time, bool) error {
	return nil
}

// blockingSyncStore holds every sync at its first step until released.
type blockingSyncStore struct {
	Store
	entered atomic.Int32
	enters  chan struct{}
	release chan struct{}
}

func (s *blockingSyncStore) FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error) {
	s.entered.Add(1)
	s.enters <- struct{}{}
	<-s.release
	return nil, errors.New("released")
}

func TestSchedulerNeverSyncsAReplicatorTwiceAtOnce(t *testing.T) {
	leases := &reclaimingLeases{r: &roger.Replicator{ID: 7, Interval: time.Minute}, polled: make(chan struct{})}
	store := &blockingSyncStore{enters: make(chan struct{}, 8), release: make(chan struct{})}
	sc := &Scheduler{Store: leases, Syncer: &Syncer{Store: store}, Owner: "a", Workers: 4, Poll: time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx) }()
	var once sync.Once
	stop := func() {
		// Cancelled first: a sync that ends while the scheduler still
		// runs leaves the replicator due, and a second sync after it
		// would be right.
		once.Do(func() {
			cancel()
			close(store.release)
			<-done
		})
	}
	defer stop()
	// Once the sync has begun, three more polls claim the replicator again.
	<-store.enters
	for polls := 0; polls < 3; {
		select {
		case <-leases.polled:
			polls++
		case <-store.enters:
			t.Fatalf("a second sync of the replicator began while the first ran (claim %d after it)", polls+1)
		}
	}
	stop()
	if n := store.entered.Load(); n != 1 {
		t.Fatalf("%d syncs of one replicator; want 1", n)
	}
}

// dueOnceLeases is the database's claim for one replicator: it is handed
// out when due and not leased, and its claim takes the due mark away, as
// ClaimDue clears webhook_pending and sync_requested.
type dueOnceLeases struct {
	mu     sync.Mutex
	r      *roger.Replicator
	due    bool
	leased bool
	claims chan struct{}
}

func (l *dueOnceLeases) ClaimDue(context.Context, string, time.Duration, int) ([]*roger.Replicator, error) {
	l.mu.Lock()
	defer func() {
		l.mu.Unlock()
		select {
		case l.claims <- struct{}{}:
		default:
		}
	}()
	if !l.due || l.leased {
		return nil, nil
	}
	l.due, l.leased = false, true
	return []*roger.Replicator{l.r}, nil
}

func (l *dueOnceLeases) markDue() {
	l.mu.Lock()
	l.due = true
	l.mu.Unlock()
}

func (l *dueOnceLeases) RenewLease(context.Context, int64, string, time.Duration) error { return nil }

func (l *dueOnceLeases) ReleaseLease(context.Context, int64, string, time.Time) error {
	l.mu.Lock()
	l.leased = false
	l.mu.Unlock()
	return nil
}

func (l *dueOnceLeases) ReleaseLeaseToWait(ctx context.Context, id int64, owner string, _ time.Time, _ bool) error {
	return l.ReleaseLease(ctx, id, owner, time.Time{})
}

// TestWhatCameDuringASyncIsTakenWhenItEnds: a webhook event that arrives
// while the replicator syncs wakes a claim that cannot take it (it is
// leased); when the sync ends, the replicator is claimed again at once,
// not at the next poll an hour later.
func TestWhatCameDuringASyncIsTakenWhenItEnds(t *testing.T) {
	leases := &dueOnceLeases{r: &roger.Replicator{ID: 7, Interval: time.Minute}, due: true, claims: make(chan struct{}, 1)}
	store := &blockingSyncStore{enters: make(chan struct{}, 8), release: make(chan struct{})}
	sc := &Scheduler{Store: leases, Syncer: &Syncer{Store: store}, Owner: "a", Workers: 4, Poll: time.Hour,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx) }()
	defer func() {
		cancel()
		close(store.release)
		<-done
	}()
	<-store.enters
	// The event is stored and the receiver wakes the scheduler, whose
	// claim finds the replicator leased.
	<-leases.claims
	leases.markDue()
	sc.Wake()
	<-leases.claims
	store.release <- struct{}{}
	select {
	case <-store.enters:
	case <-time.After(30 * time.Second):
		t.Fatal("the replicator made due during its sync was not synced again after it; it waits for the next poll")
	}
}
