package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/roger365io/roger"
)

const upsertBatch = 200

const numbersBatch = 400

// chunks splits n rows into batches of max rows and, for the rest, batches
// of a power of two: every multi-row statement then has one of a few
// sizes, all prepared once (ingestQueries), instead of a statement of a
// new size parsed again for each page's odd remainder.
func chunks(n, max int) []int {
	var out []int
	for ; n >= max; n -= max {
		out = append(out, max)
	}
	for p := 1 << 10; p > 0; p >>= 1 {
		if n >= p {
			out = append(out, p)
			n -= p
		}
	}
	return out
}

// eachChunk yields the start and size of each batch.
func eachChunk(sizes []int) func(yield func(int, int) bool) {
	return func(yield func(int, int) bool) {
		start := 0
		for _, size := range sizes {
			if !yield(start, size) {
				return
			}
			start += size
		}
	}
}

// ingestQueryList holds the multi-row statements of every size chunks
// yields, built once.
var ingestQueryList = ingestQueries()

func ingestQueries() []string {
	qs := []string{insertQuery(upsertBatch), updateQuery(upsertBatch), numbersQuery(numbersBatch)}
	for p := 1; p < numbersBatch; p <<= 1 {
		if p < upsertBatch {
			qs = append(qs, insertQuery(p), updateQuery(p))
		}
		qs = append(qs, numbersQuery(p))
	}
	return qs
}

// The multi-row statements below are SQLite's. A statement that may
// abort keeps a journal of every page it touches, to undo itself; SQLite
// compiles an upsert's update branch to abort on a broken constraint. So
// a batch is first inserted with OR IGNORE, which needs no journal and
// inserts the new entries, the most of a full load; only the entries it
// skipped, the known ones, go through the upsert. OR FAIL elsewhere: a
// failed statement fails the page's transaction, rolled back as a whole.

// insertQuery inserts n entries, skipping those the replicator already
// has, and returns the ids of those it inserted.
func insertQuery(n int) string {
	return `INSERT OR IGNORE INTO entries (` + entryColumns + `) VALUES ` +
		strings.TrimSuffix(strings.Repeat(entryRow+`,`, n), ",") + ` RETURNING id, source_id`
}

// updateQuery upserts n entries the replicator already has: each is
// updated unless the directory holds a newer version. It returns the ids
// of those it updated.
func updateQuery(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR FAIL INTO entries (` + entryColumns + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(entryRow)
	}
	b.WriteString(` ON CONFLICT (replicator_id, source_id) DO UPDATE SET kind = excluded.kind, company_id = excluded.company_id,
		display_name = excluded.display_name, company_name = excluded.company_name, email = excluded.email, job_title = excluded.job_title,
		source_modified = excluded.source_modified, source_timestamp = excluded.source_timestamp, synced_at = excluded.synced_at,
		pass = excluded.pass, numbers = excluded.numbers, unparseable = excluded.unparseable, version = excluded.version, cleaned = excluded.cleaned,
		country = excluded.country, country_from = excluded.country_from, quality = excluded.quality
		WHERE entries.source_timestamp <= excluded.source_timestamp RETURNING id, source_id`)
	return b.String()
}

func numbersQuery(n int) string {
	return `INSERT OR FAIL INTO entry_numbers (entry_id, org_id, e164, extension, field) VALUES ` + strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?),`, n), ",")
}

const entryColumns = `org_id, replicator_id, kind, source_id, company_id, display_name, company_name, email, job_title,
	source_modified, source_timestamp, synced_at, pass, numbers, unparseable, version, cleaned, country, country_from, quality`

// entryArgs is the number of entryColumns.
const entryArgs = 20

// entryRow is the placeholders of one row of entryColumns.
var entryRow = "(" + placeholders(entryArgs) + ")"

