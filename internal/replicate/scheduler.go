package replicate

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// DefaultLease is how long a scheduler's claim on a replicator lasts
// without renewal when Scheduler.Lease is not set.
const DefaultLease = 30 * time.Second

// LeaseStore is what the scheduler needs of the database (*sqlstore.Store).
type LeaseStore interface {
	ClaimDue(ctx context.Context, owner string, lease time.Duration, limit int) ([]*roger.Replicator, error)
	RenewLease(ctx context.Context, id int64, owner string, lease time.Duration) error
	ReleaseLease(ctx context.Context, id int64, owner string, next time.Time) error
	ReleaseLeaseToWait(ctx context.Context, id int64, owner string, until time.Time, daily bool) error
}

// Scheduler claims due replicators with a lease and syncs them on a small
// worker pool. Instances sharing a PostgreSQL database each run one; the
// lease makes sure a replicator is synced by one instance at a time, and a
// crashed instance's replicators are taken over when its leases run out
// (within Lease), or at the next poll by an instance on the same host,
// which sees that the holder's process is gone.
//
// A sync that must wait for Exact's rate limit gives its worker and its
// lease back and is due again when the limit resets, so the workers are
// busy only with work they can do now (fetching, parsing, writing), and a
// replicator waiting on its budget never delays another whose budget has
// calls left.
type Scheduler struct {
	Store  LeaseStore
	Syncer *Syncer
	// Owner names this instance in the leases (host name and process id).
	Owner string
	// Workers is how many replicators sync at once: fetch from Exact,
	// parse and write. Replicators waiting for Exact's rate limit are not
	// counted; they hold no worker. Default 4.
	Workers int
	// Lease is how long a claim lasts without renewal. Default 30 s; a
	// running sync renews it every third of that, so only a crashed or
	// frozen instance loses it, and another resumes its work soon.
	Lease time.Duration
	// Poll is how often due replicators are looked for. Default 5 s.
	Poll time.Duration
	// RetryAfter is when a failed replicator is tried again. Default 5 min.
	RetryAfter time.Duration
	// WebhookInterval is the time between increments of a replicator
	// whose webhooks work, when longer than its own interval: the events
	// bring its changes, and the increment is the safety net that finds
	// what an event missed. 0 keeps every replicator's own interval.
	WebhookInterval time.Duration
	Log             *slog.Logger
	// Clock decides the next sync times; nil means the system clock.
	Clock roger.Clock

	wakeOnce sync.Once
	wake     chan struct{}
	busy     atomic.Int64
}

// Busy returns how many workers are syncing now.
func (s *Scheduler) Busy() int { return int(s.busy.Load()) }

func (s *Scheduler) wakeChan() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Wake makes the scheduler look for due replicators now instead of at
// its next poll: an admin clicked "Sync now".
func (s *Scheduler) Wake() {
	select {
	case s.wakeChan() <- struct{}{}:
	default: // a wake-up is pending already
	}
}

