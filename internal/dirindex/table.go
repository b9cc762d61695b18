package dirindex

import (
	"strings"
	"unicode/utf8"

	"github.com/roger365io/roger"
)

// table holds the entries and their numbers with (almost) no Go pointers:
// records in one slice, their text and numbers in two arenas, maps from
// integers to positions. The garbage collector then never walks the
// million entries of a big directory; with pointers it did, on every
// cycle, and lookups waited behind it (p99 57 ms against 3 ms with the
// collector off, at 10,000 lookups/s on 1,000,000 numbers).
type table struct {
	slots map[int64]uint32 // entry ID → position in recs
	recs  arena[rec]
	free  []uint32 // positions in recs no entry holds
	// text holds each entry's six text fields and its numbers'
	// extensions, in one run; nums its numbers, in one run. Both only
	// grow; what removed or replaced entries held is counted in dead and
	// reclaimed by compact.
	text arena[byte]
	nums arena[num]
	dead int
	orgs map[int64]*orgNumbers
	// fields are the number fields' names (Phone, Mobile, …), which
	// numbers refer to by position.
	fields     []string
	fieldIndex map[string]uint8
	numbers    int
	// compactAt is the dead space below which compacting is not worth a
	// copy.
	compactAt int
	// names finds entries by the words of their names (names.go).
	names nameIndex
}

// orgNumbers are one organisation's numbers, keyed by the E.164 number as
// an integer. first maps a number to the first entry holding it; shared
// holds the others when several do (a switchboard number), which is rare
// enough that the common case costs no slice.
type orgNumbers struct {
	first  map[uint64]uint32
	shared map[uint64][]uint32
}

// rec is an entry as lookups need it.
type rec struct {
	id, replicatorID, orgID int64
	modified, synced        int64 // Unix milliseconds; 0 for the zero time
	textOff                 uint32
	textLen                 uint32
	numOff                  uint32
	ends                    [6]uint16 // end of each text field, from textOff
	numLen                  uint8
	kind                    kindCode
	used                    bool
}

// num is one of an entry's numbers; its extension is in the entry's text,
// at extOff from the entry's textOff.
type num struct {
	e164   uint64
	extOff uint16
	extLen uint8
	field  uint8
}

type kindCode uint8

const (
	kindOther kindCode = iota
	kindContact
	kindAccount
)

func (k kindCode) kind() roger.Kind {
	switch k {
	case kindContact:
		return roger.KindContact
	case kindAccount:
		return roger.KindAccount
	}
	return ""
}

// Bounds that keep a record's offsets small. Exact's own fields are far
// shorter; only a corrupt record is cut.
const (
	maxField     = 10_000 // bytes of each text field: six fit a uint16
	maxExtension = 32
	maxNumbers   = 255
)

// The arenas' blocks, about 256 KiB each. A text block holds the longest
// run an entry can have (six fields of maxField and maxNumbers
// extensions), a nums block maxNumbers.
const (
	recShift  = 12 // 4,096 records
	textShift = 18
	numShift  = 14
)

func newTable() *table {
	return &table{slots: map[int64]uint32{}, orgs: map[int64]*orgNumbers{}, fieldIndex: map[string]uint8{}, compactAt: 16 << 20,
		names: newNameIndex(), recs: newArena[rec](recShift), text: newArena[byte](textShift), nums: newArena[num](numShift)}
}

// textNeed and numsNeed are the most an entry takes of the text and
// number arenas: put makes room for that much in one run.
func textNeed(e *roger.Entry) int {
	n := min(len(e.SourceID), maxField) + min(len(e.CompanyID), maxField) + min(len(e.DisplayName), maxField) +
		min(len(e.CompanyName), maxField) + min(len(e.Email), maxField) + min(len(e.JobTitle), maxField)
	for _, num := range e.Numbers {
		n += min(len(num.Extension), maxExtension)
	}
	return n
}

func numsNeed(e *roger.Entry) int { return min(len(e.Numbers), maxNumbers) }

