package exact

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
)

// TestBudgetWaitsAtMinuteBoundary: 70 calls at Exact's 60 a minute wait
// for the minutely reset instead of being refused.
func TestBudgetWaitsAtMinuteBoundary(t *testing.T) {
	tests := []struct {
		name string
		call func(c *Client, id string) error
	}{
		{"regular endpoint", func(c *Client, id string) error {
			_, err := c.Account(context.Background(), testDivision, id)
			return err
		}},
		{"sync endpoint", func(c *Client, _ string) error {
			return c.SyncDeleted(context.Background(), testDivision, EntityTypeAccount, 0, "", func([]Deleted, string) error { return nil })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 5, 0)
			e.login()
			e.clk.Advance(20 * time.Second) // mid-minute, as real runs are
			c := e.client()
			var id string
			if err := c.SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error { id = rows[0].ID; return nil }); err != nil {
				t.Fatal(err)
			}
			for i := range 69 {
				if err := tc.call(c, id); err != nil {
					t.Fatalf("call %d: %v", i+2, err)
				}
			}
			if r := e.sim.Stats().Rejected; r != 0 {
				t.Fatalf("Exact refused %d calls", r)
			}
			if c.Calls() != 70 {
				t.Fatalf("%d calls, want 70", c.Calls())
			}
			sleeps := e.sleeps.Slept()
			if len(sleeps) != 1 || sleeps[0] != 40*time.Second+resetMargin {
				t.Fatalf("sleeps %v, want one wait to the next minute", sleeps)
			}
			daily, minutely, dailyReset, minutelyReset, known := c.budget.Remaining()
			if !known || daily != 5000-70 || minutely != 60-10 {
				t.Fatalf("Remaining = %d daily, %d minutely, known %v", daily, minutely, known)
			}
			if !dailyReset.Equal(time.Date(2026, 6, 26, 0, 0, 0, 0, time.UTC)) || !minutelyReset.Equal(time.Date(2026, 6, 25, 14, 26, 0, 0, time.UTC)) {
				t.Fatalf("resets %v %v", dailyReset, minutelyReset)
			}
		})
	}
}

