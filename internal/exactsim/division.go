package exactsim

import (
	"math/rand/v2"
	"time"

	"github.com/google/btree"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// Entity types of sync/Deleted rows.
const (
	deletedTypeAccount = 2
	deletedTypeContact = 5
)

// deletedRow is one entry of a division's deletion log (sync/Deleted).
type deletedRow struct {
	ID          crm.GUID
	Timestamp   int64
	EntityType  int
	EntityKey   crm.GUID
	DeletedBy   crm.GUID
	DeletedDate time.Time
}

// division holds one Exact administration ("company") and its CRM data.
// Records are indexed twice: by ID, the order regular endpoints page in,
// and by Timestamp, the order sync endpoints page in.
type division struct {
	Code     int
	Name     string
	MoveDate time.Time
	// lastTS is the division-wide rowversion: every insert, update and
	// delete takes the next value, as SQL Server's rowversion does.
	lastTS int64
	// lastCode and lastHID number new accounts and contacts.
	lastCode int
	lastHID  int32

	accounts table[crm.Account]
	contacts table[crm.Contact]
	deleted  *btree.BTreeG[*deletedRow]

	gen *crm.Generator
	rnd *rand.Rand
}

func newDivision(code int, name string, seed uint64) *division {
	d := &division{
		Code:    code,
		Name:    name,
		lastTS:  firstRowversion(code),
		deleted: btree.NewG(32, func(a, b *deletedRow) bool { return a.Timestamp < b.Timestamp }),
		gen:     crm.NewGenerator(seed, code),
		rnd:     rand.New(rand.NewPCG(seed, uint64(code)^0x5eed)),
	}
	d.accounts = newTable(func(a *crm.Account) (*crm.GUID, *int64) { return &a.ID, &a.Timestamp })
	d.contacts = newTable(func(c *crm.Contact) (*crm.GUID, *int64) { return &c.ID, &c.Timestamp })
	return d
}

// firstRowversion is where a division's rowversions start. A real
// administration's database has counted every change of every table for
// years, so its rowversions are around 10^12, not small numbers; a client
// that stores them in 32 bits or as floats breaks on the real service.
func firstRowversion(code int) int64 {
	return 1_200_000_000_000 + int64(code%1000)*1_000_000
}

// nextTS returns the next rowversion. Real rowversions are shared by every
// table of the database, so consecutive changes of one division leave gaps.
func (d *division) nextTS() int64 {
	d.lastTS += 1 + int64(d.rnd.IntN(7))
	return d.lastTS
}

// table is one entity's records with both indexes.
type table[T any] struct {
	keys func(*T) (*crm.GUID, *int64)
	byID *btree.BTreeG[*T]
	byTS *btree.BTreeG[*T]
}

func newTable[T any](keys func(*T) (*crm.GUID, *int64)) table[T] {
	return table[T]{
		keys: keys,
		byID: btree.NewG(32, func(a, b *T) bool {
			ia, _ := keys(a)
			ib, _ := keys(b)
			return ia.Compare(*ib) < 0
		}),
		byTS: btree.NewG(32, func(a, b *T) bool {
			_, ta := keys(a)
			_, tb := keys(b)
			return *ta < *tb
		}),
	}
}

func (t *table[T]) len() int { return t.byID.Len() }

func (t *table[T]) get(id crm.GUID) (*T, bool) {
	var probe T
	pid, _ := t.keys(&probe)
	*pid = id
	return t.byID.Get(&probe)
}

// put inserts rec or replaces the record with its ID, stamping it with ts.
func (t *table[T]) put(rec *T, ts int64) {
	id, _ := t.keys(rec)
	if old, ok := t.get(*id); ok {
		t.byTS.Delete(old)
	}
	_, pts := t.keys(rec)
	*pts = ts
	t.byID.ReplaceOrInsert(rec)
	t.byTS.ReplaceOrInsert(rec)
}

func (t *table[T]) remove(id crm.GUID) (*T, bool) {
	old, ok := t.get(id)
	if !ok {
		return nil, false
	}
	t.byID.Delete(old)
	t.byTS.Delete(old)
	return old, true
}

// afterID calls fn for records with an ID greater than after (all when
// after is zero) in ID order until fn returns false.
func (t *table[T]) afterID(after crm.GUID, fn func(*T) bool) {
	if after.IsZero() {
		t.byID.Ascend(fn)
		return
	}
	var probe T
	pid, _ := t.keys(&probe)
	*pid = after
	t.byID.AscendGreaterOrEqual(&probe, func(r *T) bool {
		id, _ := t.keys(r)
		if *id == after {
			return true
		}
		return fn(r)
	})
}

// afterTS calls fn for records with a Timestamp greater than ts in
// Timestamp order until fn returns false.
func (t *table[T]) afterTS(ts int64, fn func(*T) bool) {
	var probe T
	_, pts := t.keys(&probe)
	*pts = ts + 1
	t.byTS.AscendGreaterOrEqual(&probe, fn)
}

// restamp gives every record a new Timestamp in ascending old order, as a
// division move to another database does.
func (t *table[T]) restamp(next func() int64) {
	all := make([]*T, 0, t.byTS.Len())
	t.byTS.Ascend(func(r *T) bool { all = append(all, r); return true })
	t.byTS.Clear(false)
	for _, r := range all {
		_, pts := t.keys(r)
		*pts = next()
		t.byTS.ReplaceOrInsert(r)
	}
}
