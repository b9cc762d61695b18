package password

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrBusy is returned by a Gate when no hash could start within its wait.
var ErrBusy = errors.New("too many passwords are being checked at once")

// Gate bounds how many hashes run at once (a nil *Gate does not). An
// argon2id hash holds its memory (19 MiB at Default) until it ends, so a
// burst of sign-ins must queue rather than hash all together; and one that
// has queued too long is turned away, so that the queue, too, stays short.
type Gate struct {
	slots chan struct{}
	wait  time.Duration

	mu    sync.Mutex
	stats GateStats
}

// GateStats counts what a Gate did.
type GateStats struct {
	Hashes   int64 // hashes computed
	Refused  int64 // callers turned away with ErrBusy
	InFlight int   // hashes running now
	Peak     int   // the most that ran at once
}

// NewGate returns a Gate that runs at most n hashes at once and lets a
// caller wait up to wait for a turn. n below 1 is taken as 1.
func NewGate(n int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// Verify is Verify run in a turn of the gate; ErrBusy when no turn came
// within the gate's wait, ctx's error when ctx ended first.
func (g *Gate) Verify(ctx context.Context, pw, encoded string) error {
	var err error
	if gerr := g.do(ctx, func() { err = Verify(pw, encoded) }); gerr != nil {
		return gerr
	}
	return err
}

// Hash is Hash run in a turn of the gate.
func (g *Gate) Hash(ctx context.Context, pw string, p Params) (string, error) {
	var (
		h   string
		err error
	)
	if gerr := g.do(ctx, func() { h, err = Hash(pw, p) }); gerr != nil {
		return "", gerr
	}
	return h, err
}

// Stats returns the gate's counts so far.
func (g *Gate) Stats() GateStats {
	if g == nil {
		return GateStats{}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

// do runs fn when a slot is free. A nil Gate runs it at once.
func (g *Gate) do(ctx context.Context, fn func()) error {
	if g == nil {
		fn()
		return nil
	}
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			g.mu.Lock()
			g.stats.Refused++
			g.mu.Unlock()
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.mu.Lock()
	g.stats.InFlight++
	g.stats.Peak = max(g.stats.Peak, g.stats.InFlight)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.stats.InFlight--
		g.stats.Hashes++
		g.mu.Unlock()
		<-g.slots
	}()
	fn()
	return nil
}
