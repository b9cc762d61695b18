package password

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestGateQueuesThenRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := NewGate(2, time.Second)
		release := make(chan struct{})
		results := make(chan error, 4)
		for range 2 {
			go func() { results <- g.do(context.Background(), func() { <-release }) }()
		}
		synctest.Wait()
		if s := g.Stats(); s.InFlight != 2 {
			t.Fatalf("in flight %d, want 2", s.InFlight)
		}
		// A third caller queues; when no slot frees within the wait it is
		// turned away without running.
		ran := false
		go func() { results <- g.do(context.Background(), func() { ran = true }) }()
		time.Sleep(time.Second)
		synctest.Wait()
		if err := <-results; !errors.Is(err, ErrBusy) || ran {
			t.Fatalf("third caller after the wait: %v, ran %v", err, ran)
		}
		// A fourth queues and gets the first slot that frees.
		go func() { results <- g.do(context.Background(), func() { ran = true }) }()
		synctest.Wait()
		release <- struct{}{}
		synctest.Wait()
		for range 2 {
			if err := <-results; err != nil {
				t.Fatal(err)
			}
		}
		if !ran {
			t.Fatal("the queued caller did not run when a slot freed")
		}
		close(release)
		if err := <-results; err != nil {
			t.Fatal(err)
		}
		if s := g.Stats(); s != (GateStats{Hashes: 3, Refused: 1, InFlight: 0, Peak: 2}) {
			t.Fatalf("stats %+v", s)
		}
	})
}

func TestGateHashAndVerify(t *testing.T) {
	g := NewGate(1, time.Second)
	p := Params{Memory: 64, Time: 1, Threads: 1}
	h, err := g.Hash(context.Background(), "secret words", p)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(context.Background(), "secret words", h); err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(context.Background(), "other words", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g.slots <- struct{}{} // every slot taken
	if err := g.Verify(ctx, "secret words", h); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context while queued: %v", err)
	}
}

func TestNilGateHashesAtOnce(t *testing.T) {
	var g *Gate
	h, err := g.Hash(context.Background(), "secret words", Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Verify(context.Background(), "secret words", h); err != nil {
		t.Fatal(err)
	}
	if s := g.Stats(); s != (GateStats{}) {
		t.Fatalf("stats of a nil gate: %+v", s)
	}
}
