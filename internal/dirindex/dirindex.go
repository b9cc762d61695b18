// Package dirindex keeps every organisation's phone numbers in memory, so
// that a caller lookup is answered without a database query while the
// phone rings.
//
// The database stays the only truth. The index follows it by each
// replicator's directory version (see the store's migration 004): it reads
// only the entries written and the removals recorded since the version it
// last saw, every poll interval, and at once when this process wrote. Other
// instances' syncs, and `roger replicator sync` run beside a server, show up
// within one interval. Until the first load completes, and while it has to
// read a replicator afresh, lookups go to the database.
package dirindex

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/roger365io/roger"
)

// Source is the database the index follows (*sqlstore.Store).
type Source interface {
	ReplicatorVersions(ctx context.Context) ([]roger.ReplicatorVersion, error)
	ForEachEntrySince(ctx context.Context, replicatorID, after int64, fn func(*roger.Entry) error) error
	RemovedSince(ctx context.Context, replicatorID, after int64) ([]int64, error)
	// FindByNumbers answers lookups while the index is not loaded.
	FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error)
}

// Index is the in-memory copy of the directory's numbers. Create it with
// New, start Run, and use FindByNumbers; it is safe for concurrent use.
type Index struct {
	src      Source
	log      *slog.Logger
	interval time.Duration
	wake     chan struct{}

	refreshMu sync.Mutex // one refresh at a time

	mu      sync.RWMutex
	ready   bool
	reps    map[int64]*roger.ReplicatorVersion
	entries map[int64]*entry
	orgs    map[int64]*orgNumbers
	// fields are the number fields' names (Phone, Mobile, …), which an
	// entry's numbers refer to by position.
	fields     []string
	fieldIndex map[string]uint8
	stats      Stats
}

// Stats describe the index.
type Stats struct {
	Ready   bool
	Entries int
	Numbers int
	// Refreshes counts the polls that found something to read;
	// LastRefresh is when the index last caught up with the database.
	Refreshes   int64
	LastRefresh time.Time
}

// orgNumbers are one organisation's numbers, keyed by the E.164 number
// as an integer. first maps a number to the first entry holding it;
// shared holds the others when several do (a switchboard number), which
// is rare enough that the common case costs one pointer.
type orgNumbers struct {
	first  map[uint64]*entry
	shared map[uint64][]*entry
}

// entry is a directory entry as lookups need it, kept small: a million
// of them are held. Its six text fields share one string.
type entry struct {
	id, replicatorID, orgID int64
	modified, synced        int64 // Unix milliseconds; 0 for the zero time
	text                    string
	ends                    [6]uint16 // end of each text field in text
	kind                    kindCode
	numbers                 []number
}

type kindCode uint8

const (
	kindOther kindCode = iota
	kindContact
	kindAccount
)

type number struct {
	e164  uint64
	ext   string
	field uint8 // position in Index.fields
}

// maxField bounds each text field so that the six fit the uint16 ends.
// Exact's own fields are far shorter; only a corrupt record is cut.
const maxField = 10_000

func (k kindCode) kind() roger.Kind {
	switch k {
	case kindContact:
		return roger.KindContact
	case kindAccount:
		return roger.KindAccount
	}
	return ""
}

func (e *entry) field(i int) string {
	start := uint16(0)
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.text[start:e.ends[i]]
}

// Options configure New.
type Options struct {
	// Interval is how often the index looks for other instances' writes;
	// 0 means one second.
	Interval time.Duration
	Log      *slog.Logger
}

// New returns an empty index of src; Run loads and follows it.
func New(src Source, opts Options) *Index {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Index{src: src, log: opts.Log, interval: opts.Interval, wake: make(chan struct{}, 1),
		reps: map[int64]*roger.ReplicatorVersion{}, entries: map[int64]*entry{}, orgs: map[int64]*orgNumbers{}, fieldIndex: map[string]uint8{}}
}

// Wake asks Run to look for changes now rather than at its next poll; it
// never blocks. Register it with the store's OnDirectoryChange.
func (x *Index) Wake() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// minGap spaces refreshes while a sync writes page after page, so that
// following it reads a few pages at a time rather than competing with it
// for every one.
const minGap = 100 * time.Millisecond

// Run loads the index and keeps it following the database until ctx ends.
// A failed refresh is logged and tried again at the next poll; lookups
// keep the last state meanwhile.
func (x *Index) Run(ctx context.Context) {
	failing := false
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-x.wake:
		}
		start := time.Now()
		if err := x.Refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				x.log.Warn("the lookup index cannot follow the database; lookups may miss the newest changes", "err", err)
			}
			failing = true
		} else if failing {
			x.log.Info("the lookup index follows the database again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(0, minGap-time.Since(start))):
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(x.interval)
	}
}