// ApplyPage upserts and deletes a page of entries and moves the
// replicator's position, in one transaction. An upsert never replaces a
// newer version (higher Timestamp) with an older one; every entry seen is
// stamped with the replicator's current pass.
func (s *Store) ApplyPage(ctx context.Context, p roger.Page) (roger.PageResult, error) {
	return s.ApplyPages(ctx, []roger.Page{p})
}

// ApplyPages applies consecutive pages of one replicator in order, as
// ApplyPage would one by one, in a single transaction that leaves the
// replicator at the last page's position. Pages that queued up while the
// database was busy cost one commit instead of several: with random keys
// in the directory's indexes, each commit writes back roughly one index
// page per record, whether it holds one page or four.
//
// A record the database refuses (a value too long, a constraint, text it
// cannot hold) does not fail the pages: it is set aside, listed by
// ListSetAside and counted in PageResult.SetAside, and the records after
// it are stored as usual.
func (s *Store) ApplyPages(ctx context.Context, pages []roger.Page) (roger.PageResult, error) {
	var res roger.PageResult
	if len(pages) == 0 {
		return res, nil
	}
	last := pages[len(pages)-1]
	upserts := false
	for _, p := range pages {
		if p.ReplicatorID != last.ReplicatorID || p.OrgID != last.OrgID {
			return res, fmt.Errorf("apply pages: pages of replicators %d and %d cannot share a transaction", p.ReplicatorID, last.ReplicatorID)
		}
		upserts = upserts || len(p.Upserts) > 0
	}
	if upserts && s.dialect == SQLite {
		if err := s.warm(ctx, ingestQueryList...); err != nil {
			return res, fmt.Errorf("apply page: %w", dbError(err))
		}
	}
	var change *roger.DirectoryChange
	if s.watchingCommits() {
		change = &roger.DirectoryChange{}
	}
	res, err := s.applyPages(ctx, pages, false, change)
	if err != nil && recordLevel(err) {
		// The pages are written again, each in a savepoint, and a page
		// that fails record by record to find the records to set aside.
		// Not on the first try: on SQLite an open savepoint makes every
		// page the transaction changes be copied to a journal first,
		// which would slow down every page for the sake of a rare one.
		change = nil
		res, err = s.applyPages(ctx, pages, true, nil)
	}
	if err == nil {
		if change != nil {
			s.pagesCommitted(*change)
		}
		s.directoryChanged()
	}
	return res, err
}

func (s *Store) watchingCommits() bool {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	return len(s.committed) > 0
}

// applyPages is ApplyPages' transaction. Carefully, each page is written
// in a savepoint, and one the database refuses is written again record
// by record, setting aside those it refuses.
func (s *Store) applyPages(ctx context.Context, pages []roger.Page, carefully bool, change *roger.DirectoryChange) (roger.PageResult, error) {
	var res roger.PageResult
	last := pages[len(pages)-1]
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res = roger.PageResult{}
		if change != nil {
			*change = roger.DirectoryChange{ReplicatorID: last.ReplicatorID, OrgID: last.OrgID}
		}
		if s.dialect == Postgres {
			// A page and its cursor commit together, so a page lost when
			// the database server itself crashes is simply read again;
			// waiting for each WAL flush would buy nothing.
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return fmt.Errorf("apply page: %w", err)
			}
		}
		// Taking the directory version first locks the replicator's row,
		// so its versions commit in order (see migration 004).
		var st stamp
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE replicators SET directory_version = directory_version + 1 WHERE id = ? RETURNING pass, directory_version`),
			last.ReplicatorID).Scan(&st.pass, &st.version); err != nil {
			return fmt.Errorf("apply page: replicator %d: %w", last.ReplicatorID, err)
		}
		st.now = s.now()
		if change != nil {
			change.From, change.To = st.version-1, st.version
		}
		var aside []roger.SetAsideRecord
		for _, p := range pages {
			if !carefully {
				if err := s.applyChanges(ctx, tx, p, st, &res, change); err != nil {
					return err
				}
				continue
			}
			set, err := s.applyCarefully(ctx, tx, p, st, &res)
			if err != nil {
				return err
			}
			aside = append(aside, set...)
		}
		if err := s.updateSetAside(ctx, tx, pages, aside, st); err != nil {
			return err
		}
		res.SetAside = len(aside)
		if s.beforeCursor != nil {
			if err := s.beforeCursor(); err != nil {
				return err
			}
		}
		full := 0
		if last.FullSync {
			full = 1
		}
		phase := last.Phase
		if phase == "" {
			phase = roger.PhaseRecords
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET cursor = ?, deleted_cursor = ?, resume_url = ?, sync_phase = ?, full_sync = ? WHERE id = ?`),
			last.Cursor, last.DeletedCursor, last.ResumeURL, string(phase), full, last.ReplicatorID)
		if err != nil {
			return fmt.Errorf("apply page: move cursor: %w", err)
		}
		return nil
	})
	return res, err
}

