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
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/cpushare"
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
	shard    Shard
	cpu      *cpushare.Share

	refreshMu sync.Mutex // one refresh at a time

	mu    sync.RWMutex
	ready bool
	reps  map[int64]*roger.ReplicatorVersion
	// applied counts the changes Apply took without reading them.
	applied int
	t       *table
	stats   Stats
}

// Stats describe the index.
type Stats struct {
	// Ready says the index is loaded and answers lookups itself.
	Ready bool
	// Entries and Numbers count what it holds: the entries, and their
	// distinct numbers (an entry's number counts once per entry).
	Entries int
	Numbers int
	// LastRefresh is when the index last caught up with the database.
	LastRefresh time.Time
	// Applied counts the commits of this process the index took as they
	// were made (Apply), without reading them back.
	Applied int
}

// Options configure New.
type Options struct {
	// Interval is how often the index looks for other instances' writes;
	// 0 means one second.
	Interval time.Duration
	Log      *slog.Logger
	// Shard, when not the zero Shard, keeps only its share of the
	// organisations in memory; lookups of the others query the database.
	Shard Shard
	// CPU, when set, is the share of the cores following the database
	// runs in (package cpushare), the share the syncs whose writes it
	// follows run in: reading and indexing a first load's entries is part
	// of the load. Lookups never wait for it. Nil does not bound it.
	CPU *cpushare.Share
}

// New returns an empty index of src; Run loads and follows it.
func New(src Source, opts Options) *Index {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Index{src: src, log: opts.Log, interval: opts.Interval, wake: make(chan struct{}, 1), shard: opts.Shard, cpu: opts.CPU,
		reps: map[int64]*roger.ReplicatorVersion{}, t: newTable()}
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

// applyBatch is how many entries are read before they are applied, and
// lockedBatch how many of them are put under one hold of the lock: some
// 60 microseconds, which is about the most a lookup waits for a refresh.
// Room in the arenas is made before the lock is taken (table.room).
const (
	applyBatch  = 1000
	lockedBatch = 16
)

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
	seen := make(map[int64]bool, len(versions))
	for i := range versions {
		v := versions[i]
		if !x.shard.Holds(v.OrgID) {
			continue // another share's: dropped below if it was held
		}
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
	}
	x.mu.RLock()
	wasteful := x.t.wasteful()
	x.mu.RUnlock()
	if wasteful || !wasReady {
		// A copy leaves out dead space and, after the first load, the
		// slack of the arenas' growth. Only refreshes change the table,
		// and this one holds refreshMu: lookups go on meanwhile.
		x.mu.RLock()
		recs, text, nums := x.t.compacted()
		x.mu.RUnlock()
		x.mu.Lock()
		x.t.install(recs, text, nums)
		x.mu.Unlock()
	}
	x.mu.Lock()
	x.ready = true
	x.stats.LastRefresh = time.Now()
	x.mu.Unlock()
	return nil
}

func (x *Index) setReady(ready bool) {
	x.mu.Lock()
	x.ready = ready
	x.mu.Unlock()
}

// Apply takes what a commit of this process changed (see
// sqlstore.Store.OnPagesCommitted): when the index holds the replicator at
// exactly the version the change starts from, it puts the entries and
// removals in without reading them back from the database, and holds the
// replicator at the change's version. Otherwise, or while a refresh is
// under way, it leaves the change to the next refresh, which reads it. It
// says whether it took the change.
func (x *Index) Apply(ctx context.Context, ch roger.DirectoryChange) bool {
	if !x.shard.Holds(ch.OrgID) || !x.refreshMu.TryLock() {
		return false
	}
	defer x.refreshMu.Unlock()
	x.mu.RLock()
	known, ready := x.reps[ch.ReplicatorID], x.ready
	x.mu.RUnlock()
	if !ready || known == nil || known.Version != ch.From || known.OrgID != ch.OrgID || ch.To <= ch.From {
		return false
	}
	x.putEntries(ch.Entries, ch.OrgID)
	x.removeEntries(ch.Removed)
	v := *known
	v.Version = ch.To
	x.mu.Lock()
	x.reps[ch.ReplicatorID] = &v
	x.applied++
	x.mu.Unlock()
	return true
}