// applyBatch is how many entries are read before they are applied under
// the lock, so lookups wait for at most one batch.
const applyBatch = 1000

// Refresh brings the index up to the database's state as of the call. Run
// calls it; tests call it to look at once.
func (x *Index) Refresh(ctx context.Context) error {
	x.refreshMu.Lock()
	defer x.refreshMu.Unlock()
	versions, err := x.src.ReplicatorVersions(ctx)
	if err != nil {
		return err
	}
	x.mu.RLock()
	wasReady := x.ready
	x.mu.RUnlock()
	changed := false
	seen := make(map[int64]bool, len(versions))
	for i := range versions {
		v := versions[i]
		seen[v.ID] = true
		x.mu.RLock()
		known := x.reps[v.ID]
		x.mu.RUnlock()
		after := int64(-1) // a replicator not seen before: every entry
		if known != nil {
			after = known.Version
			if known.Version < v.RemovalsFloor {
				// The removals this copy missed are forgotten: read the
				// replicator afresh, with the database answering lookups.
				x.setReady(false)
				x.dropReplicator(v.ID)
				after = -1
			}
		}
		if known == nil || after < v.Version {
			if err := x.readChanges(ctx, &v, after); err != nil {
				return err
			}
			changed = true
		}
		x.mu.Lock()
		x.reps[v.ID] = &v
		x.mu.Unlock()
	}
	x.mu.RLock()
	var gone []int64
	for id := range x.reps {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	x.mu.RUnlock()
	for _, id := range gone {
		x.dropReplicator(id)
		changed = true
	}
	x.mu.Lock()
	x.ready = true
	if changed || !wasReady {
		x.stats.Refreshes++
	}
	x.stats.LastRefresh = time.Now()
	x.mu.Unlock()
	return nil
}

func (x *Index) setReady(ready bool) {
	x.mu.Lock()
	x.ready = ready
	x.mu.Unlock()
}

// readChanges applies the replicator's entries written, and removals
// recorded, at a version above after.
func (x *Index) readChanges(ctx context.Context, v *roger.ReplicatorVersion, after int64) error {
	batch := make([]*roger.Entry, 0, applyBatch)
	flush := func() {
		x.mu.Lock()
		for _, e := range batch {
			x.put(e, v.OrgID)
		}
		x.mu.Unlock()
		batch = batch[:0]
	}
	err := x.src.ForEachEntrySince(ctx, v.ID, after, func(e *roger.Entry) error {
		batch = append(batch, e)
		if len(batch) == applyBatch {
			flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	if after < 0 {
		return nil // nothing of it was held, so nothing to remove
	}
	// Removals are read after the entries: an entry removed while they
	// were read is then removed here, and ids are never reused.
	removed, err := x.src.RemovedSince(ctx, v.ID, after)
	if err != nil {
		return err
	}
	x.mu.Lock()
	for _, id := range removed {
		x.remove(id)
	}
	x.mu.Unlock()
	return nil
}

func (x *Index) dropReplicator(id int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for eid, e := range x.entries {
		if e.replicatorID == id {
			x.remove(eid)
		}
	}
	delete(x.reps, id)
}

// put replaces the entry's copy. x.mu must be held for writing.
func (x *Index) put(src *roger.Entry, orgID int64) {
	x.remove(src.ID)
	e := &entry{id: src.ID, replicatorID: src.ReplicatorID, orgID: orgID, modified: unixMilli(src.SourceModified),
		synced: unixMilli(src.SyncedAt)}
	switch src.Kind {
	case roger.KindContact:
		e.kind = kindContact
	case roger.KindAccount:
		e.kind = kindAccount
	}
	var b strings.Builder
	for i, s := range []string{src.SourceID, src.CompanyID, src.DisplayName, src.CompanyName, src.Email, src.JobTitle} {
		if len(s) > maxField {
			s = strings.ToValidUTF8(s[:maxField], "")
		}
		b.WriteString(s)
		e.ends[i] = uint16(b.Len())
	}
	e.text = b.String()
	for _, n := range src.Numbers {
		if n.Status != roger.NumberOK {
			continue
		}
		key, ok := parseE164(n.E164)
		if !ok {
			continue
		}
		dup := false
		for _, m := range e.numbers {
			if m.e164 == key && m.ext == n.Extension {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		e.numbers = append(e.numbers, number{e164: key, ext: n.Extension, field: x.field(n.Field)})
	}
	e.numbers = e.numbers[:len(e.numbers):len(e.numbers)]
	x.entries[e.id] = e
	org := x.orgs[orgID]
	if org == nil {
		org = &orgNumbers{first: map[uint64]*entry{}, shared: map[uint64][]*entry{}}
		x.orgs[orgID] = org
	}
	for i, n := range e.numbers {
		if x.holdsEarlier(e, i) {
			continue
		}
		if org.first[n.e164] == nil {
			org.first[n.e164] = e
		} else {
			org.shared[n.e164] = append(org.shared[n.e164], e)
		}
		x.stats.Numbers++
	}
	x.stats.Entries++
}

// field returns the position of a field name in x.fields, adding it when
// new. Exact has a handful of number fields; should there ever be more
// than fit a byte, the rest share the last position's name.
func (x *Index) field(name string) uint8 {
	if i, ok := x.fieldIndex[name]; ok {
		return i
	}
	if len(x.fields) == 256 {
		return 255
	}
	i := uint8(len(x.fields))
	x.fields = append(x.fields, strings.Clone(name))
	x.fieldIndex[x.fields[i]] = i
	return i
}

// holdsEarlier says e's number i is the same E.164 as one before it (with
// another extension), which is indexed once.
func (x *Index) holdsEarlier(e *entry, i int) bool {
	for _, m := range e.numbers[:i] {
		if m.e164 == e.numbers[i].e164 {
			return true
		}
	}
	return false
}

// remove drops the entry with the given id, if held. x.mu must be held
// for writing.
func (x *Index) remove(id int64) {
	e, ok := x.entries[id]
	if !ok {
		return
	}
	delete(x.entries, id)
	org := x.orgs[e.orgID]
	for i, n := range e.numbers {
		if x.holdsEarlier(e, i) {
			continue
		}
		k := n.e164
		x.stats.Numbers--
		others := org.shared[k]
		if org.first[k] == e {
			if len(others) == 0 {
				delete(org.first, k)
				continue
			}
			org.first[k] = others[len(others)-1]
			others = others[:len(others)-1]
		} else {
			for j, o := range others {
				if o == e {
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
		delete(x.orgs, e.orgID)
	}
	x.stats.Entries--
}

// FindByNumbers returns the organisation's entries holding the E.164
// number e164s[0], a hit per stored number that matched, or, when nobody
// has it, those holding one of the others: what the store's FindByNumbers
// answers, from memory. Before the index is loaded it asks the store.
func (x *Index) FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error) {
	x.mu.RLock()
	if !x.ready {
		x.mu.RUnlock()
		return x.src.FindByNumbers(ctx, orgID, e164s)
	}
	defer x.mu.RUnlock()
	org := x.orgs[orgID]
	if org == nil {
		return nil, nil
	}
	var hits []roger.DirectoryHit
	for i, s := range e164s {
		key, ok := parseE164(s)
		if !ok {
			continue
		}
		hits = x.hits(hits, org, key, s)
		if i == 0 && len(hits) > 0 {
			break
		}
	}
	return hits, nil
}

// hits appends a hit for every stored number k of org. x.mu must be
// held.
func (x *Index) hits(out []roger.DirectoryHit, org *orgNumbers, k uint64, e164 string) []roger.DirectoryHit {
	first := org.first[k]
	if first == nil {
		return out
	}
	shared := org.shared[k]
	for j := -1; j < len(shared); j++ {
		e := first
		if j >= 0 {
			e = shared[j]
		}
		rep := x.reps[e.replicatorID]
		if rep == nil {
			continue
		}
		for _, n := range e.numbers {
			if n.e164 != k {
				continue
			}
			out = append(out, roger.DirectoryHit{
				Entry: roger.Entry{ID: e.id, OrgID: e.orgID, ReplicatorID: e.replicatorID, Kind: e.kind.kind(), SourceID: e.field(0),
					CompanyID: e.field(1), DisplayName: e.field(2), CompanyName: e.field(3), Email: e.field(4), JobTitle: e.field(5),
					SourceModified: fromUnixMilli(e.modified), SyncedAt: fromUnixMilli(e.synced)},
				Matched:        roger.Number{Field: x.fields[n.field], E164: e164, Extension: n.ext, Status: roger.NumberOK},
				ReplicatorName: rep.Name, ContactURL: rep.ContactURL, Division: rep.Division,
			})
		}
	}
	return out
}

// Stats returns the index's size and state.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.stats
	s.Ready = x.ready
	return s
}

// parseE164 turns "+31201234567" into 31201234567. E.164 numbers have at
// most 15 digits and never start with 0, so the integer is the number.
func parseE164(s string) (uint64, bool) {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return 0, false
	}
	var v uint64
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// The directory keeps times to the millisecond, so they fit an int64.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMilli(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
