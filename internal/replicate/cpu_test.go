package replicate

import (
	"context"
	"sync"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/cpushare"
)

// TestSyncsShareOneCore: four first loads at once, paced, through a share
// of half a core with one page a commit, so that the reader of each waits
// for the share while its writer holds it, and all wait for the time
// they took: they all finish, equal to their sources, and the share
// counted their time.
func TestSyncsShareOneCore(t *testing.T) {
	divisions := []int{testDivision, testDivision + 1, testDivision + 2, testDivision + 3}
	e := newEnv(t, envOptions{divisions: divisions})
	e.syncer.CPU = cpushare.New(0.5)
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
	if used, _ := e.syncer.CPU.Stats(); used <= 0 {
		t.Errorf("the share counted %v of work for four loads", used)
	}
}