// rec is the record at slot.
func (t *table) rec(slot uint32) *rec { return t.recs.at(slot) }

// textOf is a record's text: its six fields and its numbers' extensions.
func (t *table) textOf(r *rec) []byte { return t.text.slice(r.textOff, r.textLen) }

// put replaces the copy of src, an entry of organisation orgID.
func (t *table) put(src *roger.Entry, orgID int64) {
	t.remove(src.ID)
	r := rec{id: src.ID, replicatorID: src.ReplicatorID, orgID: orgID, modified: unixMilli(src.SourceModified),
		synced: unixMilli(src.SyncedAt), textOff: t.text.fit(textNeed(src)), numOff: t.nums.fit(numsNeed(src)), used: true}
	switch src.Kind {
	case roger.KindContact:
		r.kind = kindContact
	case roger.KindAccount:
		r.kind = kindAccount
	}
	for i, s := range []string{src.SourceID, src.CompanyID, src.DisplayName, src.CompanyName, src.Email, src.JobTitle} {
		pushString(&t.text, cut(s, maxField))
		r.ends[i] = uint16(t.text.n - r.textOff)
	}
	for _, n := range src.Numbers {
		if n.Status != roger.NumberOK || r.numLen == maxNumbers {
			continue
		}
		key, ok := parseE164(n.E164)
		if !ok {
			continue
		}
		ext := cut(n.Extension, maxExtension)
		if t.holds(&r, key, ext) {
			continue
		}
		t.nums.push(num{e164: key, extOff: uint16(t.text.n - r.textOff), extLen: uint8(len(ext)), field: t.field(n.Field)})
		pushString(&t.text, ext)
		r.numLen++
	}
	r.textLen = t.text.n - r.textOff
	var slot uint32
	if n := len(t.free); n > 0 {
		slot, t.free = t.free[n-1], t.free[:n-1]
		*t.recs.at(slot) = r
	} else {
		slot = t.recs.fit(1)
		t.recs.push(r)
	}
	t.slots[r.id] = slot
	name, company := t.nameFields(&r)
	t.names.add(orgID, r.id, slot, name, company)
	org := t.orgs[orgID]
	if org == nil {
		org = &orgNumbers{first: map[uint64]uint32{}, shared: map[uint64][]uint32{}}
		t.orgs[orgID] = org
	}
	nums := t.numsOf(&r)
	for i := range nums {
		if indexedEarlier(nums, i) {
			continue
		}
		k := nums[i].e164
		if _, taken := org.first[k]; !taken {
			org.first[k] = slot
		} else {
			org.shared[k] = append(org.shared[k], slot)
		}
		t.numbers++
	}
}

// holds says the entry being built already has the number with this
// extension.
func (t *table) holds(r *rec, key uint64, ext string) bool {
	for _, m := range t.nums.slice(r.numOff, uint32(r.numLen)) {
		if m.e164 == key && t.extension(r, &m) == ext {
			return true
		}
	}
	return false
}

// indexedEarlier says nums[i] is the same E.164 as one before it (with
// another extension), which is indexed once.
func indexedEarlier(nums []num, i int) bool {
	for _, m := range nums[:i] {
		if m.e164 == nums[i].e164 {
			return true
		}
	}
	return false
}

func (t *table) numsOf(r *rec) []num { return t.nums.slice(r.numOff, uint32(r.numLen)) }

func (t *table) extension(r *rec, n *num) string {
	return string(t.text.slice(r.textOff+uint32(n.extOff), uint32(n.extLen)))
}

// field returns the position of a field name in t.fields, adding it when
// new. Exact has a handful of number fields; should there ever be more
// than fit a byte, the rest share the last position's name.
func (t *table) field(name string) uint8 {
	if i, ok := t.fieldIndex[name]; ok {
		return i
	}
	if len(t.fields) == 256 {
		return 255
	}
	i := uint8(len(t.fields))
	t.fields = append(t.fields, strings.Clone(name))
	t.fieldIndex[t.fields[i]] = i
	return i
}

