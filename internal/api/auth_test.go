package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

// countingKeys knows one key and records the uses written.
type countingKeys struct {
	mu      sync.Mutex
	checks  int
	touches []time.Time
	done    chan struct{}
}

func (k *countingKeys) AuthenticateAPIKey(context.Context, string) (*roger.APIKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.checks++
	return &roger.APIKey{ID: 7, OrgID: 1}, nil
}

func (k *countingKeys) TouchAPIKey(_ context.Context, _ int64, t time.Time) error {
	k.mu.Lock()
	k.touches = append(k.touches, t)
	k.mu.Unlock()
	k.done <- struct{}{}
	return nil
}

// TestTouchWhileCached: a key kept in the cache for longer than the time
// between two records of its use still has its use recorded on time, and
// not more often.
func TestTouchWhileCached(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	keys := &countingKeys{done: make(chan struct{}, 10)}
	a := &authenticator{keys: keys, clock: clk, log: slog.New(slog.DiscardHandler), ttl: 10 * time.Minute, touchEvery: time.Minute,
		touched: map[int64]time.Time{}}
	r := httptest.NewRequest("GET", "/api/v1/lookup?number=1", nil)
	r.Header.Set("Authorization", "Bearer rgr_test")
	use := func() {
		t.Helper()
		if _, err := a.authenticate(r, url.Values{"number": {"1"}}); err != nil {
			t.Fatal(err)
		}
	}
	var want []time.Time
	for _, step := range []struct {
		advance time.Duration
		touched bool
	}{{0, true}, {30 * time.Second, false}, {29 * time.Second, false}, {time.Second, true}, {59 * time.Second, false}, {2 * time.Minute, true}} {
		clk.Advance(step.advance)
		use()
		use()
		if step.touched {
			<-keys.done
			want = append(want, clk.Now())
		}
	}
	keys.mu.Lock()
	defer keys.mu.Unlock()
	if keys.checks != 1 {
		t.Errorf("the key was checked %d times in the cache time; want once", keys.checks)
	}
	if len(keys.touches) != len(want) {
		t.Fatalf("uses recorded at %v; want %v", keys.touches, want)
	}
	for i := range want {
		if !keys.touches[i].Equal(want[i]) {
			t.Errorf("uses recorded at %v; want %v", keys.touches, want)
		}
	}
}
