package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"github.com/roger365io/roger"
)

// afterMigration are the steps a migration needs that SQL cannot do,
// run in the migration's transaction after its SQL.
var afterMigration = map[int]func(ctx context.Context, s *Store, tx *sql.Tx) error{
	12: fillQuality,
}

// fillQuality sets the data-quality set of the entries stored before
// migration 012. Only an entry with a number that did not parse, or one
// flagged unlisted or national, can have a problem; the others keep 0.
func fillQuality(ctx context.Context, s *Store, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+scanEntryColumns+` FROM entries e
		WHERE e.unparseable > 0 OR e.numbers LIKE '%"u":true%' OR e.numbers LIKE '%"n":true%'`)
	if err != nil {
		return fmt.Errorf("fill quality: %w", err)
	}
	type set struct {
		id      int64
		quality roger.QualitySet
	}
	var sets []set
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("fill quality: %w", err)
		}
		if q := roger.EntryQuality(e); q != 0 {
			sets = append(sets, set{e.ID, q})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fill quality: %w", err)
	}
	for _, st := range sets {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE entries SET quality = ? WHERE id = ?`), int(st.quality), st.id); err != nil {
			return fmt.Errorf("fill quality: %w", err)
		}
	}
	return nil
}

// qualityCounts are a replicator's data-quality counts and the state of
// its organisation's directory they were counted in.
type qualityCounts struct {
	state  [3]int64
	counts map[roger.QualityProblem]int
}

// CountQuality returns how many of a replicator's entries have each
// problem, and how many of the numbers its entries hold are shared with
// another entry of the organisation (under roger.ProblemShared).
//
// Finding the shared numbers reads every number of the replicator (about
// a second for 100,000 entries on SQLite), so the counts are kept until
// the organisation's directory changes: every write to a replicator's
// entries takes its next directory version.
func (s *Store) CountQuality(ctx context.Context, orgID, replicatorID int64) (map[roger.QualityProblem]int, error) {
	var state [3]int64
	if err := s.read.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(directory_version), 0), COALESCE(MAX(id), 0) FROM replicators WHERE org_id = ?`),
		orgID).Scan(&state[0], &state[1], &state[2]); err != nil {
		return nil, fmt.Errorf("count data quality: %w", dbError(err))
	}
	s.qualityMu.Lock()
	kept, ok := s.qualityCounts[[2]int64{orgID, replicatorID}]
	s.qualityMu.Unlock()
	if ok && kept.state == state {
		return maps.Clone(kept.counts), nil
	}
	counts, err := s.countQuality(ctx, orgID, replicatorID)
	if err != nil {
		return nil, err
	}
	s.qualityMu.Lock()
	if s.qualityCounts == nil {
		s.qualityCounts = map[[2]int64]qualityCounts{}
	}
	s.qualityCounts[[2]int64{orgID, replicatorID}] = qualityCounts{state: state, counts: counts}
	s.qualityMu.Unlock()
	return maps.Clone(counts), nil
}

