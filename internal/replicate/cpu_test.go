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

// TestIncrementsAreUrgent: an increment's first pages go through the
// share's urgent view, so they never queue behind first loads; an
// increment that turns out to be long, and every page of a full pass,
// are bulk work.
func TestIncrementsAreUrgent(t *testing.T) {
	share := cpushare.New(1)
	inc := newRunCPU(share, &roger.Replicator{})
	if inc.share() == share {
		t.Error("an increment's first page is bulk work")
	}
	for page := 1; page <= urgentPages; page++ {
		if inc.next(1) == share {
			t.Errorf("page %d of an increment is bulk work", page)
		}
	}
	if inc.next(1) != share || inc.share() != share {
		t.Errorf("page %d of an increment is still urgent", urgentPages+1)
	}
	full := newRunCPU(share, &roger.Replicator{FullSync: true})
	if full.share() != share || full.next(1) != share {
		t.Error("a full pass's pages are urgent")
	}
	if newRunCPU(nil, &roger.Replicator{}).share() != nil {
		t.Error("without a share, runs must not get one")
	}
}
