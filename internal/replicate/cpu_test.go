package replicate

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// TestCPUShareBounds: however many goroutines ask, no more than the share's
// cores run at once, and a cancelled wait gives up.
func TestCPUShareBounds(t *testing.T) {
	for _, cores := range []int{1, 3} {
		c := NewCPUShare(cores)
		var inside, most atomic.Int32
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_ = c.do(context.Background(), func() error {
					n := inside.Add(1)
					for {
						m := most.Load()
						if n <= m || most.CompareAndSwap(m, n) {
							break
						}
					}
					time.Sleep(time.Millisecond)
					inside.Add(-1)
					return nil
				})
			})
		}
		wg.Wait()
		if got := most.Load(); got != int32(cores) {
			t.Errorf("share of %d cores: at most %d ran at once, want exactly %d", cores, got, cores)
		}
	}
	c := NewCPUShare(1)
	hold := make(chan struct{})
	go func() { _ = c.do(context.Background(), func() error { <-hold; return nil }) }()
	for c.sem.TryAcquire(1) {
		c.sem.Release(1)
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := c.do(ctx, func() error { ran = true; return nil }); err == nil || ran {
		t.Errorf("a cancelled wait for a held share: err %v, ran %v", err, ran)
	}
	close(hold)
	if NewCPUShare(0).Cores() != 1 || (*CPUShare)(nil).Cores() != 0 {
		t.Error("a share of 0 cores must allow one; none must say 0")
	}
}

// TestSyncsShareOneCore: four first loads at once, paced, through a share
// of one core with one page a commit, so that the reader of each waits
// for the share while its writer holds it: they all finish, equal to
// their sources.
func TestSyncsShareOneCore(t *testing.T) {
	divisions := []int{testDivision, testDivision + 1, testDivision + 2, testDivision + 3}
	e := newEnv(t, envOptions{divisions: divisions})
	e.syncer.CPU = NewCPUShare(1)
	e.syncer.Pace = true
	e.syncer.PagesPerCommit = 1
	var reps []int64
	for _, d := range divisions {
		e.seed(d, 200, 1200)
		reps = append(reps, e.addReplicator(replicatorOptions{division: d}).ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(reps))
	for i, id := range reps {
		wg.Go(func() {
			_, errs[i] = e.syncer.Sync(context.Background(), id, roger.TriggerManual)
		})
	}
	wg.Wait()
	for i, id := range reps {
		if errs[i] != nil {
			t.Fatalf("sync of replicator %d: %v", id, errs[i])
		}
		if n := e.assertEqual(e.replicator(id)); n != 1200 {
			t.Errorf("replicator %d holds %d entries, want 1200", id, n)
		}
	}
}
