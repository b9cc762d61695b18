package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/roger365io/roger"
)

// A contacts replicator keeps the countries of its division's accounts
// (migration 010), so that a contact without a country of its own is read
// with its account's. They are read incrementally from sync/CRM/Accounts
// with a cursor of their own, account_countries_cursor on the replicator,
// which commits with its page like the records cursor. -1 there means the
// replicator read its contacts before it kept accounts' countries, so its
// next run is a full pass.

// accountCountriesBatch is how many accounts one statement writes or
// reads: four parameters a row keeps a statement far below either
// database's parameter limit.
const accountCountriesBatch = 250

// AccountCountriesCursor returns the Timestamp after which replicator id
// reads its accounts' countries next (0 when it has none yet, -1 when its
// contacts were read before it kept them) and the __next link an
// interrupted read goes on with ("" when none).
func (s *Store) AccountCountriesCursor(ctx context.Context, id int64) (cursor int64, resumeURL string, err error) {
	if err := s.read.QueryRowContext(ctx, s.q(`SELECT account_countries_cursor, account_countries_resume_url FROM replicators WHERE id = ?`),
		id).Scan(&cursor, &resumeURL); err != nil {
		return 0, "", fmt.Errorf("accounts' countries cursor of replicator %d: %w", id, dbError(err))
	}
	return cursor, resumeURL, nil
}

// AccountCountries returns the stored countries of the accounts ids of a
// replicator, by account id; accounts it has no row for, or that name no
// country, are left out.
func (s *Store) AccountCountries(ctx context.Context, replicatorID int64, ids []string) (map[string]string, error) {
	out := make(map[string]string)
	for start := 0; start < len(ids); start += accountCountriesBatch {
		batch := ids[start:min(start+accountCountriesBatch, len(ids))]
		args := make([]any, 0, len(batch)+1)
		args = append(args, replicatorID)
		for _, id := range batch {
			args = append(args, id)
		}
		rows, err := s.read.QueryContext(ctx, s.q(`SELECT account_id, country FROM account_countries WHERE replicator_id = ? AND country <> ''
			AND account_id IN (`+placeholders(len(batch))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("accounts' countries: %w", dbError(err))
		}
		for rows.Next() {
			var id, country string
			if err := rows.Scan(&id, &country); err != nil {
				rows.Close()
				return nil, fmt.Errorf("accounts' countries: %w", dbError(err))
			}
			out[id] = country
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("accounts' countries: %w", dbError(err))
		}
	}
	return out, nil
}

// ApplyAccountCountries stores a page of accounts' countries of a contacts
// replicator and moves its accounts cursor, in one transaction. When
// reread is not nil, the stored contacts of every account whose country
// changed (or that is new) are read again in the same transaction:
// reread gets each such entry with its account's new country ("" for
// none), updates its Numbers, Country and CountryFrom from what is stored
// (no call to Exact) and reports whether it changed. Pass nil while the
// accounts are read from the start of a full pass, which reads every
// contact anyway. It returns how many entries were read again.
func (s *Store) ApplyAccountCountries(ctx context.Context, p roger.AccountCountryPage, reread func(e *roger.Entry, accountCountry string) bool) (int, error) {
	rewritten := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rewritten = 0
		// A page holds an account once; should it hold one twice, the
		// later row is the newer version.
		latest := make(map[string]string, len(p.Countries))
		var ids []string
		for _, c := range p.Countries {
			if _, seen := latest[c.AccountID]; !seen {
				ids = append(ids, c.AccountID)
			}
			latest[c.AccountID] = c.Country
		}
		var changed []string
		if reread != nil {
			old, err := s.storedAccountCountries(ctx, tx, p.ReplicatorID, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if prev, known := old[id]; !known && latest[id] != "" || known && !strings.EqualFold(prev, latest[id]) {
					changed = append(changed, id)
				}
			}
		}
		if err := s.upsertAccountCountries(ctx, tx, p.ReplicatorID, ids, latest, p.Countries); err != nil {
			return err
		}
		if len(changed) > 0 {
			n, err := s.rereadContacts(ctx, tx, p, changed, latest, reread)
			if err != nil {
				return err
			}
			rewritten = n
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE replicators SET account_countries_cursor = ?, account_countries_resume_url = ? WHERE id = ?`),
			p.Cursor, p.ResumeURL, p.ReplicatorID); err != nil {
			return fmt.Errorf("apply accounts' countries: move cursor: %w", err)
		}
		return nil
	})
	if err == nil && rewritten > 0 {
		s.directoryChanged()
	}
	return rewritten, err
}

func (s *Store) storedAccountCountries(ctx context.Context, tx *sql.Tx, replicatorID int64, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for start := 0; start < len(ids); start += accountCountriesBatch {
		batch := ids[start:min(start+accountCountriesBatch, len(ids))]
		args := make([]any, 0, len(batch)+1)
		args = append(args, replicatorID)
		for _, id := range batch {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT account_id, country FROM account_countries WHERE replicator_id = ? AND account_id IN (`+
			placeholders(len(batch))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("apply accounts' countries: %w", err)
		}
		for rows.Next() {
			var id, country string
			if err := rows.Scan(&id, &country); err != nil {
				rows.Close()
				return nil, fmt.Errorf("apply accounts' countries: %w", err)
			}
			out[id] = country
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("apply accounts' countries: %w", err)
		}
	}
	return out, nil
}

