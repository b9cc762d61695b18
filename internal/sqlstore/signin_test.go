package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func TestReserveSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		const window = 15 * time.Minute
		account := roger.SignInLimit{Key: "a:anna", Max: 3}
		addr := roger.SignInLimit{Key: "i:192.0.2.1", Max: 5}
		start := f.clock.Now()
		reserve := func(limits ...roger.SignInLimit) (string, time.Time) {
			t.Helper()
			id, retry, err := f.store.ReserveSignIn(ctx, limits, f.clock.Now(), window)
			if err != nil {
				t.Fatal(err)
			}
			return id, retry
		}
		var ids []string
		for i := range 3 {
			id, retry := reserve(account, addr)
			if id == "" || !retry.IsZero() {
				t.Fatalf("attempt %d refused until %v", i+1, retry)
			}
			ids = append(ids, id)
			f.clock.Advance(time.Minute)
		}
		// The account is used up until its first attempt leaves the window.
		if id, retry := reserve(account, addr); id != "" || !retry.Equal(start.Add(window)) {
			t.Fatalf("fourth attempt: %q, retry at %v, want %v", id, retry, start.Add(window))
		}
		// A refused attempt is not counted: another account from the same
		// address still has two attempts there.
		other := roger.SignInLimit{Key: "a:bert", Max: 3}
		for i := range 2 {
			if id, _ := reserve(other, addr); id == "" {
				t.Fatalf("other account, attempt %d refused", i+1)
			}
		}
		if id, retry := reserve(other, addr); id != "" || !retry.Equal(start.Add(window)) {
			t.Fatalf("the address's sixth attempt: %q, retry at %v", id, retry)
		}
		// A refund gives one attempt back; forgetting the account gives
		// all of its attempts back, but not the address's.
		if err := f.store.RefundSignIn(ctx, ids[2]); err != nil {
			t.Fatal(err)
		}
		if id, _ := reserve(account); id == "" {
			t.Fatal("refused after a refund")
		}
		if err := f.store.RefundSignIn(ctx, ids[0], account.Key); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if id, _ := reserve(account); id == "" {
				t.Fatalf("attempt %d after the account was forgotten refused", i+1)
			}
		}
		// The address kept the attempts of the other account: 3 of 5.
		for i := range 2 {
			if id, _ := reserve(addr); id == "" {
				t.Fatalf("the address's attempt %d refused", i+4)
			}
		}
		if id, _ := reserve(addr); id != "" {
			t.Fatal("forgetting the account gave the address all its attempts back")
		}
		// The window slides.
		f.clock.Set(start.Add(window + 3*time.Minute))
		if id, _ := reserve(other, addr); id == "" {
			t.Fatal("refused after the window passed")
		}
		n, err := f.store.PruneSignIns(ctx, f.clock.Now().Add(-window))
		if err != nil || n == 0 {
			t.Fatalf("prune removed %d, %v", n, err)
		}
	})
}

// TestReserveSignInConcurrently reserves at once from many goroutines and
// from two stores on one database, as two instances would: no more than
// Max are let through.
func TestReserveSignInConcurrently(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		stores := []*Store{f.store, f.open()}
		limits := []roger.SignInLimit{{Key: "a:anna", Max: 5}, {Key: "i:192.0.2.1", Max: 20}}
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			passed int
		)
		for i := range 60 {
			wg.Go(func() {
				id, _, err := stores[i%2].ReserveSignIn(context.Background(), limits, f.clock.Now(), 15*time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if id != "" {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if passed != 5 {
			t.Fatalf("%d of 60 concurrent attempts passed a limit of 5", passed)
		}
	})
}