func (s *Store) countQuality(ctx context.Context, orgID, replicatorID int64) (map[roger.QualityProblem]int, error) {
	// The sets are few (a handful of combinations); each is counted from
	// the partial index, and split into problems here.
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT quality, COUNT(*) FROM entries WHERE org_id = ? AND replicator_id = ? AND quality <> 0 GROUP BY quality`),
		orgID, replicatorID)
	if err != nil {
		return nil, fmt.Errorf("count data quality: %w", dbError(err))
	}
	defer rows.Close()
	out := map[roger.QualityProblem]int{}
	for rows.Next() {
		var q, n int
		if err := rows.Scan(&q, &n); err != nil {
			return nil, fmt.Errorf("count data quality: %w", dbError(err))
		}
		for _, p := range roger.QualityProblems {
			if roger.QualitySet(q).Has(p) {
				out[p] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count data quality: %w", dbError(err))
	}
	var shared int
	if err := s.read.QueryRowContext(ctx, s.q(`SELECT COUNT(DISTINCT n.e164) FROM entry_numbers n JOIN entries e ON e.id = n.entry_id
		WHERE n.org_id = ? AND e.replicator_id = ? AND `+sharedNumber), orgID, replicatorID).Scan(&shared); err != nil {
		return nil, fmt.Errorf("count data quality: %w", dbError(err))
	}
	out[roger.ProblemShared] = shared
	return out, nil
}

// sharedNumber holds for a number n of entry_numbers that another entry
// of its organisation has too.
const sharedNumber = `EXISTS (SELECT 1 FROM entry_numbers o WHERE o.org_id = n.org_id AND o.e164 = n.e164 AND o.entry_id <> n.entry_id)`

// FindQualityEntries returns a page of a replicator's entries with a
// problem (f.Problem, or any but roger.ProblemShared), in id order.
func (s *Store) FindQualityEntries(ctx context.Context, f roger.QualityFilter) ([]*roger.Entry, error) {
	if f.Problem == roger.ProblemShared {
		return nil, roger.Errorf(roger.EINVALID, "Numbers shared by several records are listed by number, not by record.")
	}
	query := `SELECT ` + scanEntryColumns + ` FROM entries e WHERE e.org_id = ? AND e.replicator_id = ? AND e.quality <> 0`
	args := []any{f.OrgID, f.ReplicatorID}
	if f.Problem != "" {
		query += fmt.Sprintf(` AND (e.quality & %d) <> 0`, f.Problem.Bit())
	}
	backwards := f.After == 0 && f.Before > 0
	switch {
	case backwards:
		query += ` AND e.id < ? ORDER BY e.id DESC`
		args = append(args, f.Before)
	default:
		query += ` AND e.id > ? ORDER BY e.id`
		args = append(args, f.After)
	}
	query += ` LIMIT ?`
	args = append(args, pageLimit(f.Limit))
	var out []*roger.Entry
	err := s.eachEntry(ctx, "read data quality", query, args, func(e *roger.Entry) error {
		out = append(out, e)
		return nil
	})
	if backwards {
		slices.Reverse(out)
	}
	return out, err
}

// pageLimit bounds a page of the report; 0 is the default.
func pageLimit(n int) int {
	if n <= 0 || n > 1000 {
		return 100
	}
	return n
}

// FindSharedNumbers returns a page of the numbers a replicator's entries
// share with other entries of the organisation, in number order, each with
// every entry of the organisation that holds it.
func (s *Store) FindSharedNumbers(ctx context.Context, f roger.SharedFilter) ([]roger.SharedNumber, error) {
	query := `SELECT DISTINCT n.e164 FROM entry_numbers n JOIN entries e ON e.id = n.entry_id
		WHERE n.org_id = ? AND e.replicator_id = ? AND ` + sharedNumber
	args := []any{f.OrgID, f.ReplicatorID}
	backwards := f.After == "" && f.Before != ""
	if backwards {
		query += ` AND n.e164 < ? ORDER BY n.e164 DESC`
		args = append(args, f.Before)
	} else {
		query += ` AND n.e164 > ? ORDER BY n.e164`
		args = append(args, f.After)
	}
	query += ` LIMIT ?`
	args = append(args, pageLimit(f.Limit))
	rows, err := s.read.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read shared numbers: %w", dbError(err))
	}
	var numbers []string
	for rows.Next() {
		var e164 string
		if err := rows.Scan(&e164); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read shared numbers: %w", dbError(err))
		}
		numbers = append(numbers, e164)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read shared numbers: %w", dbError(err))
	}
	if backwards {
		slices.Reverse(numbers)
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	type holder struct {
		e164    string
		entryID int64
	}
	var holders []holder
	args = []any{f.OrgID}
	for _, n := range numbers {
		args = append(args, n)
	}
	// An entry holding a number under two extensions is one holder.
	rows, err = s.read.QueryContext(ctx, s.q(`SELECT DISTINCT e164, entry_id FROM entry_numbers WHERE org_id = ? AND e164 IN (`+
		placeholders(len(numbers))+`) ORDER BY e164, entry_id`), args...)
	if err != nil {
		return nil, fmt.Errorf("read shared numbers: %w", dbError(err))
	}
	ids := map[int64]bool{}
	for rows.Next() {
		var h holder
		if err := rows.Scan(&h.e164, &h.entryID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read shared numbers: %w", dbError(err))
		}
		holders, ids[h.entryID] = append(holders, h), true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read shared numbers: %w", dbError(err))
	}
	entries := make(map[int64]*roger.Entry, len(ids))
	args = []any{f.OrgID}
	for id := range ids {
		args = append(args, id)
	}
	err = s.eachEntry(ctx, "read shared numbers", `SELECT `+scanEntryColumns+` FROM entries e WHERE e.org_id = ? AND e.id IN (`+placeholders(len(ids))+`)`,
		args, func(e *roger.Entry) error {
			entries[e.ID] = e
			return nil
		})
	if err != nil {
		return nil, err
	}
	reps, err := s.ListReplicators(ctx, f.OrgID)
	if err != nil {
		return nil, fmt.Errorf("read shared numbers: %w", err)
	}
	byID := make(map[int64]*roger.Replicator, len(reps))
	for _, r := range reps {
		byID[r.ID] = r
	}
	out := make([]roger.SharedNumber, 0, len(numbers))
	for _, h := range holders {
		e, r := entries[h.entryID], byID[entries[h.entryID].ReplicatorID]
		if e == nil || r == nil {
			continue // removed since the numbers were read
		}
		if len(out) == 0 || out[len(out)-1].E164 != h.e164 {
			out = append(out, roger.SharedNumber{E164: h.e164})
		}
		hit := roger.DirectoryHit{Entry: *e, ReplicatorName: r.Name, ContactURL: r.ContactURL, Division: r.Division}
		for _, num := range e.Numbers {
			if num.Status == roger.NumberOK && num.E164 == h.e164 {
				hit.Matched = num
				break
			}
		}
		last := &out[len(out)-1]
		last.Entries = append(last.Entries, hit)
	}
	return out, nil
}
