package exact

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

const (
	// resetMargin is added to a minutely reset before calling again, so a
	// clock a little behind Exact's does not call into the old window.
	resetMargin = time.Second
	// blindPenalty is the wait after a 429 that carried no rate-limit
	// headers at all (picqer#646 saw such answers).
	blindPenalty = 60 * time.Second
)

// BudgetRegistry hands out one Budget per (client id, division), which is
// what Exact counts its limits per. Every client of one process that
// reads the same division with the same app must share it.
type BudgetRegistry struct {
	clk     roger.Clock
	mu      sync.Mutex
	budgets map[budgetKey]*Budget
}

type budgetKey struct {
	clientID string
	division int
}

// NewBudgetRegistry returns an empty registry; clk nil means the system
// clock.
func NewBudgetRegistry(clk roger.Clock) *BudgetRegistry {
	if clk == nil {
		clk = clock.System{}
	}
	return &BudgetRegistry{clk: clk, budgets: map[budgetKey]*Budget{}}
}

// Get returns the budget of (clientID, division), the same one every time.
func (r *BudgetRegistry) Get(clientID string, division int) *Budget {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := budgetKey{clientID: clientID, division: division}
	b, ok := r.budgets[k]
	if !ok {
		b = newBudget(r.clk)
		r.budgets[k] = b
	}
	return b
}

// Peek returns the budget of (clientID, division) when one exists,
// without making one: a reader such as a metrics scrape must not fill the
// registry with budgets nobody calls through.
func (r *BudgetRegistry) Peek(clientID string, division int) (*Budget, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.budgets[budgetKey{clientID: clientID, division: division}]
	return b, ok
}

// Budget is the rate-limit budget of one (client id, division), fed by
// the X-RateLimit-* headers of Exact's answers. It never lets a call go
// that it knows will be refused: with no minutely calls left it waits for
// the minutely reset, and with no daily calls left it refuses with an
// EUNAVAILABLE error naming the reset, since waiting hours is the
// caller's decision.
type Budget struct {
	clk roger.Clock

	mu       sync.Mutex
	daily    limit
	minutely limit
	// paceAt is when the pace's bucket is full again (see pace.go).
	paceAt time.Time
}

// limit is what is known of one of Exact's two counters.
type limit struct {
	known     bool
	max       int // 0 when Exact did not say
	remaining int
	reset     time.Time
}

func newBudget(clk roger.Clock) *Budget {
	if clk == nil {
		clk = clock.System{}
	}
	return &Budget{clk: clk}
}

// Remaining reports the last known state for display ("calls used
// today"). known is false until Exact has sent its headers once.
func (b *Budget) Remaining() (daily, minutely int, dailyReset, minutelyReset time.Time, known bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clk.Now()
	b.daily.roll(now, 24*time.Hour)
	b.minutely.roll(now, time.Minute)
	return max(b.daily.remaining, 0), max(b.minutely.remaining, 0), b.daily.reset, b.minutely.reset, b.daily.known || b.minutely.known
}

// roll starts the next window once the reset has passed: Exact resets the
// minutely counter on the whole minute and the daily one at 00:00 UTC.
func (l *limit) roll(now time.Time, period time.Duration) {
	if !l.known || l.reset.IsZero() || now.Before(l.reset) {
		return
	}
	n := now.Sub(l.reset)/period + 1
	l.reset = l.reset.Add(n * period)
	if l.max > 0 {
		l.remaining = l.max
	} else {
		l.known = false
	}
}

// budgetTicket records which windows a call was counted in, so that a
// call that never went out can be given back.
type budgetTicket struct {
	daily, minutely time.Time // zero when that counter was not known
}

// BudgetWait is what a client made with Config.Yield returns instead of
// waiting for its rate-limit budget: the call was not sent, and may be
// from Until on. A sync that gets it keeps what it has read and gives its
// worker back until then, instead of holding it idle for up to a minute
// (or until midnight).
type BudgetWait struct {
	// Until is when the window resets, with the margin for clocks a
	// little behind Exact's.
	Until time.Time
	// Daily says the day's calls are spent (Until is 00:00 UTC); else
	// the minute's are.
	Daily bool
}

// Error says what is waited for, in words fit for a person.
func (w *BudgetWait) Error() string {
	if w.Daily {
		return "This app has used its API calls for today in this Exact Online division; roger goes on at " + w.Until.UTC().Format("2006-01-02 15:04:05") + " UTC."
	}
	return "This app has used its API calls for this minute in this Exact Online division; roger goes on at " + w.Until.UTC().Format("15:04:05") + " UTC."
}

