package dirindex

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestArenaRunsStayWhole: runs of any size up to a block lie in one
// block and read back as written; the blocks room asks for beforehand are
// exactly the ones the runs need, so put never makes one under the lock.
func TestArenaRunsStayWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := newArena[uint16](6) // blocks of 64
	type run struct {
		off  uint32
		vals []uint16
	}
	var written []run
	next := uint16(0)
	for range 200 {
		sizes := make([]int, rng.IntN(8))
		for i := range sizes {
			sizes[i] = []int{0, 1, 5, 63, 64, rng.IntN(65)}[rng.IntN(6)]
		}
		a.grow(a.newBlocks(a.blocksFor(sizes)))
		before := len(a.blocks)
		for _, k := range sizes {
			vals := make([]uint16, k)
			for i := range vals {
				vals[i] = next
				next++
			}
			off := a.fit(k)
			a.push(vals...)
			written = append(written, run{off, vals})
		}
		if len(a.blocks) != before {
			t.Fatalf("runs %v made %d blocks that room did not ask for", sizes, len(a.blocks)-before)
		}
	}
	for _, r := range written {
		if got := a.slice(r.off, uint32(len(r.vals))); !slices.Equal(got, r.vals) && len(r.vals) > 0 {
			t.Fatalf("run at %d reads %v; want %v", r.off, got, r.vals)
		}
		if len(r.vals) > 0 && r.off>>6 != (r.off+uint32(len(r.vals))-1)>>6 {
			t.Fatalf("run at %d of %d straddles two blocks", r.off, len(r.vals))
		}
	}
	// The longest run an entry can have fits a text block.
	if most := 6*maxField + maxNumbers*maxExtension; most > 1<<textShift || maxNumbers > 1<<numShift {
		t.Errorf("an entry's run (%d bytes, %d numbers) can exceed a block", most, maxNumbers)
	}
}
