package exact

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/exactsim"
)

// TestBudgetPace: a paced client spreads a division's calls across the
// minute, one every second at Exact's 60 a minute, where an unpaced one
// spends them back to back; it still waits for the reset when the minute's
// calls are spent, and nothing is refused.
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
			start := e.clk.Now()
			for i := range 9 {
				if _, err := c.Account(context.Background(), testDivision, id); err != nil {
					t.Fatalf("call %d: %v", i+2, err)
				}
			}
			elapsed := e.clk.Now().Sub(start)
			sleeps := e.sleeps.Slept()
			if !pace {
				if len(sleeps) != 0 || elapsed != 0 {
					t.Fatalf("unpaced: slept %v (%v in all), want no wait with the minute's calls left", sleeps, elapsed)
				}
				return
			}
			// The first call learned the limit only from its answer, so
			// the call after it went at once.
			if len(sleeps) != 8 || elapsed != 8*time.Second {
				t.Fatalf("paced: slept %v (%v in all), want eight waits of a second", sleeps, elapsed)
			}
			for _, s := range sleeps {
				if s != time.Second {
					t.Fatalf("paced: slept %v, want a second between calls", sleeps)
				}
			}
			// A call made long after the last one goes at once.
			e.clk.Advance(5 * time.Second)
			if _, err := c.Account(context.Background(), testDivision, id); err != nil {
				t.Fatal(err)
			}
			if n := len(e.sleeps.Slept()); n != 8 {
				t.Fatalf("a call 5 s after the last one waited (%d waits)", n)
			}
			if r := e.sim.Stats().Rejected; r != 0 {
				t.Fatalf("Exact refused %d calls", r)
			}
		})
	}
}
