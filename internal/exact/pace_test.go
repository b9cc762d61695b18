package exact

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/exactsim"
)

// TestBudgetPace: a paced client lets a few calls go back to back, as an
// increment makes them, then spreads a division's calls across the
// minute, one every second at Exact's 60 a minute, where an unpaced one
// spends them back to back; nothing is refused.
func TestBudgetPace(t *testing.T) {
	for _, pace := range []bool{false, true} {
		t.Run(map[bool]string{false: "burst", true: "paced"}[pace], func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 5, 0)
			e.login()
			e.clk.Advance(20 * time.Second)
			e.cfg.Pace = pace
			c := e.client()
			var id string
			if err := c.SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error { id = rows[0].ID; return nil }); err != nil {
				t.Fatal(err)
			}
			// The first call learned the limit only from its answer; the
			// bucket holds paceBurst calls from the second on.
			start := e.clk.Now()
			const calls = paceBurst + 5
			for i := range calls {
				if _, err := c.Account(context.Background(), testDivision, id); err != nil {
					t.Fatalf("call %d: %v", i+2, err)
				}
			}
			elapsed := e.clk.Now().Sub(start)
			sleeps := e.sleeps.Slept()
			if r := e.sim.Stats().Rejected; r != 0 {
				t.Fatalf("Exact refused %d calls", r)
			}
			if !pace {
				if len(sleeps) != 0 || elapsed != 0 {
					t.Fatalf("unpaced: slept %v (%v in all), want no wait with the minute's calls left", sleeps, elapsed)
				}
				return
			}
			// paceBurst calls at once, then one a second.
			if len(sleeps) != calls-paceBurst || elapsed != (calls-paceBurst)*time.Second {
				t.Fatalf("paced: slept %v (%v in all), want %d waits of a second", sleeps, elapsed, calls-paceBurst)
			}
			for _, s := range sleeps {
				if s != time.Second {
					t.Fatalf("paced: slept %v, want a second between calls", sleeps)
				}
			}
			// After a quiet while the bucket is full again: a few calls
			// go at once.
			e.clk.Advance(time.Minute)
			for range 3 {
				if _, err := c.Account(context.Background(), testDivision, id); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(e.sleeps.Slept()); n != calls-paceBurst {
				t.Fatalf("calls a minute after the last ones waited (%d waits, want %d)", n, calls-paceBurst)
			}
		})
	}
}