// applyCarefully writes a page in a savepoint and, when the database
// refuses it for a record's sake, each of its records in a savepoint of
// its own. It returns the records the database refused.
func (s *Store) applyCarefully(ctx context.Context, tx *sql.Tx, p roger.Page, st stamp, res *roger.PageResult) ([]roger.SetAsideRecord, error) {
	var pr roger.PageResult
	err := s.savepoint(ctx, tx, func() error { return s.applyChanges(ctx, tx, p, st, &pr, nil) })
	if err == nil || !recordLevel(err) {
		res.Add(pr)
		return nil, err
	}
	var aside []roger.SetAsideRecord
	// alone writes one record's change in a savepoint of its own; a
	// refusal sets it aside as refused says, any other error ends all.
	alone := func(one roger.Page, refused roger.SetAsideRecord) error {
		var r roger.PageResult
		err := s.savepoint(ctx, tx, func() error { return s.applyChanges(ctx, tx, one, st, &r, nil) })
		switch {
		case err == nil:
			res.Add(r)
		case recordLevel(err):
			refused.ReplicatorID, refused.Reason = p.ReplicatorID, refused.Reason+refusal(err)
			aside = append(aside, refused)
		default:
			return err
		}
		return nil
	}
	for _, e := range latestPerSource(p.Upserts) {
		one := roger.Page{ReplicatorID: p.ReplicatorID, OrgID: p.OrgID, Upserts: []roger.Entry{e}}
		if err := alone(one, roger.SetAsideRecord{SourceID: e.SourceID, Kind: e.Kind, DisplayName: e.DisplayName}); err != nil {
			return nil, err
		}
	}
	for _, d := range p.Deletes {
		one := roger.Page{ReplicatorID: p.ReplicatorID, OrgID: p.OrgID, Deletes: []roger.Deletion{d}}
		if err := alone(one, roger.SetAsideRecord{SourceID: d.SourceID, Reason: "Exact deleted it, but the deletion could not be applied: "}); err != nil {
			return nil, err
		}
	}
	return aside, nil
}

// savepoint runs fn in a savepoint of tx: when fn fails, what it wrote is
// undone and the transaction can go on.
func (s *Store) savepoint(ctx context.Context, tx *sql.Tx, fn func() error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT apply_record`); err != nil {
		return fmt.Errorf("apply page: savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT apply_record`); rerr != nil {
			// Not the record's error: the transaction cannot go on.
			return fmt.Errorf("apply page: roll back to savepoint: %v (after %v)", rerr, err)
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE SAVEPOINT apply_record`); rerr != nil {
			return fmt.Errorf("apply page: release savepoint: %v (after %v)", rerr, err)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT apply_record`); err != nil {
		return fmt.Errorf("apply page: release savepoint: %w", err)
	}
	return nil
}

// setAsideIDMax bounds the id kept of a record set aside: an id too long
// for the database's index may be why it was refused.
const setAsideIDMax = 200

