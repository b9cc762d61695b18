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
