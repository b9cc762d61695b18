package web

import (
	"sync"
	"time"

	"github.com/roger365io/roger"
)

// Throttle counts failed sign-ins per account and per client address and
// refuses further attempts once either passes its limit within the window.
// It counts every e-mail address typed, existing or not, so that being
// throttled says nothing about which accounts exist. Counts live in the
// process: with several instances an attacker gets each instance's limit,
// which still bounds guessing to a few attempts a minute.
type Throttle struct {
	// PerAccount and PerIP are the failures allowed within Window.
	PerAccount int
	PerIP      int
	Window     time.Duration

	clock roger.Clock
	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewThrottle returns a Throttle allowing 5 failures an account and 20 an
// address in 15 minutes. clk may be nil.
func NewThrottle(clk roger.Clock) *Throttle {
	return &Throttle{PerAccount: 5, PerIP: 20, Window: 15 * time.Minute, clock: clk, fails: map[string][]time.Time{}}
}

func (t *Throttle) now() time.Time {
	if t.clock == nil {
		return time.Now()
	}
	return t.clock.Now()
}

// recent drops failures older than the window and returns the rest.
func (t *Throttle) recent(key string, now time.Time) []time.Time {
	list := t.fails[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= t.Window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(t.fails, key)
	} else {
		t.fails[key] = list
	}
	return list
}

// Wait returns how long the account and address must wait before another
// attempt, 0 when they may try now.
func (t *Throttle) Wait(account, ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range []struct {
		key   string
		limit int
	}{{"a:" + account, t.PerAccount}, {"i:" + ip, t.PerIP}} {
		list := t.recent(k.key, now)
		if len(list) >= k.limit {
			// Free again when the oldest failure that counts leaves the window.
			if w := list[len(list)-k.limit].Add(t.Window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// Fail records a failed attempt.
func (t *Throttle) Fail(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.fails["a:"+account] = append(t.recent("a:"+account, now), now)
	t.fails["i:"+ip] = append(t.recent("i:"+ip, now), now)
	if len(t.fails) > 100_000 {
		// A spray of addresses must not grow memory without bound.
		for k := range t.fails {
			t.recent(k, now)
		}
	}
}

// Succeed forgets an account's failures after a successful sign-in.
func (t *Throttle) Succeed(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, "a:"+account)
}