// updateSetAside keeps the list of records set aside current: records of
// the pages that were stored or deleted now leave it, those refused now
// join it (or have their reason and time renewed).
func (s *Store) updateSetAside(ctx context.Context, tx *sql.Tx, pages []roger.Page, aside []roger.SetAsideRecord, st stamp) error {
	id := pages[0].ReplicatorID
	if len(aside) == 0 {
		// Most replicators never have one: a look at the primary key
		// spares each page the deletes.
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT 1 FROM set_aside_records WHERE replicator_id = ? LIMIT 1) x`), id).Scan(&n); err != nil {
			return fmt.Errorf("apply page: records set aside: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
	refused := make(map[string]bool, len(aside))
	for _, a := range aside {
		refused[storable(a.SourceID, setAsideIDMax)] = true
	}
	var seen []any
	for _, p := range pages {
		for i := range p.Upserts {
			if sid := storable(p.Upserts[i].SourceID, setAsideIDMax); !refused[sid] {
				seen = append(seen, sid)
			}
		}
		for _, d := range p.Deletes {
			if sid := storable(d.SourceID, setAsideIDMax); !refused[sid] {
				seen = append(seen, sid)
			}
		}
	}
	for start := 0; start < len(seen); start += 500 {
		batch := seen[start:min(start+500, len(seen))]
		args := append([]any{id}, batch...)
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM set_aside_records WHERE replicator_id = ? AND source_id IN (`+placeholders(len(batch))+`)`), args...); err != nil {
			return fmt.Errorf("apply page: records set aside: %w", err)
		}
	}
	for _, a := range aside {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO set_aside_records (replicator_id, source_id, kind, display_name, reason, pass, at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (replicator_id, source_id) DO UPDATE SET kind = excluded.kind, display_name = excluded.display_name, reason = excluded.reason,
			pass = excluded.pass, at = excluded.at`),
			id, storable(a.SourceID, setAsideIDMax), string(a.Kind), storable(a.DisplayName, 200), a.Reason, st.pass, st.now)
		if err != nil {
			return fmt.Errorf("apply page: set aside %s: %w", storable(a.SourceID, 60), err)
		}
	}
	return nil
}

// storable makes s safe to keep in either database, whatever it holds:
// valid UTF-8 without NUL bytes, at most max bytes. The list of records
// set aside uses it, since what made a record unstorable may be its id
// or its name.
func storable(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ListSetAside returns the records of a replicator the database refused
// to store, newest first, at most limit.
func (s *Store) ListSetAside(ctx context.Context, replicatorID int64, limit int) ([]roger.SetAsideRecord, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT source_id, kind, display_name, reason, at FROM set_aside_records WHERE replicator_id = ?
		ORDER BY at DESC, source_id LIMIT ?`), replicatorID, limit)
	if err != nil {
		return nil, fmt.Errorf("list records set aside: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.SetAsideRecord
	for rows.Next() {
		r := roger.SetAsideRecord{ReplicatorID: replicatorID}
		var kind string
		var at int64
		if err := rows.Scan(&r.SourceID, &kind, &r.DisplayName, &r.Reason, &at); err != nil {
			return nil, fmt.Errorf("list records set aside: %w", dbError(err))
		}
		r.Kind, r.At = roger.Kind(kind), fromMS(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list records set aside: %w", dbError(err))
	}
	return out, nil
}

// applyChanges writes one page's upserts and deletions, adding what they
// changed to res.
func (s *Store) applyChanges(ctx context.Context, tx *sql.Tx, p roger.Page, st stamp, res *roger.PageResult, change *roger.DirectoryChange) error {
	upserts := latestPerSource(p.Upserts)
	sizes := chunks(len(upserts), upsertBatch)
	if s.dialect == Postgres {
		sizes = []int{len(upserts)}
	}
	stale := 0
	for start, size := range eachChunk(sizes) {
		batch := upserts[start : start+size]
		upsert, index := s.upsertBatch, s.insertNumbers
		if s.dialect == Postgres {
			upsert, index = s.pgUpsert, s.pgInsertNumbers
		}
		written, err := upsert(ctx, tx, p, batch, st)
		if err != nil {
			return err
		}
		var replaced []int64
		for _, w := range written {
			if w.inserted {
				res.Created++
			} else {
				res.Updated++
				replaced = append(replaced, w.id)
			}
		}
		stale += len(batch) - len(written)
		if change != nil {
			change.Entries = appendWritten(change.Entries, p, batch, written, st)
		}
		if err := s.deleteNumbers(ctx, tx, replaced); err != nil {
			return err
		}
		if err := index(ctx, tx, p.OrgID, batch, written); err != nil {
			return err
		}
		// A turn for lookups between chunks: a commit of eight pages
		// runs for a tenth of a second or more (cpushare.Turn).
		runtime.Gosched()
	}
	res.Stale += stale
	if stale > 0 {
		// Entries skipped as stale were still seen in this pass.
		if err := s.stampPass(ctx, tx, p.ReplicatorID, st.pass, p.Upserts); err != nil {
			return err
		}
	}
	var removed []int64
	for _, d := range p.Deletes {
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`DELETE FROM entries WHERE replicator_id = ? AND source_id = ? AND source_timestamp <= ? RETURNING id`),
			p.ReplicatorID, d.SourceID, d.Timestamp).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO entry_removals (replicator_id, version, entry_id, removed) VALUES (?, ?, ?, ?)`),
				p.ReplicatorID, st.version, id, st.now)
		}
		if err != nil {
			return fmt.Errorf("apply page: delete: %w", err)
		}
		removed = append(removed, id)
		res.Deleted++
	}
	if change != nil {
		change.Removed = append(change.Removed, removed...)
	}
	// Numbers are not tied to their entry by a foreign key (migration
	// 005): whoever removes an entry removes its numbers.
	return s.deleteNumbers(ctx, tx, removed)
}

// appendWritten adds to out the entries of batch the database wrote, as
// it stored them: those older than what it held are left out.
func appendWritten(out []*roger.Entry, p roger.Page, batch []roger.Entry, written []written, st stamp) []*roger.Entry {
	ids := writtenIDs(written)
	for i := range batch {
		id, ok := ids[batch[i].SourceID]
		if !ok {
			continue
		}
		e := batch[i]
		e.ID, e.OrgID, e.ReplicatorID = id, p.OrgID, p.ReplicatorID
		e.SourceModified, e.SyncedAt = fromMS(ms(e.SourceModified)), fromMS(st.now)
		out = append(out, &e)
	}
	return out
}

// writtenIDs maps the source IDs of the entries written to their IDs.
func writtenIDs(written []written) map[string]int64 {
	ids := make(map[string]int64, len(written))
	for _, w := range written {
		ids[w.sourceID] = w.id
	}
	return ids
}

// stamp is what every entry a page writes is stamped with: the
// replicator's pass, the page's directory version and the time.
type stamp struct {
	pass, version, now int64
}

type written struct {
	id       int64
	sourceID string
	inserted bool
}

// latestPerSource keeps, of entries with the same source id, the one
// with the highest Timestamp (the later one of equals), in the order of
// the first. Exact sends a record once a page; a page that had one twice
// would otherwise index the numbers of both versions.
func latestPerSource(entries []roger.Entry) []roger.Entry {
	at := make(map[string]int, len(entries))
	var out []roger.Entry
	for i := range entries {
		j, seen := at[entries[i].SourceID]
		if !seen {
			at[entries[i].SourceID] = len(at)
			if out != nil {
				out = append(out, entries[i])
			}
			continue
		}
		if out == nil {
			out = slices.Clone(entries[:i])
		}
		if entries[i].SourceTimestamp >= out[j].SourceTimestamp {
			out[j] = entries[i]
		}
	}
	if out == nil {
		return entries
	}
	return out
}

// upsertBatch writes a batch on SQLite: new entries inserted, known ones
// updated unless the directory holds a newer version.
func (s *Store) upsertBatch(ctx context.Context, tx *sql.Tx, p roger.Page, batch []roger.Entry, st stamp) ([]written, error) {
	args := make([]any, 0, len(batch)*entryArgs)
	for i := range batch {
		e := &batch[i]
		numbers, err := json.Marshal(e.Numbers)
		if err != nil {
			return nil, err
		}
		bad := 0
		for _, n := range e.Numbers {
			if n.Status != roger.NumberOK {
				bad++
			}
		}
		args = append(args, p.OrgID, p.ReplicatorID, string(e.Kind), e.SourceID, e.CompanyID, e.DisplayName, e.CompanyName, e.Email, e.JobTitle,
			ms(e.SourceModified), e.SourceTimestamp, st.now, st.pass, string(numbers), bad, st.version, cleanedText(e.Cleaned), e.Country, string(e.CountryFrom),
			int(roger.EntryQuality(e)))
	}
	out := make([]written, 0, len(batch))
	out, err := s.collectWritten(ctx, tx, insertQuery(len(batch)), args, out, true)
	if err != nil || len(out) == len(batch) {
		return out, err
	}
	inserted := make(map[string]bool, len(out))
	for _, w := range out {
		inserted[w.sourceID] = true
	}
	var known []int
	for i := range batch {
		if !inserted[batch[i].SourceID] {
			known = append(known, i)
		}
	}
	for start, size := range eachChunk(chunks(len(known), upsertBatch)) {
		update := make([]any, 0, size*entryArgs)
		for _, i := range known[start : start+size] {
			update = append(update, args[i*entryArgs:(i+1)*entryArgs]...)
		}
		if out, err = s.collectWritten(ctx, tx, updateQuery(size), update, out, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collectWritten runs a prepared statement returning (id, source_id) and
// appends what it wrote to out.
func (s *Store) collectWritten(ctx context.Context, tx *sql.Tx, query string, args []any, out []written, inserted bool) ([]written, error) {
	stmt, err := s.stmt(ctx, tx, query)
	if err != nil {
		return nil, fmt.Errorf("apply page: upsert: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("apply page: upsert: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		w := written{inserted: inserted}
		if err := rows.Scan(&w.id, &w.sourceID); err != nil {
			return nil, fmt.Errorf("apply page: upsert: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apply page: upsert: %w", err)
	}
	return out, nil
}

func (s *Store) deleteNumbers(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if s.dialect == Postgres && len(ids) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM entry_numbers WHERE entry_id = ANY($1::bigint[])`, ids); err != nil {
			return fmt.Errorf("apply page: replace numbers: %w", err)
		}
		return nil
	}
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM entry_numbers WHERE entry_id IN (`+placeholders(len(batch))+`)`), args...); err != nil {
			return fmt.Errorf("apply page: replace numbers: %w", err)
		}
	}
	return nil
}

// insertNumbers indexes the parsed numbers of the entries just written.
func (s *Store) insertNumbers(ctx context.Context, tx *sql.Tx, orgID int64, batch []roger.Entry, done []written) error {
	if len(done) == 0 {
		return nil
	}
	args := make([]any, 0, numbersBatch*5)
	n := 0
	flush := func() error {
		for start, size := range eachChunk(chunks(n, numbersBatch)) {
			st, err := s.stmt(ctx, tx, numbersQuery(size))
			if err == nil {
				_, err = st.ExecContext(ctx, args[start*5:(start+size)*5]...)
			}
			if err != nil {
				return fmt.Errorf("apply page: index numbers: %w", err)
			}
		}
		args, n = args[:0], 0
		return nil
	}
	for id, num := range indexedNumbers(batch, done) {
		args = append(args, id, orgID, num.E164, num.Extension, num.Field)
		n++
		if n == numbersBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// indexedNumbers yields the numbers to index for the entries of batch
// that were written (done), with the entry's id: each parsed number once,
// under the first field that holds it.
func indexedNumbers(batch []roger.Entry, done []written) iter.Seq2[int64, roger.Number] {
	return func(yield func(int64, roger.Number) bool) {
		ids := writtenIDs(done)
		for i := range batch {
			id, ok := ids[batch[i].SourceID]
			if !ok {
				continue
			}
			nums := batch[i].Numbers
			for j, num := range nums {
				if num.Status != roger.NumberOK || slices.ContainsFunc(nums[:j], func(o roger.Number) bool {
					return o.Status == roger.NumberOK && o.E164 == num.E164 && o.Extension == num.Extension
				}) {
					continue
				}
				if !yield(id, num) {
					return
				}
			}
		}
	}
}

func (s *Store) stampPass(ctx context.Context, tx *sql.Tx, replicatorID, pass int64, upserts []roger.Entry) error {
	for start := 0; start < len(upserts); start += 500 {
		batch := upserts[start:min(start+500, len(upserts))]
		args := make([]any, 0, len(batch)+2)
		args = append(args, pass, replicatorID)
		for i := range batch {
			args = append(args, batch[i].SourceID)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE entries SET pass = ? WHERE replicator_id = ? AND source_id IN (`+placeholders(len(batch))+`)`), args...); err != nil {
			return fmt.Errorf("apply page: %w", err)
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// StartFullSync begins a full pass: a new pass number, the cursors back to
// the start, and the division move date Exact reports now.
func (s *Store) StartFullSync(ctx context.Context, id int64, moveDate int64) (int64, error) {
	var pass int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The accounts' countries are read again too: after a division
		// move their Timestamps start over as well.
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE replicators SET pass = pass + 1, cursor = 0, deleted_cursor = 0, resume_url = '', sync_phase = 'records', full_sync = 1,
			account_countries_cursor = 0, account_countries_resume_url = '', division_move_date = ? WHERE id = ? RETURNING pass`), moveDate, id).Scan(&pass); err != nil {
			return fmt.Errorf("start full sync: %w", err)
		}
		// A division move numbers every record anew, lower than before;
		// the stored Timestamps would make the pass's upserts look older
		// than what the directory holds. The pass rewrites every entry.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE entries SET source_timestamp = 0 WHERE replicator_id = ?`), id); err != nil {
			return fmt.Errorf("start full sync: %w", err)
		}
		return nil
	})
	return pass, err
}