// TestBudgetSharedInProcess: two clients of one registry share the
// budget, so together they never overrun it.
func TestBudgetSharedInProcess(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 5, 0)
	e.login()
	a, b := e.client(), e.client()
	if e.reg.Get(e.cfg.ClientID, testDivision) != a.budget || a.budget != b.budget {
		t.Fatal("the registry hands out different budgets for one (client, division)")
	}
	if e.reg.Get(e.cfg.ClientID, testDivision2) == a.budget || e.reg.Get("other", testDivision) == a.budget {
		t.Fatal("the registry shares budgets across divisions or apps")
	}
	for i := range 70 {
		c := a
		if i%2 == 1 {
			c = b
		}
		if err := c.SyncDeleted(context.Background(), testDivision, EntityTypeContact, 0, "", func([]Deleted, string) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.sim.Stats().Rejected; r != 0 {
		t.Fatalf("Exact refused %d calls", r)
	}
}

// TestBudgetDailyLimit: with the day used up the client refuses at once
// with the reset time instead of waiting hours, and goes on after it.
func TestBudgetDailyLimit(t *testing.T) {
	e := newEnv(t, exactsim.Options{DailyLimit: 5}, "", 5, 0)
	e.login()
	c := e.client()
	call := func() error {
		return c.SyncDeleted(context.Background(), testDivision, EntityTypeAccount, 0, "", func([]Deleted, string) error { return nil })
	}
	for i := range 5 {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	err := call()
	re := wantCode(t, err, roger.EUNAVAILABLE)
	if !strings.Contains(re.Message, "2026-06-26 00:00 UTC") {
		t.Fatalf("message does not name the reset: %q", re.Message)
	}
	if c.Calls() != 5 || e.sim.Stats().APICalls != 5 || len(e.sleeps.Slept()) != 0 {
		t.Fatalf("%d calls sent, %d sleeps: the refused call must not go out", c.Calls(), len(e.sleeps.Slept()))
	}
	e.clk.Set(time.Date(2026, 6, 26, 0, 0, 1, 0, time.UTC))
	if err := call(); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
}

// TestBudget429FromOtherBudget: another process (a second registry) spent
// the minute; the client's 429 makes it wait for the minutely reset in
// the 429's headers, and the retry succeeds.
func TestBudget429FromOtherBudget(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 5, 0)
	e.login()
	e.clk.Advance(5 * time.Second)
	a := e.client()
	other := NewClient(e.cfg, e.tokens, NewBudgetRegistry(e.clk).Get(e.cfg.ClientID, testDivision))
	call := func(c *Client) error {
		return c.SyncDeleted(context.Background(), testDivision, EntityTypeAccount, 0, "", func([]Deleted, string) error { return nil })
	}
	if err := call(a); err != nil {
		t.Fatal(err)
	}
	for range 59 {
		if err := call(other); err != nil {
			t.Fatal(err)
		}
	}
	if err := call(a); err != nil {
		t.Fatal(err)
	}
	if r := e.sim.Stats().Rejected; r != 1 {
		t.Fatalf("%d refused, want exactly the one 429", r)
	}
	if a.Calls() != 3 {
		t.Fatalf("%d calls, want 3 (one, the 429, its retry)", a.Calls())
	}
	if s := e.sleeps.Slept(); len(s) != 1 || s[0] != 55*time.Second+resetMargin {
		t.Fatalf("sleeps %v, want one to the minutely reset", s)
	}
}

// TestBudget429WithoutHeaders: a 429 with no rate-limit headers waits
// 60 s. (The simulator always sends them, so a small server stands in.)
func TestBudget429WithoutHeaders(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"d":{"results":[]}}`))
	}))
	defer srv.Close()
	clk := clock.NewFake(testStart)
	sl := &clock.Sleeper{Clock: clk}
	cfg := Config{BaseURL: srv.URL, ClientID: "c", Clock: clk, Sleep: sl.Sleep}
	store := &memStore{}
	store.set(&roger.Token{AccessToken: "a", RefreshToken: "r", Obtained: testStart, Expiry: testStart.Add(time.Hour)})
	c := NewClient(cfg, NewTokenSource(cfg, store), NewBudgetRegistry(clk).Get("c", testDivision))
	if err := c.SyncDeleted(context.Background(), testDivision, 2, 0, "", func([]Deleted, string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s := sl.Slept(); len(s) != 1 || s[0] != blindPenalty+resetMargin {
		t.Fatalf("sleeps %v, want one of 61 s", s)
	}
	if c.Calls() != 2 {
		t.Fatalf("%d calls", c.Calls())
	}
}

// TestErrorBudgetBlock: Exact blocks an endpoint after ten 4xx answers
// within an hour. The client never retried a 404, and the block's 429
// (with a message, without rate-limit headers) fails at once.
func TestErrorBudgetBlock(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 5, 0)
	e.login()
	c := e.client()
	for i := range 10 {
		_, err := c.Account(context.Background(), testDivision, "0b5e4c43-2c3a-4a4e-9d55-00000000000"+string(rune('0'+i)))
		wantCode(t, err, roger.ENOTFOUND)
	}
	_, err := c.Account(context.Background(), testDivision, "0b5e4c43-2c3a-4a4e-9d55-000000000000")
	re := wantCode(t, err, roger.EUNAVAILABLE)
	if !strings.Contains(re.Message, "blocked") || c.Calls() != 11 || len(e.sleeps.Slept()) != 0 {
		t.Fatalf("%q after %d calls, sleeps %v", re.Message, c.Calls(), e.sleeps.Slept())
	}
}

func TestBudgetObserve(t *testing.T) {
	clk := clock.NewFake(time.Date(2023, 5, 12, 8, 18, 25, 0, time.UTC))
	b := newBudget(clk)
	if _, _, _, _, known := b.Remaining(); known {
		t.Fatal("known before any header")
	}
	// The headers of picqer#609, from Exact itself.
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "4766")
	h.Set("X-RateLimit-Reset", "1683936000000")
	h.Set("X-RateLimit-Minutely-Limit", "60")
	h.Set("X-RateLimit-Minutely-Remaining", "58")
	h.Set("X-RateLimit-Minutely-Reset", "1683879540000")
	b.observe(200, h)
	d, m, dr, mr, known := b.Remaining()
	if !known || d != 4766 || m != 58 || !dr.Equal(time.Date(2023, 5, 13, 0, 0, 0, 0, time.UTC)) || !mr.Equal(time.Date(2023, 5, 12, 8, 19, 0, 0, time.UTC)) {
		t.Fatalf("Remaining = %d %d %v %v %v", d, m, dr, mr, known)
	}
	// An answer that overtook a later one does not raise the count.
	h.Set("X-RateLimit-Minutely-Remaining", "59")
	b.observe(200, h)
	if _, m, _, _, _ := b.Remaining(); m != 58 {
		t.Fatalf("minutely %d after a stale answer, want 58", m)
	}
	// A minutely 429 carries only the minutely headers.
	h429 := http.Header{}
	h429.Set("X-RateLimit-Minutely-Limit", "60")
	h429.Set("X-RateLimit-Minutely-Remaining", "0")
	h429.Set("X-RateLimit-Minutely-Reset", "1683879540000")
	b.observe(429, h429)
	if d, m, _, _, _ := b.Remaining(); d != 4766 || m != 0 {
		t.Fatalf("after a minutely 429: daily %d minutely %d", d, m)
	}
	// After the reset the minute is full again.
	clk.Set(time.Date(2023, 5, 12, 8, 19, 1, 0, time.UTC))
	if _, m, _, mr, _ := b.Remaining(); m != 60 || !mr.Equal(time.Date(2023, 5, 12, 8, 20, 0, 0, time.UTC)) {
		t.Fatalf("after the reset: minutely %d reset %v", m, mr)
	}
	// Garbage headers are ignored.
	bad := http.Header{}
	bad.Set("X-RateLimit-Remaining", "lots")
	b.observe(200, bad)
	if d, _, _, _, _ := b.Remaining(); d != 4766 {
		t.Fatalf("daily %d after garbage", d)
	}
}

func TestBudgetTakeCancelled(t *testing.T) {
	clk := clock.NewFake(testStart)
	b := newBudget(clk)
	h := http.Header{}
	h.Set("X-RateLimit-Minutely-Remaining", "0")
	h.Set("X-RateLimit-Minutely-Reset", "1782397500000")
	b.observe(429, h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.take(ctx, clock.Sleep, false, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestBudgetRegistryPeek(t *testing.T) {
	reg := NewBudgetRegistry(nil)
	if b, ok := reg.Peek("c", 1); ok || b != nil {
		t.Fatalf("Peek on an empty registry = %v, %v", b, ok)
	}
	got := reg.Get("c", 1)
	if b, ok := reg.Peek("c", 1); !ok || b != got {
		t.Errorf("Peek = %p, %v; want the budget Get made, %p", b, ok, got)
	}
	if _, ok := reg.Peek("c", 2); ok {
		t.Error("Peek found a budget for another division")
	}
}

// TestBudgetYield: a client made with Config.Yield neither sleeps nor
// sends a call its budget cannot pay for; it says until when to wait, the
// minute's reset or the day's, and a 429 from a budget it did not know of
// (another process spent the minute) ends the same way.
func TestBudgetYield(t *testing.T) {
	syncDeleted := func(c *Client) error {
		return c.SyncDeleted(context.Background(), testDivision, EntityTypeAccount, 0, "", func([]Deleted, string) error { return nil })
	}
	t.Run("minute", func(t *testing.T) {
		e := newEnv(t, exactsim.Options{MinutelyLimit: 3}, "", 5, 0)
		e.login()
		e.clk.Advance(20 * time.Second)
		e.cfg.Yield = true
		c := e.client()
		for i := range 3 {
			if err := syncDeleted(c); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		var w *BudgetWait
		if err := syncDeleted(c); !errors.As(err, &w) {
			t.Fatalf("the fourth call: %v, want a *BudgetWait", err)
		}
		if want := time.Date(2026, 6, 25, 14, 25, 0, 0, time.UTC).Add(resetMargin); w.Daily || !w.Until.Equal(want) {
			t.Fatalf("wait %+v, want until %v, not daily", w, want)
		}
		if c.Calls() != 3 || len(e.sleeps.Slept()) != 0 {
			t.Fatalf("%d calls, sleeps %v: the call must neither go out nor wait", c.Calls(), e.sleeps.Slept())
		}
		e.clk.Set(w.Until)
		if err := syncDeleted(c); err != nil {
			t.Fatalf("at the reset: %v", err)
		}
	})
	t.Run("day", func(t *testing.T) {
		e := newEnv(t, exactsim.Options{DailyLimit: 2}, "", 5, 0)
		e.login()
		e.cfg.Yield = true
		c := e.client()
		for range 2 {
			if err := syncDeleted(c); err != nil {
				t.Fatal(err)
			}
		}
		var w *BudgetWait
		if err := syncDeleted(c); !errors.As(err, &w) {
			t.Fatalf("the third call: %v, want a *BudgetWait", err)
		}
		if want := time.Date(2026, 6, 26, 0, 0, 0, 0, time.UTC).Add(resetMargin); !w.Daily || !w.Until.Equal(want) {
			t.Fatalf("wait %+v, want daily until %v", w, want)
		}
		if !strings.Contains(w.Error(), "2026-06-26 00:00:01 UTC") {
			t.Fatalf("message does not name the reset: %q", w.Error())
		}
	})
	t.Run("429 from a budget spent elsewhere", func(t *testing.T) {
		e := newEnv(t, exactsim.Options{MinutelyLimit: 2}, "", 5, 0)
		e.login()
		e.clk.Advance(5 * time.Second)
		other := NewClient(e.cfg, e.tokens, NewBudgetRegistry(e.clk).Get(e.cfg.ClientID, testDivision))
		for range 2 {
			if err := syncDeleted(other); err != nil {
				t.Fatal(err)
			}
		}
		e.cfg.Yield = true
		c := e.client()
		var w *BudgetWait
		if err := syncDeleted(c); !errors.As(err, &w) {
			t.Fatalf("after a 429: %v, want a *BudgetWait", err)
		}
		if c.Calls() != 1 || len(e.sleeps.Slept()) != 0 || !w.Until.Equal(time.Date(2026, 6, 25, 14, 25, 0, 0, time.UTC).Add(resetMargin)) {
			t.Fatalf("%d calls, sleeps %v, wait %+v: want the one refused call and a wait to the reset", c.Calls(), e.sleeps.Slept(), w)
		}
	})
}
