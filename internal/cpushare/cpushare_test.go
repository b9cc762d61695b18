package cpushare

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/clock"
)

func fakeShare(cores float64) (*Share, *clock.Fake, *clock.Sleeper) {
	s := New(cores)
	f := clock.NewFake(time.Unix(1_000_000, 0))
	sleeper := &clock.Sleeper{Clock: f}
	s.clock, s.sleep = f.Now, sleeper.Sleep
	s.measure = s.clockTime
	s.at = f.Now()
	return s, f, sleeper
}

// TestShareKeepsItsCores: work that runs flat out through a share of
// half a core takes, with the waits the share makes it do, twice its own
// time: half a core. The first slices run on the lent burst.
func TestShareKeepsItsCores(t *testing.T) {
	s, f, slept := fakeShare(0.5)
	start := f.Now()
	for range 100 {
		if err := s.Do(context.Background(), func() error { f.Advance(10 * time.Millisecond); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := f.Now().Sub(start)
	used, waited := s.Stats()
	if used != time.Second {
		t.Errorf("used %v, want 1s", used)
	}
	// 1 s of work at half a core needs 2 s, less the burst lent at the
	// start (25 ms of work, 50 ms of time) and the last slice's debt,
	// which is paid by whoever comes next.
	if elapsed < 1900*time.Millisecond || elapsed > 2000*time.Millisecond {
		t.Errorf("1 s of work through half a core took %v, want about 2 s", elapsed)
	}
	if waited != elapsed-used || len(slept.Slept()) == 0 {
		t.Errorf("waited %v in %d sleeps; want %v", waited, len(slept.Slept()), elapsed-used)
	}
}

// TestShareDoesNotSlowSparseWork: work that uses less than the share
// never waits.
func TestShareDoesNotSlowSparseWork(t *testing.T) {
	s, f, slept := fakeShare(1)
	for range 50 {
		if err := s.Do(context.Background(), func() error { f.Advance(5 * time.Millisecond); return nil }); err != nil {
			t.Fatal(err)
		}
		f.Advance(20 * time.Millisecond) // the network, between pages
	}
	if len(slept.Slept()) != 0 {
		t.Errorf("work using a fifth of a share of one core waited %d times", len(slept.Slept()))
	}
}

// TestShareBoundsHolders: however many goroutines ask, no more than
// ceil(cores) run at once, and a cancelled wait gives up without running.
func TestShareBoundsHolders(t *testing.T) {
	for _, tc := range []struct {
		cores float64
		want  int32
	}{{1, 1}, {2.5, 3}, {0.3, 1}} {
		s := New(tc.cores)
		var c concurrency
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() { _ = s.Do(context.Background(), c.work) })
		}
		wg.Wait()
		if got := c.most.Load(); got > tc.want || got < 1 {
			t.Errorf("share of %v cores: at most %d ran at once, want at most %d", tc.cores, got, tc.want)
		}
	}
	s := New(1)
	hold := make(chan struct{})
	held := make(chan struct{})
	go func() { _ = s.Do(context.Background(), func() error { close(held); <-hold; return nil }) }()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := s.Do(ctx, func() error { ran = true; return nil }); err == nil || ran {
		t.Errorf("a cancelled wait for a held share: err %v, ran %v", err, ran)
	}
	close(hold)
}

// TestNilShareDoesNotBound: a nil share runs work at once and counts
// nothing; so does its meter.
func TestNilShareDoesNotBound(t *testing.T) {
	var s *Share
	ran := false
	if err := s.Do(context.Background(), func() error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("nil share: err %v, ran %v", err, ran)
	}
	if err := s.Meter().Pause(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Cores() != 0 {
		t.Error("a nil share must say 0 cores")
	}
	if New(0).Cores() != 0.05 {
		t.Errorf("a share of 0 cores allows %v, want the least, 0.05", New(0).Cores())
	}
}

// TestMeterCountsLongWork: work read in pieces from one long query pays
// for its time at each pause, like work in slices.
func TestMeterCountsLongWork(t *testing.T) {
	s, f, _ := fakeShare(0.25)
	m := s.Meter()
	start := f.Now()
	for range 20 {
		f.Advance(25 * time.Millisecond)
		if err := m.Pause(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 500 ms of work at a quarter of a core: 2 s, less the burst.
	if elapsed := f.Now().Sub(start); elapsed < 1900*time.Millisecond || elapsed > 2000*time.Millisecond {
		t.Errorf("500 ms of metered work through a quarter core took %v, want about 2 s", elapsed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Advance(time.Second)
	if err := m.Pause(ctx); err == nil {
		t.Error("a pause that must wait gave no error for an ended context")
	}
}

// TestUrgentWorkGoesFirst: small work people wait for runs at once, even
// while bulk work holds every slot and the share owes time, and the bulk
// work pays for it; it is bounded by slots of its own.
func TestUrgentWorkGoesFirst(t *testing.T) {
	s, f, slept := fakeShare(0.5)
	urgent := s.Urgent()
	// Bulk work spends the share: it now owes 200 ms.
	if err := s.Do(context.Background(), func() error { f.Advance(225 * time.Millisecond); return nil }); err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := urgent.Do(context.Background(), func() error { ran = true; f.Advance(50 * time.Millisecond); return nil }); err != nil || !ran {
		t.Fatalf("urgent work while the share owes time: err %v, ran %v", err, ran)
	}
	if len(slept.Slept()) != 0 {
		t.Errorf("urgent work waited %v", slept.Slept())
	}
	// The next bulk slice pays for both: 225 + 50 ms of work, less the
	// 25 ms lent, at half a core is 500 ms, of which 50 ms passed.
	if err := s.Do(context.Background(), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	var waited time.Duration
	for _, d := range slept.Slept() {
		waited += d
	}
	if waited != 450*time.Millisecond {
		t.Errorf("bulk work after urgent work waited %v, want 450ms", waited)
	}
	if used, _ := urgent.Stats(); used != 275*time.Millisecond {
		t.Errorf("the share counted %v of work, want 275ms", used)
	}

	// Urgent work takes no slot: it runs while bulk work holds the only one.
	real := New(1)
	hold, held := make(chan struct{}), make(chan struct{})
	go func() { _ = real.Do(context.Background(), func() error { close(held); <-hold; return nil }) }()
	<-held
	done := make(chan struct{})
	go func() { _ = real.Urgent().Do(context.Background(), func() error { return nil }); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("urgent work waited for the slot bulk work holds")
	}
	// Urgent work has slots of its own: no more of it runs at once than
	// the share has cores (rounded up).
	var c concurrency
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { _ = real.Urgent().Do(context.Background(), c.work) })
	}
	wg.Wait()
	if c.most.Load() != 1 {
		t.Errorf("urgent work of a share of one core: %d ran at once, want 1", c.most.Load())
	}
	close(hold)
	if s.Urgent().Urgent().Cores() != 0.5 || (*Share)(nil).Urgent() != nil {
		t.Error("a view of a view must be the same share; a nil share's view nil")
	}
}

// concurrency counts the most calls of work that ran at once.
type concurrency struct{ inside, most atomic.Int32 }

func (c *concurrency) work() error {
	n := c.inside.Add(1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(time.Millisecond)
	c.inside.Add(-1)
	return nil
}