// putEntries puts entries of the organisation in, a few under each hold
// of the lock, with room in the arenas made before it is taken.
func (x *Index) putEntries(entries []*roger.Entry, orgID int64) {
	for part := range slices.Chunk(entries, lockedBatch) {
		room := x.t.room(part)
		x.yieldBeforeLock()
		x.mu.Lock()
		x.t.useRoom(room)
		for _, e := range part {
			x.t.put(e, orgID)
		}
		x.mu.Unlock()
	}
}

// removeEntries takes the entries with these IDs out, a few under each
// hold of the lock.
func (x *Index) removeEntries(ids []int64) {
	for part := range slices.Chunk(ids, lockedBatch) {
		x.yieldBeforeLock()
		x.mu.Lock()
		for _, id := range part {
			x.t.remove(id)
		}
		x.mu.Unlock()
	}
}

// readChanges applies the replicator's entries written, and removals
// recorded, at a version above after.
func (x *Index) readChanges(ctx context.Context, v *roger.ReplicatorVersion, after int64) error {
	meter := x.cpu.Meter()
	batch := make([]*roger.Entry, 0, applyBatch)
	flush := func() error {
		x.putEntries(batch, v.OrgID)
		clear(batch)
		batch = batch[:0]
		return meter.Pause(ctx)
	}
	err := x.src.ForEachEntrySince(ctx, v.ID, after, func(e *roger.Entry) error {
		batch = append(batch, e)
		cpushare.Turn(len(batch))
		if len(batch) == applyBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if after < 0 {
		return nil // nothing of it was held, so nothing to remove
	}
	// Removals are read after the entries: an entry removed while they
	// were read is then removed here, and ids are never reused.
	removed, err := x.src.RemovedSince(ctx, v.ID, after)
	if err != nil {
		return err
	}
	x.removeEntries(removed)
	return nil
}

// yieldBeforeLock gives the scheduler a turn before the refresh takes the
// lock: the refresh then holds it at the start of a time slice of its own,
// and is not preempted halfway through a batch with every lookup waiting
// for it. A refresh that follows a first load runs for seconds, long past
// the slice Go gives a goroutine before it preempts it.
func (x *Index) yieldBeforeLock() { runtime.Gosched() }

func (x *Index) dropReplicator(id int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.t.removeReplicator(id)
	delete(x.reps, id)
}

// FindByNumbers returns the organisation's entries holding the E.164
// number e164s[0], a hit per stored number that matched, or, when nobody
// has it, those holding one of the others: what the store's FindByNumbers
// answers, from memory. Before the index is loaded it asks the store.
func (x *Index) FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error) {
	if !x.shard.Holds(orgID) {
		return x.src.FindByNumbers(ctx, orgID, e164s)
	}
	x.mu.RLock()
	if !x.ready {
		x.mu.RUnlock()
		return x.src.FindByNumbers(ctx, orgID, e164s)
	}
	defer x.mu.RUnlock()
	org := x.t.orgs[orgID]
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
	first, ok := org.first[k]
	if !ok {
		return out
	}
	shared := org.shared[k]
	for j := -1; j < len(shared); j++ {
		slot := first
		if j >= 0 {
			slot = shared[j]
		}
		r := x.t.rec(slot)
		rep := x.reps[r.replicatorID]
		if rep == nil {
			continue
		}
		// One string for the entry's text; its fields are slices of it.
		text := string(x.t.textOf(r))
		field := func(i int) string {
			start := uint16(0)
			if i > 0 {
				start = r.ends[i-1]
			}
			return text[start:r.ends[i]]
		}
		for _, n := range x.t.numsOf(r) {
			if n.e164 != k {
				continue
			}
			out = append(out, roger.DirectoryHit{
				Entry: roger.Entry{ID: r.id, OrgID: r.orgID, ReplicatorID: r.replicatorID, Kind: r.kind.kind(), SourceID: field(0),
					CompanyID: field(1), DisplayName: field(2), CompanyName: field(3), Email: field(4), JobTitle: field(5),
					SourceModified: fromUnixMilli(r.modified), SyncedAt: fromUnixMilli(r.synced)},
				Matched: roger.Number{Field: x.t.fields[n.field], E164: e164, Extension: text[n.extOff : n.extOff+uint16(n.extLen)],
					Status: roger.NumberOK},
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
	s.Entries = len(x.t.slots)
	s.Numbers = x.t.numbers
	s.Applied = x.applied
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
