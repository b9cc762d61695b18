package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/roger365io/roger"
)

// MaxLookupNumbers is how many numbers FindByNumbers takes at once: a
// caller's number and its four company main-number candidates.
const MaxLookupNumbers = 5

// lookupQuery reads every entry holding one of the numbers, with its
// replicator's name and Contact URL template, in one round trip. It always
// takes MaxLookupNumbers numbers (the list is padded), so one prepared
// statement serves every lookup of several numbers.
var lookupQuery = lookupSelect + `n.e164 IN (` + placeholders(MaxLookupNumbers) + `)`

// lookupOneQuery is lookupQuery for a single number: an equality probe.
const lookupOneQuery = lookupSelect + `n.e164 = ?`

const lookupSelect = `SELECT n.e164, n.extension, n.field, e.id, e.replicator_id, e.kind, e.source_id, e.company_id, e.display_name,
	e.company_name, e.email, e.job_title, e.source_modified, e.synced_at, r.name, r.contact_url, r.division
	FROM entry_numbers n JOIN entries e ON e.id = n.entry_id JOIN replicators r ON r.id = e.replicator_id
	WHERE n.org_id = ? AND e.org_id = ? AND `

// FindByNumbers returns the organisation's entries that have the E.164
// number e164s[0], one hit per stored number that matched, unordered; when
// nobody has it, the entries that have one of the others (a caller's
// company main-number candidates).
func (s *Store) FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error) {
	if len(e164s) == 0 {
		return nil, nil
	}
	if len(e164s) > MaxLookupNumbers {
		return nil, fmt.Errorf("find by numbers: %d numbers, at most %d", len(e164s), MaxLookupNumbers)
	}
	if s.dialect == Postgres {
		// A round trip costs more than the probes: one query for all.
		hits, err := s.findByNumbers(ctx, orgID, e164s)
		if err != nil {
			return nil, err
		}
		direct := slices.DeleteFunc(slices.Clone(hits), func(h roger.DirectoryHit) bool { return h.Matched.E164 != e164s[0] })
		if len(direct) > 0 {
			return direct, nil
		}
		return hits, nil
	}
	// SQLite answers in process: a probe for the caller's number alone is
	// cheaper than an IN list (a temporary index on every run), and most
	// callers are in the directory.
	hits, err := s.findByNumbers(ctx, orgID, e164s[:1])
	if err != nil || len(hits) > 0 || len(e164s) == 1 {
		return hits, err
	}
	return s.findByNumbers(ctx, orgID, e164s[1:])
}

func (s *Store) findByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error) {
	args := make([]any, 0, 2+MaxLookupNumbers)
	args = append(args, orgID, orgID)
	query := lookupOneQuery
	if len(e164s) == 1 {
		args = append(args, e164s[0])
	} else {
		query = lookupQuery
		for i := range MaxLookupNumbers {
			args = append(args, e164s[min(i, len(e164s)-1)])
		}
	}
	st, err := s.readStmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("find by numbers: %w", dbError(err))
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("find by numbers: %w", dbError(err))
	}
	defer rows.Close()
	var out []roger.DirectoryHit
	for rows.Next() {
		var h roger.DirectoryHit
		var kind string
		var modified, synced int64
		e := &h.Entry
		if err := rows.Scan(&h.Matched.E164, &h.Matched.Extension, &h.Matched.Field, &e.ID, &e.ReplicatorID, &kind, &e.SourceID, &e.CompanyID,
			&e.DisplayName, &e.CompanyName, &e.Email, &e.JobTitle, &modified, &synced, &h.ReplicatorName, &h.ContactURL, &h.Division); err != nil {
			return nil, fmt.Errorf("find by numbers: %w", dbError(err))
		}
		e.OrgID, e.Kind, e.SourceModified, e.SyncedAt = orgID, roger.Kind(kind), fromMS(modified), fromMS(synced)
		h.Matched.Status = roger.NumberOK
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find by numbers: %w", dbError(err))
	}
	return out, nil
}

// SearchEntries returns up to limit of the organisation's entries whose
// name or company contains q (without regard to case; every entry when q
// is empty), in ID order after the entry with ID after, with their
// numbers. Pages go by ID rather than by name so that each page is an index
// range scan, not a sort of the whole directory.
func (s *Store) SearchEntries(ctx context.Context, orgID int64, q string, after int64, limit int) ([]roger.DirectoryHit, error) {
	query := searchSelect + `WHERE e.org_id = ? AND e.id > ?`
	args := []any{orgID, after}
	if q = strings.TrimSpace(q); q != "" {
		query += ` AND (LOWER(e.display_name) LIKE ? ESCAPE '\' OR LOWER(e.company_name) LIKE ? ESCAPE '\')`
		pattern := "%" + likeEscaper.Replace(strings.ToLower(q)) + "%"
		args = append(args, pattern, pattern)
	}
	query += ` ORDER BY e.id LIMIT ?`
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("search entries: %w", dbError(err))
	}
	defer rows.Close()
	out, err := scanSearchHits(rows, orgID)
	if err != nil {
		return nil, fmt.Errorf("search entries: %w", err)
	}
	return out, nil
}

// searchSelect reads what searches return of an entry.
const searchSelect = `SELECT e.id, e.replicator_id, e.kind, e.source_id, e.company_id, e.display_name, e.company_name, e.email, e.job_title,
		e.source_modified, e.synced_at, e.numbers, e.country, e.country_from, r.name, r.contact_url, r.division
		FROM entries e JOIN replicators r ON r.id = e.replicator_id `

// scanSearchHits reads the rows of a searchSelect.
func scanSearchHits(rows *sql.Rows, orgID int64) ([]roger.DirectoryHit, error) {
	var out []roger.DirectoryHit
	for rows.Next() {
		var h roger.DirectoryHit
		var kind, numbers, from string
		var modified, synced int64
		e := &h.Entry
		if err := rows.Scan(&e.ID, &e.ReplicatorID, &kind, &e.SourceID, &e.CompanyID, &e.DisplayName, &e.CompanyName, &e.Email, &e.JobTitle,
			&modified, &synced, &numbers, &e.Country, &from, &h.ReplicatorName, &h.ContactURL, &h.Division); err != nil {
			return nil, dbError(err)
		}
		e.OrgID, e.Kind, e.SourceModified, e.SyncedAt, e.CountryFrom = orgID, roger.Kind(kind), fromMS(modified), fromMS(synced), roger.CountrySource(from)
		if err := json.Unmarshal([]byte(numbers), &e.Numbers); err != nil {
			return nil, fmt.Errorf("numbers of entry %d: %w", e.ID, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err)
	}
	return out, nil
}

// likeEscaper makes the searched text literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// readStmt returns query prepared on the read pool, prepared once. The
// cache is shared with the ingest statements; the key differs so that a
// query is never taken for the write pool's.
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	query = s.q(query)
	key := "read\x00" + query
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[key]; ok {
		return st, nil
	}
	st, err := s.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[key] = st
	return st, nil
}