// take waits until a call may go and counts it. Counting before the
// answer comes keeps concurrent callers from spending the same last call.
// With yield it does not wait: it returns a *BudgetWait.
func (b *Budget) take(ctx context.Context, sleep func(context.Context, time.Duration) error, yield, pace bool) (budgetTicket, error) {
	for {
		b.mu.Lock()
		now := b.clk.Now()
		b.daily.roll(now, 24*time.Hour)
		b.minutely.roll(now, time.Minute)
		if b.daily.known && b.daily.remaining <= 0 {
			l := b.daily
			b.mu.Unlock()
			if yield {
				return budgetTicket{}, &BudgetWait{Until: l.reset.Add(resetMargin), Daily: true}
			}
			return budgetTicket{}, dailyExhausted(l)
		}
		if b.minutely.known && b.minutely.remaining <= 0 {
			wait := b.minutely.reset.Sub(now) + resetMargin
			b.mu.Unlock()
			if yield {
				return budgetTicket{}, &BudgetWait{Until: now.Add(wait)}
			}
			if err := sleep(ctx, wait); err != nil {
				return budgetTicket{}, err
			}
			continue
		}
		if pace {
			if wait := b.paceWait(now); wait > 0 {
				b.mu.Unlock()
				if err := sleep(ctx, wait); err != nil {
					return budgetTicket{}, err
				}
				continue
			}
		}
		var t budgetTicket
		if b.daily.known {
			b.daily.remaining--
			t.daily = b.daily.reset
		}
		if b.minutely.known {
			b.minutely.remaining--
			t.minutely = b.minutely.reset
		}
		if pace {
			b.paced(now)
		}
		b.mu.Unlock()
		return t, nil
	}
}

// refund gives back a call that take counted but that was never sent,
// if its window is still the current one.
func (b *Budget) refund(t budgetTicket) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.daily.known && !t.daily.IsZero() && b.daily.reset.Equal(t.daily) {
		b.daily.remaining++
	}
	if b.minutely.known && !t.minutely.IsZero() && b.minutely.reset.Equal(t.minutely) {
		b.minutely.remaining++
	}
}

func dailyExhausted(l limit) error {
	n := "its daily API calls"
	if l.max > 0 {
		n = "its " + strconv.Itoa(l.max) + " API calls a day"
	}
	return &roger.Error{Code: roger.EUNAVAILABLE, Op: "exact.Budget",
		Message: "This app has used " + n + " for this Exact Online division; the limit resets at " +
			l.reset.UTC().Format("2006-01-02 15:04") + " UTC, and roger continues after that."}
}

// observe reads the rate-limit headers of an answer. A 429 carries only
// the headers of the limit it hit, so each counter is updated only from
// its own headers.
func (b *Budget) observe(status int, h http.Header) {
	now := b.clk.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	sawDaily := b.daily.update(h, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", nextUTCMidnight(now))
	sawMinutely := b.minutely.update(h, "X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset", now.Truncate(time.Minute).Add(time.Minute))
	if status == http.StatusTooManyRequests && !sawDaily && !sawMinutely {
		b.minutely.known = true
		b.minutely.remaining = 0
		b.minutely.reset = now.Add(blindPenalty)
	}
}

// update applies one counter's headers and reports whether any came.
func (l *limit) update(h http.Header, maxName, remainingName, resetName string, defaultReset time.Time) bool {
	maxV, okMax := headerInt(h, maxName)
	rem, okRem := headerInt(h, remainingName)
	resetMS, okReset := headerInt(h, resetName)
	if !okMax && !okRem && !okReset {
		return false
	}
	if okMax && maxV > 0 {
		l.max = int(min(maxV, 1<<31-1))
	}
	if !okRem {
		return true
	}
	reset := defaultReset
	if okReset && resetMS > 0 && resetMS < 253402300799999 {
		reset = time.UnixMilli(resetMS).UTC()
	}
	remaining := int(max(min(rem, 1<<31-1), 0))
	// Answers to concurrent calls arrive in any order; within one window
	// the count only falls, so the lowest figure is the truest.
	if l.known && l.reset.Equal(reset) {
		l.remaining = min(l.remaining, remaining)
	} else {
		l.remaining, l.reset = remaining, reset
	}
	l.known = true
	return true
}

func headerInt(h http.Header, name string) (int64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

func nextUTCMidnight(now time.Time) time.Time {
	u := now.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
}
