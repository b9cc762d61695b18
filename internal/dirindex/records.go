package dirindex

import (
	"slices"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// Record is an entry as the index holds it, with every number that parsed
// and what a link to the CRM needs of its replicator: what directories
// built on the index (LDAP) serve.
type Record struct {
	ID             int64
	ReplicatorID   int64
	Kind           roger.Kind
	SourceID       string
	CompanyID      string
	DisplayName    string
	CompanyName    string
	Email          string
	JobTitle       string
	Modified       time.Time
	Numbers        []RecordNumber
	ReplicatorName string
	ContactURL     string
	Division       int
}

// RecordNumber is one of a record's numbers.
type RecordNumber struct {
	Field     string // Phone, Mobile, …
	E164      string
	Extension string
}

// Ready reports whether the index is loaded. Until it is, only
// FindByNumbers answers (from the store); the methods below find nothing.
func (x *Index) Ready() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.ready
}

// EntryIDs returns up to limit IDs of the organisation's entries above
// after, in ascending order: a whole directory read a page at a time.
func (x *Index) EntryIDs(orgID, after int64, limit int) []int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	o := x.t.names.org(orgID, false)
	if o == nil || limit <= 0 {
		return nil
	}
	out := make([]int64, 0, min(limit, 1024))
	o.ids.AscendGreaterOrEqual(idKey{id: after + 1}, func(k idKey) bool {
		out = append(out, k.id)
		return len(out) < limit
	})
	return out
}

// NameCandidates returns, in ascending order, the IDs of the
// organisation's entries with a word of their name or company that may
// start with prefix (a FirstWord): every such entry, and perhaps others
// sharing its first eight bytes, which the caller checks. complete is
// false when there were more than limit.
func (x *Index) NameCandidates(orgID int64, prefix string, limit int) (ids []int64, complete bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	o := x.t.names.org(orgID, false)
	if o == nil || prefix == "" {
		return nil, prefix != ""
	}
	lo, hi := wordRange(prefix)
	complete = true
	o.words.AscendGreaterOrEqual(wordKey{word: lo}, func(k wordKey) bool {
		if k.word > hi {
			return false
		}
		if len(ids) == limit {
			complete = false
			return false
		}
		ids = append(ids, x.t.rec(k.slot).id)
		return true
	})
	slices.Sort(ids)
	return slices.Compact(ids), complete
}

// Records returns the organisation's entries with the given IDs, in the
// order given; IDs not held, or of another organisation, are left out.
func (x *Index) Records(orgID int64, ids []int64) []Record {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		slot, ok := x.t.slots[id]
		if !ok {
			continue
		}
		r := x.t.rec(slot)
		if r.orgID != orgID {
			continue
		}
		text := string(x.t.textOf(r))
		field := func(i int) string {
			start := uint16(0)
			if i > 0 {
				start = r.ends[i-1]
			}
			return text[start:r.ends[i]]
		}
		rec := Record{ID: r.id, ReplicatorID: r.replicatorID, Kind: r.kind.kind(), SourceID: field(0), CompanyID: field(1),
			DisplayName: field(2), CompanyName: field(3), Email: field(4), JobTitle: field(5), Modified: fromUnixMilli(r.modified)}
		if rep := x.reps[r.replicatorID]; rep != nil {
			rec.ReplicatorName, rec.ContactURL, rec.Division = rep.Name, rep.ContactURL, rep.Division
		}
		for _, n := range x.t.numsOf(r) {
			rec.Numbers = append(rec.Numbers, RecordNumber{Field: x.t.fields[n.field], E164: formatE164(n.e164),
				Extension: text[n.extOff : n.extOff+uint16(n.extLen)]})
		}
		out = append(out, rec)
	}
	return out
}

func formatE164(k uint64) string {
	var b strings.Builder
	b.Grow(16)
	b.WriteByte('+')
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + k%10)
		k /= 10
		if k == 0 {
			break
		}
	}
	b.Write(d[i:])
	return b.String()
}

// nameFields are the text fields of a record the name index reads.
func (t *table) nameFields(r *rec) (name, company string) {
	text := t.textOf(r)
	return string(text[r.ends[1]:r.ends[2]]), string(text[r.ends[2]:r.ends[3]])
}

// NameCursor is where a walk of the name index stands; the zero value is
// its start.
type NameCursor struct {
	word uint64
	slot uint32
	next bool // past the start
}

// NameWalk returns up to limit IDs of the organisation's entries with a
// word of their name or company that may start with prefix (a
// FirstWord), in the index's order, from cursor on, and the cursor after
// them; done says there are no more. An entry with several such words
// comes more than once. Unlike NameCandidates it never reads more than it
// returns, so a search that needs the first fifty names costs fifty.
func (x *Index) NameWalk(orgID int64, prefix string, cursor NameCursor, limit int) (ids []int64, next NameCursor, done bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	o := x.t.names.org(orgID, false)
	if o == nil || prefix == "" || limit <= 0 {
		return nil, cursor, true
	}
	lo, hi := wordRange(prefix)
	from := wordKey{word: lo}
	if cursor.next {
		from = wordKey{word: cursor.word, slot: cursor.slot}
	}
	done = true
	o.words.AscendGreaterOrEqual(from, func(k wordKey) bool {
		if k.word > hi {
			return false
		}
		if len(ids) == limit {
			next, done = NameCursor{word: k.word, slot: k.slot, next: true}, false
			return false
		}
		ids = append(ids, x.t.rec(k.slot).id)
		return true
	})
	return ids, next, done
}

// Holds reports whether the organisation's entries are in this index:
// an instance told to hold one share of the organisations
// (ROGER_INDEX_SHARD) leaves the others' to the database, so what lists
// or searches them by name must not read an absence here as "none".
func (x *Index) Holds(orgID int64) bool {
	return x.shard.Holds(orgID)
}
