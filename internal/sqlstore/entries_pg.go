package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/roger365io/roger"
)

// PostgreSQL takes a whole page as arrays in one statement: a multi-row
// VALUES list with thousands of parameters costs more to plan than to run.

const pgUpsert = `INSERT INTO entries (` + entryColumns + `)
	SELECT $1::bigint, $2::bigint, u.kind, u.source_id, u.company_id, u.display_name, u.company_name, u.email, u.job_title,
		u.source_modified, u.source_timestamp, $3::bigint, $4::bigint, u.numbers, u.unparseable, $16::bigint, u.cleaned, u.country, u.country_from, u.quality
	FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::text[], $15::int[], $17::text[],
		$18::text[], $19::text[], $20::int[])
		AS u(kind, source_id, company_id, display_name, company_name, email, job_title, source_modified, source_timestamp, numbers, unparseable, cleaned,
		country, country_from, quality)
	ON CONFLICT (replicator_id, source_id) DO UPDATE SET kind = excluded.kind, company_id = excluded.company_id,
		display_name = excluded.display_name, company_name = excluded.company_name, email = excluded.email, job_title = excluded.job_title,
		source_modified = excluded.source_modified, source_timestamp = excluded.source_timestamp, synced_at = excluded.synced_at,
		pass = excluded.pass, numbers = excluded.numbers, unparseable = excluded.unparseable, version = excluded.version, cleaned = excluded.cleaned,
		country = excluded.country, country_from = excluded.country_from, quality = excluded.quality
		WHERE entries.source_timestamp <= excluded.source_timestamp RETURNING id, source_id, (xmax = 0)`

func (s *Store) pgUpsert(ctx context.Context, tx *sql.Tx, p roger.Page, batch []roger.Entry, st stamp) ([]written, error) {
	n := len(batch)
	kind, sid, cid, name, company, email, job, nums, cleaned := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	country, from := make([]string, n), make([]string, n)
	modified, ts, bad, quality := make([]int64, n), make([]int64, n), make([]int32, n), make([]int32, n)
	for i := range batch {
		e := &batch[i]
		b, err := json.Marshal(e.Numbers)
		if err != nil {
			return nil, err
		}
		for _, num := range e.Numbers {
			if num.Status != roger.NumberOK {
				bad[i]++
			}
		}
		kind[i], sid[i], cid[i], name[i], company[i], email[i], job[i], nums[i] = string(e.Kind), e.SourceID, e.CompanyID, e.DisplayName,
			e.CompanyName, e.Email, e.JobTitle, string(b)
		modified[i], ts[i], cleaned[i] = ms(e.SourceModified), e.SourceTimestamp, cleanedText(e.Cleaned)
		country[i], from[i] = e.Country, string(e.CountryFrom)
		quality[i] = int32(roger.EntryQuality(e))
	}
	rows, err := tx.QueryContext(ctx, pgUpsert, p.OrgID, p.ReplicatorID, st.now, st.pass, kind, sid, cid, name, company, email, job, modified, ts, nums, bad, st.version, cleaned, country, from, quality)
	if err != nil {
		return nil, fmt.Errorf("apply page: upsert: %w", err)
	}
	defer rows.Close()
	out := make([]written, 0, n)
	for rows.Next() {
		var w written
		if err := rows.Scan(&w.id, &w.sourceID, &w.inserted); err != nil {
			return nil, fmt.Errorf("apply page: upsert: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func (s *Store) pgInsertNumbers(ctx context.Context, tx *sql.Tx, orgID int64, batch []roger.Entry, done []written) error {
	var entry []int64
	var e164, ext, field []string
	for id, num := range indexedNumbers(batch, done) {
		entry, e164, ext, field = append(entry, id), append(e164, num.E164), append(ext, num.Extension), append(field, num.Field)
	}
	if len(entry) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO entry_numbers (entry_id, org_id, e164, extension, field)
		SELECT u.entry_id, $1::bigint, u.e164, u.extension, u.field FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(entry_id, e164, extension, field)`,
		orgID, entry, e164, ext, field)
	if err != nil {
		return fmt.Errorf("apply page: index numbers: %w", err)
	}
	return nil
}