// FinishFullSync ends a full pass: the entries it did not see are gone
// from Exact and are removed. It returns how many.
func (s *Store) FinishFullSync(ctx context.Context, id, pass int64) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var version int64
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE replicators SET directory_version = directory_version + 1 WHERE id = ? RETURNING directory_version`),
			id).Scan(&version); err != nil {
			return fmt.Errorf("finish full sync: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO entry_removals (replicator_id, version, entry_id, removed)
			SELECT replicator_id, ?, id, ? FROM entries WHERE replicator_id = ? AND pass < ?`), version, s.now(), id, pass); err != nil {
			return fmt.Errorf("finish full sync: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM entry_numbers WHERE entry_id IN (SELECT id FROM entries WHERE replicator_id = ? AND pass < ?)`), id, pass); err != nil {
			return fmt.Errorf("finish full sync: %w", err)
		}
		// A record set aside in an earlier pass and not read in this one
		// is gone from Exact.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM set_aside_records WHERE replicator_id = ? AND pass < ?`), id, pass); err != nil {
			return fmt.Errorf("finish full sync: %w", err)
		}
		r, err := tx.ExecContext(ctx, s.q(`DELETE FROM entries WHERE replicator_id = ? AND pass < ?`), id, pass)
		if err != nil {
			return fmt.Errorf("finish full sync: %w", err)
		}
		n, _ = r.RowsAffected()
		_, err = tx.ExecContext(ctx, s.q(`UPDATE replicators SET full_sync = 0, resume_url = '', sync_phase = 'records' WHERE id = ?`), id)
		return err
	})
	if err == nil {
		s.directoryChanged()
	}
	return int(n), err
}

