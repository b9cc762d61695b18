// Package cpushare bounds the processor time that background work takes
// in a process that also answers lookups: the syncs of many organisations
// (decoding Exact's pages, turning them into entries, writing them) and
// the lookup index following what they wrote. Lookups are short and
// cannot wait; a first load can, by a few milliseconds a page, without
// anyone noticing. So the background work runs in slices through one
// Share, which lets it keep at most a set number of cores busy, averaged
// over a fraction of a second, and leaves the rest of the machine free:
// a machine with no spare time queues every lookup behind the work.
package cpushare

import (
	"context"
	"math"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/roger365io/roger/internal/clock"
)

// burst is how much time above its cores the share lends before it makes
// work wait: enough that a slice never waits in a quiet process, little
// enough that a second of flat-out work cannot take a whole core from
// the lookups.
const burst = 50 * time.Millisecond

// Share bounds the processor time its holders use. Work in Do runs when a
// slot is free (at most ceil(cores) at once) and the share owes no time;
// the processor time Do's function took (its thread's, where the system
// tells it; else the time on the clock) is then owed and paid back at
// cores seconds a second. A nil *Share does not bound.
type Share struct {
	cores float64
	slots *semaphore.Weighted
	// urgentSlots bound the urgent work that runs at once, apart from
	// the bulk work's slots, so it never waits behind a first load.
	urgentSlots *semaphore.Weighted
	clock       func() time.Time
	sleep       func(context.Context, time.Duration) error
	// measure runs fn and says how much processor time it took.
	measure func(fn func() error) (time.Duration, error)

	// urgentOf is set on the view Urgent returns: its work runs at once
	// and is charged to this share.
	urgentOf *Share

	mu     sync.Mutex
	credit time.Duration // may be negative: time owed
	at     time.Time     // when credit was brought up to date
	waited time.Duration // all the time Do waited for credit
	used   time.Duration // all the time Do's functions ran
}

// New returns a share of cores cores (below 0.05 means 0.05).
func New(cores float64) *Share {
	cores = max(cores, 0.05)
	s := &Share{cores: cores, slots: semaphore.NewWeighted(int64(math.Ceil(cores))), urgentSlots: semaphore.NewWeighted(int64(math.Ceil(cores))),
		clock: time.Now, sleep: clock.Sleep, credit: burst, at: time.Now()}
	s.measure = s.threadTime
	return s
}

// threadTime runs fn on a thread of its own and counts the processor time
// that thread used: a page written to PostgreSQL spends most of its time
// waiting for the server, which is not this process's work (the server,
// usually on another machine, has its own), and a page that waits for a
// core is not using one. Where the system cannot tell a thread's time,
// the clock counts instead.
func (s *Share) threadTime(fn func() error) (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, ok := threadCPU()
	start := s.clock()
	err := fn()
	if after, ok2 := threadCPU(); ok && ok2 {
		return after - before, err
	}
	return s.clock().Sub(start), err
}

// clockTime runs fn and counts the time it took on the clock.
func (s *Share) clockTime(fn func() error) (time.Duration, error) {
	start := s.clock()
	err := fn()
	return s.clock().Sub(start), err
}

// Default is the share of the cores Go may use (GOMAXPROCS, which follows
// a container's CPU limit) that background work gets unless configured:
// 40 %, which on a machine of two cores leaves more than one to lookups,
// the portal and whatever runs beside roger.
func Default() float64 { return 0.4 * float64(runtime.GOMAXPROCS(0)) }

// Urgent returns a view of the share for small work that people wait
// for, such as an increment's few dozen records or a webhook's one: its Do
// runs without waiting for credit, in slots of its own (as many as the
// bulk work's), and the time it takes is charged to the share, so that
// the bulk work of first loads waits for it instead. Were increments to
// queue behind the pages of twenty first loads, changes would show
// minutes late; were they unbounded, a hundred followers computing at
// once would take the lookups' cores.
func (s *Share) Urgent() *Share {
	if s == nil || s.urgentOf != nil {
		return s
	}
	return &Share{urgentOf: s, cores: s.cores}
}