func (s *Scheduler) defaults() {
	if s.Workers <= 0 {
		s.Workers = 4
	}
	if s.Lease <= 0 {
		s.Lease = DefaultLease
	}
	if s.Poll <= 0 {
		s.Poll = 5 * time.Second
	}
	if s.RetryAfter <= 0 {
		s.RetryAfter = 5 * time.Minute
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
}

func (s *Scheduler) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

// Run schedules until ctx ends, then stops claiming, cancels the running
// syncs (each keeps what it committed page by page) and releases their
// leases so another instance can go on at once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.defaults()
	slots := make(chan struct{}, s.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	// running holds the replicators this scheduler syncs now. A lease
	// whose renewal came late can be claimed again by its own holder; the
	// sync under way goes on (the claim extended its lease) and no second
	// one starts.
	var mu sync.Mutex
	running := map[int64]bool{}
	// wakers wake the claim loop when a replicator's rate-limit wait
	// ends, rather than at the next poll after it.
	wakers := map[int64]*time.Timer{}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, t := range wakers {
			t.Stop()
		}
	}()
	tick := time.NewTicker(s.Poll)
	defer tick.Stop()
	for {
		free := s.Workers - len(slots)
		if free > 0 {
			// The claim is not cancelled with ctx: one cut off after the
			// database took it would leave its leases held by an instance
			// that is gone until they run out. It is one short query, and
			// what it claims during a shutdown is handed back below.
			claimed, err := s.Store.ClaimDue(context.WithoutCancel(ctx), s.Owner, s.Lease, free)
			if err != nil && ctx.Err() == nil {
				s.Log.Error("claim due replicators", "err", err)
			}
			for _, r := range claimed {
				mu.Lock()
				again := running[r.ID]
				if ctx.Err() != nil {
					// Shutting down: a claim that came through as it began
					// starts no sync and is handed back, due at once for
					// whoever runs next.
					if !again {
						s.release(ctx, r.ID, s.now())
					}
					mu.Unlock()
					continue
				}
				running[r.ID] = true
				mu.Unlock()
				if again {
					continue
				}
				slots <- struct{}{}
				s.busy.Add(1)
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					defer s.busy.Add(-1)
					next, wait, ours := s.runOne(ctx, r)
					// The release and the end of "running" are one step for
					// the claims above: a claim that took the replicator
					// after the release (due at once when shutting down)
					// must not be mistaken for this sync and left leased.
					mu.Lock()
					switch {
					case ours && wait != nil:
						s.releaseToWait(ctx, r.ID, wait)
						if t := wakers[r.ID]; t != nil {
							t.Stop()
						}
						wakers[r.ID] = time.AfterFunc(max(wait.Until.Sub(s.now()), 0), s.Wake)
					case ours:
						s.release(ctx, r.ID, next)
					}
					delete(running, r.ID)
					mu.Unlock()
					// Webhook events or a "Sync now" that came while it ran
					// made it due again, but its lease kept the claims of
					// that moment from taking it: look now that it is
					// released, not at the next poll.
					s.Wake()
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.wakeChan():
		}
	}
}

// runOne syncs one claimed replicator, renewing its lease meanwhile, and
// returns when it is due next, the rate-limit wait it stopped for (nil
// when it did not), and whether its lease is still this scheduler's to
// release; a lost lease cancels the sync, since another instance now owns
// it.
func (s *Scheduler) runOne(ctx context.Context, r *roger.Replicator) (next time.Time, wait *exact.BudgetWait, ours bool) {
	syncCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	go func() {
		t := time.NewTicker(s.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-syncCtx.Done():
				return
			case <-t.C:
				if err := s.Store.RenewLease(syncCtx, r.ID, s.Owner, s.Lease); err != nil {
					if syncCtx.Err() == nil {
						s.Log.Warn("lease lost; stopping the sync", "replicator", r.ID, "err", err)
						close(lost)
						cancel()
					}
					return
				}
			}
		}
	}()
	trigger := roger.TriggerSchedule
	switch {
	case r.SyncRequested:
		trigger = roger.TriggerManual
	case r.LastSyncAt.IsZero():
		// Never synced: the save that made it active started this one.
		trigger = roger.TriggerFirst
	case r.Webhook.Pending && r.NextSyncAt.After(s.now()):
		// Only events made it due: they are applied, and the scheduled
		// increment stays when it was.
		trigger = roger.TriggerWebhook
	}
	run, err := s.Syncer.SyncUntilWait(syncCtx, r.ID, trigger)
	select {
	case <-lost:
		return time.Time{}, nil, false // the new owner schedules it
	default:
	}
	next = s.now().Add(s.interval(r))
	if trigger == roger.TriggerWebhook {
		next = r.NextSyncAt
		if err != nil {
			next = minTime(next, s.now().Add(s.RetryAfter))
		}
	}
	if run == nil && err == nil {
		return next, nil, true // the events were applied already
	}
	switch {
	case ctx.Err() != nil:
		next = s.now() // shutting down: due at once for whoever runs next
	case errors.As(err, &wait):
		s.Log.Info("sync waits for Exact's rate limit", "replicator", r.ID, "until", wait.Until, "daily", wait.Daily,
			"read", run.Read, "api_calls", run.APICalls)
		return wait.Until, wait, true
	case err != nil:
		next = s.now().Add(min(s.RetryAfter, max(r.Interval, time.Minute)))
		s.Log.Warn("sync failed", "replicator", r.ID, "err", err)
	default:
		s.Log.Info("sync done", "replicator", r.ID, "read", run.Read, "created", run.Created, "updated", run.Updated,
			"deleted", run.Deleted, "api_calls", run.APICalls)
	}
	return next, nil, true
}

// interval is the time until r's next scheduled increment.
func (s *Scheduler) interval(r *roger.Replicator) time.Duration {
	if r.Webhook.On() {
		return max(r.Interval, s.WebhookInterval)
	}
	return r.Interval
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// releaseToWait ends this scheduler's lease on replicator id, which waits
// for Exact's rate limit until w.Until.
func (s *Scheduler) releaseToWait(ctx context.Context, id int64, w *exact.BudgetWait) {
	if err := s.Store.ReleaseLeaseToWait(context.WithoutCancel(ctx), id, s.Owner, w.Until, w.Daily); err != nil && !errors.Is(err, context.Canceled) {
		s.Log.Error("release lease to wait for the rate limit", "replicator", id, "err", err)
	}
}

// release ends this scheduler's lease on replicator id, due again at next.
func (s *Scheduler) release(ctx context.Context, id int64, next time.Time) {
	if err := s.Store.ReleaseLease(context.WithoutCancel(ctx), id, s.Owner, next); err != nil && !errors.Is(err, context.Canceled) {
		s.Log.Error("release lease", "replicator", id, "err", err)
	}
}