// upsertAccountCountries writes the page's rows. The later version always
// wins: pages come in Timestamp order, and after a division move the
// Timestamps start over lower than the stored ones.
func (s *Store) upsertAccountCountries(ctx context.Context, tx *sql.Tx, replicatorID int64, ids []string, latest map[string]string, rows []roger.AccountCountry) error {
	ts := make(map[string]int64, len(rows))
	for _, c := range rows {
		ts[c.AccountID] = c.Timestamp
	}
	for start := 0; start < len(ids); start += accountCountriesBatch {
		batch := ids[start:min(start+accountCountriesBatch, len(ids))]
		args := make([]any, 0, 4*len(batch))
		for _, id := range batch {
			args = append(args, replicatorID, id, latest[id], ts[id])
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO account_countries (replicator_id, account_id, country, timestamp) VALUES `+
			strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?),`, len(batch)), ",")+`
			ON CONFLICT (replicator_id, account_id) DO UPDATE SET country = excluded.country, timestamp = excluded.timestamp`), args...)
		if err != nil {
			return fmt.Errorf("apply accounts' countries: %w", err)
		}
	}
	return nil
}

// rereadContacts reads the stored contacts of the changed accounts again
// with reread and writes back those that changed, stamped with a new
// directory version so that the lookup index takes them up.
func (s *Store) rereadContacts(ctx context.Context, tx *sql.Tx, p roger.AccountCountryPage, changed []string, latest map[string]string,
	reread func(*roger.Entry, string) bool) (int, error) {
	var entries []roger.Entry
	for start := 0; start < len(changed); start += accountCountriesBatch {
		batch := changed[start:min(start+accountCountriesBatch, len(changed))]
		args := make([]any, 0, len(batch)+1)
		args = append(args, p.ReplicatorID)
		for _, id := range batch {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+scanEntryColumns+` FROM entries e WHERE e.replicator_id = ? AND e.kind = 'contact'
			AND e.company_id IN (`+placeholders(len(batch))+`)`), args...)
		if err != nil {
			return 0, fmt.Errorf("apply accounts' countries: read contacts: %w", err)
		}
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				rows.Close()
				return 0, fmt.Errorf("apply accounts' countries: read contacts: %w", err)
			}
			if reread(e, latest[e.CompanyID]) {
				entries = append(entries, *e)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, fmt.Errorf("apply accounts' countries: read contacts: %w", err)
		}
	}
	if len(entries) == 0 {
		return 0, nil
	}
	var version int64
	if err := tx.QueryRowContext(ctx, s.q(`UPDATE replicators SET directory_version = directory_version + 1 WHERE id = ? RETURNING directory_version`),
		p.ReplicatorID).Scan(&version); err != nil {
		return 0, fmt.Errorf("apply accounts' countries: replicator %d: %w", p.ReplicatorID, err)
	}
	done := make([]written, 0, len(entries))
	ids := make([]int64, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		numbers, err := json.Marshal(e.Numbers)
		if err != nil {
			return 0, err
		}
		bad := 0
		for _, n := range e.Numbers {
			if n.Status != roger.NumberOK {
				bad++
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE entries SET numbers = ?, unparseable = ?, country = ?, country_from = ?, quality = ?, version = ? WHERE id = ?`),
			string(numbers), bad, e.Country, string(e.CountryFrom), int(roger.EntryQuality(e)), version, e.ID); err != nil {
			return 0, fmt.Errorf("apply accounts' countries: rewrite contact: %w", err)
		}
		done = append(done, written{id: e.ID, sourceID: e.SourceID})
		ids = append(ids, e.ID)
	}
	if err := s.deleteNumbers(ctx, tx, ids); err != nil {
		return 0, err
	}
	index := s.insertNumbers
	if s.dialect == Postgres {
		index = s.pgInsertNumbers
	}
	if err := index(ctx, tx, p.OrgID, entries, done); err != nil {
		return 0, err
	}
	return len(entries), nil
}
