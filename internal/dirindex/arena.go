package dirindex

// arena holds elements in blocks of a fixed size, addressed by an offset
// across them. It grows a block at a time and never copies what it holds:
// one contiguous arena of a big directory was hundreds of megabytes, and
// growing it allocated and copied all of it at once. An allocation that
// size made while the collector marks owes the collector a share of its
// marking first, and in a trace of 20 first loads the goroutine that made
// it ran 0.6 s without a turn while the collector's worker held the other
// of two cores: every lookup of the process waited for both.
//
// A run of elements added with fit and push lies in one block, so it is
// one slice; what a block cannot take of a run is left empty at its end.
type arena[T any] struct {
	blocks [][]T
	n      uint32 // the offset of the next element added
	shift  uint32 // a block holds 1<<shift elements
}

func newArena[T any](shift uint32) arena[T] { return arena[T]{shift: shift} }

func (a *arena[T]) blockLen() uint32 { return 1 << a.shift }

// size is the offset past the last element, the empty ends of blocks
// included.
func (a *arena[T]) size() int { return int(a.n) }

// fit makes the next offset one at which k elements fit in one block
// (k at most a block) and returns it. The block there is made if room
// did not make it.
func (a *arena[T]) fit(k int) uint32 {
	if k == 0 {
		return a.n
	}
	if in := a.n & (a.blockLen() - 1); in+uint32(k) > a.blockLen() {
		a.n += a.blockLen() - in
	}
	for int(a.n>>a.shift) >= len(a.blocks) {
		a.blocks = append(a.blocks, make([]T, a.blockLen()))
	}
	return a.n
}

// push adds vs at the next offset, where fit made room for them.
func (a *arena[T]) push(vs ...T) {
	if len(vs) == 0 {
		return
	}
	copy(a.blocks[a.n>>a.shift][a.n&(a.blockLen()-1):], vs)
	a.n += uint32(len(vs))
}

// slice is the run of k elements at off.
func (a *arena[T]) slice(off, k uint32) []T {
	if k == 0 {
		return nil
	}
	i := off & (a.blockLen() - 1)
	return a.blocks[off>>a.shift][i : i+k : i+k]
}

// at is the element at off.
func (a *arena[T]) at(off uint32) *T {
	return &a.blocks[off>>a.shift][off&(a.blockLen()-1)]
}

// blocksFor is how many blocks runs of these sizes, added one after the
// other with fit, need beyond those the arena has.
func (a *arena[T]) blocksFor(runs []int) int {
	n, need := a.n, 0
	for _, k := range runs {
		if k == 0 {
			continue
		}
		if in := n & (a.blockLen() - 1); in+uint32(k) > a.blockLen() {
			n += a.blockLen() - in
		}
		need = max(need, int(n>>a.shift)+1)
		n += uint32(k)
	}
	return max(0, need-len(a.blocks))
}

// newBlocks makes k blocks, for grow.
func (a *arena[T]) newBlocks(k int) [][]T {
	out := make([][]T, k)
	for i := range out {
		out[i] = make([]T, a.blockLen())
	}
	return out
}

// grow adds blocks newBlocks made.
func (a *arena[T]) grow(blocks [][]T) { a.blocks = append(a.blocks, blocks...) }

// pushString adds the bytes of s to a text arena, where fit made room.
func pushString(a *arena[byte], s string) {
	if s == "" {
		return
	}
	copy(a.blocks[a.n>>a.shift][a.n&(a.blockLen()-1):], s)
	a.n += uint32(len(s))
}