// remove drops the entry with the given ID, if held.
func (t *table) remove(id int64) {
	slot, ok := t.slots[id]
	if !ok {
		return
	}
	r := t.rec(slot)
	org := t.orgs[r.orgID]
	nums := t.numsOf(r)
	for i := range nums {
		if indexedEarlier(nums, i) {
			continue
		}
		k := nums[i].e164
		t.numbers--
		others := org.shared[k]
		if org.first[k] == slot {
			if len(others) == 0 {
				delete(org.first, k)
				continue
			}
			org.first[k] = others[len(others)-1]
			others = others[:len(others)-1]
		} else {
			for j, o := range others {
				if o == slot {
					others = append(others[:j], others[j+1:]...)
					break
				}
			}
		}
		if len(others) == 0 {
			delete(org.shared, k)
		} else {
			org.shared[k] = others
		}
	}
	if org != nil && len(org.first) == 0 {
		delete(t.orgs, r.orgID)
	}
	name, company := t.nameFields(r)
	t.names.remove(r.orgID, id, slot, name, company)
	t.dead += int(r.textLen) + int(r.numLen)*numSize
	*r = rec{}
	t.free = append(t.free, slot)
	delete(t.slots, id)
}

// numSize is what a num takes in its arena, for counting dead space.
const numSize = 16

// removeReplicator drops every entry of the replicator.
func (t *table) removeReplicator(id int64) {
	for eid, slot := range t.slots {
		if t.rec(slot).replicatorID == id {
			t.remove(eid)
		}
	}
}

// wasteful says the arenas hold more dead space than live data (and enough
// of it to be worth a copy).
func (t *table) wasteful() bool {
	return t.dead > t.compactAt && t.dead > t.text.size()+t.nums.size()*numSize-t.dead
}

// compacted returns the records and arenas with the dead space left out,
// for install. It only reads, so lookups can go on meanwhile; it makes
// its arenas a block at a time.
func (t *table) compacted() (recs arena[rec], text arena[byte], nums arena[num]) {
	recs, text, nums = newArena[rec](recShift), newArena[byte](textShift), newArena[num](numShift)
	recs.grow(recs.newBlocks(len(t.recs.blocks)))
	recs.n = t.recs.n
	for i := uint32(0); i < t.recs.n; i++ {
		r := *t.rec(i)
		if !r.used {
			continue
		}
		newText := text.fit(int(r.textLen))
		text.push(t.textOf(&r)...)
		newNums := nums.fit(int(r.numLen))
		nums.push(t.numsOf(&r)...)
		r.textOff, r.numOff = newText, newNums
		*recs.at(i) = r
	}
	return recs, text, nums
}

// room is the blocks put needs for a batch of entries beyond those the
// arenas have. The refresh, which is the table's only writer, calls it
// before it takes the lock, so that even making blocks never holds the
// lookups.
type room struct {
	recs [][]rec
	text [][]byte
	nums [][]num
}

func (t *table) room(batch []*roger.Entry) room {
	texts, nums := make([]int, len(batch)), make([]int, len(batch))
	for i, e := range batch {
		texts[i], nums[i] = textNeed(e), numsNeed(e)
	}
	recs := make([]int, max(0, len(batch)-len(t.free)))
	for i := range recs {
		recs[i] = 1
	}
	return room{recs: t.recs.newBlocks(t.recs.blocksFor(recs)), text: t.text.newBlocks(t.text.blocksFor(texts)),
		nums: t.nums.newBlocks(t.nums.blocksFor(nums))}
}

// useRoom puts in the blocks room made; the table must not have changed
// in between.
func (t *table) useRoom(r room) {
	t.recs.grow(r.recs)
	t.text.grow(r.text)
	t.nums.grow(r.nums)
}

// install puts in what compacted returned; the table must not have
// changed in between.
func (t *table) install(recs arena[rec], text arena[byte], nums arena[num]) {
	t.recs, t.text, t.nums, t.dead = recs, text, nums, 0
}

// cut shortens s to at most n bytes, at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
