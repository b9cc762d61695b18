// Package clock holds the implementations of roger.Clock: the wall clock,
// and clocks tests and the demo move forward (token expiry, rate-limit
// windows, 30-day limits) without waiting for them.
package clock

import (
	"context"
	"sync"
	"time"

	"github.com/roger365io/roger"
)

var (
	_ roger.Clock = System{}
	_ roger.Clock = (*Fake)(nil)
	_ roger.Clock = (*Offset)(nil)
)

// System is the real wall clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// Fake is a clock that only moves when told to. It is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake clock's current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the clock forward by d and returns the new time.
func (f *Fake) Advance(d time.Duration) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	return f.now
}

// Set moves the clock to t, which may be earlier than the current time.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// Offset is the wall clock moved forward by an adjustable amount, so a
// running program can be sent into the future (a token's expiry, the next
// day's rate limit) without waiting. It is safe for concurrent use.
type Offset struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the wall-clock time plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Now().Add(o.offset)
}

// Advance moves the clock forward by d and returns the new time.
func (o *Offset) Advance(d time.Duration) time.Time {
	o.mu.Lock()
	o.offset += d
	o.mu.Unlock()
	return o.Now()
}

// Sleep waits for d unless ctx ends first, and then returns ctx's error.
// Its signature fits the injectable Sleep of the Exact client and Syncer.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Sleeper waits on a Fake clock: instead of waiting it moves the clock
// forward by the time asked for, and remembers every request, so tests of
// code that waits (for a rate-limit reset, a backoff) take no real time.
type Sleeper struct {
	Clock *Fake

	mu    sync.Mutex
	slept []time.Duration
}

// Sleep advances the clock by d, or returns ctx's error if it has ended.
// Its signature fits the injectable Sleep of the Exact client and Syncer.
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.slept = append(s.slept, d)
	s.mu.Unlock()
	if d > 0 {
		s.Clock.Advance(d)
	}
	return nil
}

// Slept returns the waits asked for so far, in order.
func (s *Sleeper) Slept() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.slept...)
}