// ForEachEntry streams the entries matching f, in ID order, to fn.
func (s *Store) ForEachEntry(ctx context.Context, f roger.EntryFilter, fn func(*roger.Entry) error) error {
	query := `SELECT ` + scanEntryColumns + ` FROM entries e WHERE e.org_id = ?`
	args := []any{f.OrgID}
	if f.ReplicatorID != 0 {
		query += ` AND e.replicator_id = ?`
		args = append(args, f.ReplicatorID)
	}
	if f.E164 != "" {
		query += ` AND e.id IN (SELECT entry_id FROM entry_numbers WHERE org_id = ? AND e164 = ?)`
		args = append(args, f.OrgID, f.E164)
	}
	if f.Unparseable {
		query += ` AND e.unparseable > 0`
	}
	if f.Cleaned {
		query += ` AND e.cleaned <> ''`
	}
	query += ` ORDER BY e.id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return s.eachEntry(ctx, "read entries", query, args, fn)
}

// eachEntry streams the entries a query of scanEntryColumns returns to
// fn. Database errors are wrapped in op; fn's come back as they are.
func (s *Store) eachEntry(ctx context.Context, op, query string, args []any, fn func(*roger.Entry) error) error {
	rows, err := s.read.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, dbError(err))
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", op, dbError(err))
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, dbError(err))
	}
	return nil
}

// CountEntries returns how many entries a replicator has and how many of
// them have a number that did not parse.
func (s *Store) CountEntries(ctx context.Context, replicatorID int64) (entries, unparseable int, err error) {
	// Two queries, each answered from an index: the unique key for the
	// count, the partial index for the few that did not parse.
	if err = s.read.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM entries WHERE replicator_id = ?`), replicatorID).Scan(&entries); err != nil {
		return 0, 0, fmt.Errorf("count entries: %w", dbError(err))
	}
	if err = s.read.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM entries WHERE replicator_id = ? AND unparseable > 0`), replicatorID).Scan(&unparseable); err != nil {
		return 0, 0, fmt.Errorf("count entries: %w", dbError(err))
	}
	return entries, unparseable, nil
}

// scanEntryColumns are the columns scanEntry reads, of entries as e.
const scanEntryColumns = `e.id, e.org_id, e.replicator_id, e.kind, e.source_id, e.company_id, e.display_name, e.company_name, e.email,
	e.job_title, e.source_modified, e.source_timestamp, e.synced_at, e.numbers, e.cleaned, e.country, e.country_from`

func scanEntry(rows *sql.Rows) (*roger.Entry, error) {
	var e roger.Entry
	var kind, numbers, cleaned, from string
	var modified, synced int64
	if err := rows.Scan(&e.ID, &e.OrgID, &e.ReplicatorID, &kind, &e.SourceID, &e.CompanyID, &e.DisplayName, &e.CompanyName, &e.Email,
		&e.JobTitle, &modified, &e.SourceTimestamp, &synced, &numbers, &cleaned, &e.Country, &from); err != nil {
		return nil, err
	}
	e.Kind, e.SourceModified, e.SyncedAt, e.CountryFrom = roger.Kind(kind), fromMS(modified), fromMS(synced), roger.CountrySource(from)
	if err := json.Unmarshal([]byte(numbers), &e.Numbers); err != nil {
		return nil, fmt.Errorf("numbers of entry %d: %w", e.ID, err)
	}
	if cleaned != "" {
		e.Cleaned = strings.Split(cleaned, "\n")
	}
	return &e, nil
}

// cleanedText is how an entry's Cleaned notes are stored: one a line,
// "" for none (the partial index entries_cleaned skips those).
func cleanedText(notes []string) string { return strings.Join(notes, "\n") }