// Cores is how many cores the share lets its holders keep busy.
func (s *Share) Cores() float64 {
	if s == nil {
		return 0
	}
	return s.cores
}

// Stats are the total time holders ran and waited for the share's
// credit: waiting says the share, not the work's own pace, set its speed.
func (s *Share) Stats() (used, waited time.Duration) {
	if s == nil {
		return 0, 0
	}
	if s.urgentOf != nil {
		return s.urgentOf.Stats()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.waited
}

// Do runs fn within the share. fn must not wait for another holder of
// the share (such as a full queue another holder empties), or holders
// could wait for each other forever. It returns fn's error, or the
// context's if it ended while waiting.
func (s *Share) Do(ctx context.Context, fn func() error) error {
	if s == nil {
		return fn()
	}
	if p := s.urgentOf; p != nil {
		if err := p.urgentSlots.Acquire(ctx, 1); err != nil {
			return err
		}
		defer p.urgentSlots.Release(1)
		took, err := p.measure(fn)
		p.charge(took)
		return err
	}
	if err := s.slots.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.slots.Release(1)
	if err := s.wait(ctx); err != nil {
		return err
	}
	took, err := s.measure(fn)
	s.charge(took)
	// A slice that ran long gives the scheduler a turn at once, so a
	// lookup that became ready meanwhile runs before the next slice.
	runtime.Gosched()
	return err
}

// charge counts took as time the share's work ran.
func (s *Share) charge(took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refill()
	s.credit -= took
	s.used += took
}

// wait waits until the share owes no time, or ctx ends.
func (s *Share) wait(ctx context.Context) error {
	for {
		owed := s.owed()
		if owed <= 0 {
			return nil
		}
		if err := s.sleep(ctx, owed); err != nil {
			return err
		}
		s.mu.Lock()
		s.waited += owed
		s.mu.Unlock()
	}
}

// owed is how long a holder must wait before the share has paid back the
// time its holders took beyond the cores.
func (s *Share) owed() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refill()
	if s.credit >= 0 {
		return 0
	}
	return time.Duration(float64(-s.credit) / s.cores)
}

// refill brings credit up to date; s.mu is held.
func (s *Share) refill() {
	now := s.clock()
	if d := now.Sub(s.at); d > 0 {
		s.credit = min(s.credit+time.Duration(float64(d)*s.cores), time.Duration(float64(burst)*s.cores))
	}
	s.at = now
}

// Meter counts work that cannot be cut into calls of Do, such as rows
// read from one long query, against a share: the work calls Pause between
// pieces, which charges the time since the previous Pause, on the clock,
// and waits while the share owes time. A Meter takes no slot; it is for
// one goroutine.
type Meter struct {
	s    *Share
	last time.Time
}

// Meter starts metering work from now.
func (s *Share) Meter() *Meter {
	if s == nil {
		return &Meter{}
	}
	if s.urgentOf != nil {
		s = s.urgentOf
	}
	return &Meter{s: s, last: s.clock()}
}

// Pause charges the time since the previous Pause (or the Meter's start)
// and waits until the share owes none, or ctx ends.
func (m *Meter) Pause(ctx context.Context) error {
	s := m.s
	if s == nil {
		return nil
	}
	s.charge(s.clock().Sub(m.last))
	if err := s.wait(ctx); err != nil {
		return err
	}
	runtime.Gosched()
	m.last = s.clock()
	return nil
}

// Turn gives the scheduler a turn every 64th round of a loop of
// background work (i counts the rounds). Go lets a goroutine run 10 ms
// before it preempts it for another that is ready; a lookup that becomes
// ready while every core runs background work would wait that long. A
// turn every few hundred microseconds of work costs well under one per
// cent of it.
func Turn(i int) {
	if i&63 == 63 {
		runtime.Gosched()
	}
}
