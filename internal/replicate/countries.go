package replicate

import (
	"context"
	"errors"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/phone"
)

// The country that reads a record's national numbers is the record's own
// Country, else (for a contact) its account's, else the replicator's
// Country Code. A contacts replicator therefore keeps its accounts'
// countries: each run first reads the accounts changed since the last
// (sync/CRM/Accounts with $select=ID,Country,Timestamp, 1000 a call, one
// call when none changed), and then the contacts, so that a new contact of
// a new account is read with that account's country. Accounts Exact
// deletes keep their row: a contact pointing at a deleted account cannot
// exist in Exact, and the row costs a few bytes.

// entryCountry picks the country of a record from its own Country, its
// account's and the replicator's default, in that order. Padding is
// ignored ("NL "), and a value that is no country ("Nederland", "??")
// falls through to the next source, so one bad field costs the record its
// own country, not all its numbers. With no country at all it returns ""
// from the replicator: only international numbers then parse.
func entryCountry(own, account, replicator string) (string, roger.CountrySource) {
	if c, ok := knownCountry(own); ok {
		return c, roger.CountryFromRecord
	}
	if c, ok := knownCountry(account); ok {
		return c, roger.CountryFromAccount
	}
	c, _ := knownCountry(replicator)
	return c, roger.CountryFromReplicator
}

func knownCountry(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	c, err := phone.ParseCountry(s)
	return c, err == nil
}

// rereadContact reads a stored contact's numbers again, from their raw
// text, with its account's new country (the replicator's default when
// that is ""); a contact that names its own country keeps it. It reports
// whether anything changed. The extension kept with a number is passed on
// as the separate extension field, which raw text without one of its own
// then keeps; a number that did not parse kept none, so its separate
// PhoneExtension returns with the contact's next change in Exact.
func rereadContact(e *roger.Entry, accountCountry, defaultCountry string) bool {
	if e.CountryFrom == roger.CountryFromRecord {
		return false
	}
	country, from := entryCountry("", accountCountry, defaultCountry)
	if country == e.Country && from == e.CountryFrom {
		return false
	}
	e.Country, e.CountryFrom = country, from
	for i, n := range e.Numbers {
		if again, ok := phone.ParseNumber(n.Raw, n.Field, n.Extension, country); ok {
			e.Numbers[i] = again
		}
	}
	return true
}

// readAccountCountries brings a contacts replicator's accounts' countries
// up to date, page by page, each page with the cursor that follows it, and
// re-reads the stored contacts of accounts whose country changed.
func (s *Syncer) readAccountCountries(ctx context.Context, client *exact.Client, r *roger.Replicator, progress func(roger.PageResult, int) error) error {
	cursor, resume, err := s.Store.AccountCountriesCursor(ctx, r.ID)
	if err != nil {
		return err
	}
	// A full pass that has read no contact yet reads every contact after
	// this, with the countries as they are now: nothing to re-read.
	var reread func(*roger.Entry, string) bool
	if !(r.FullSync && r.Cursor == 0 && r.Phase != roger.PhaseDeletions) {
		reread = func(e *roger.Entry, accountCountry string) bool {
			return rereadContact(e, accountCountry, r.DefaultCountry)
		}
	}
	cursor = max(cursor, 0)
	read := func(resumeURL string) error {
		return client.SyncAccountCountries(ctx, r.Division, cursor, resumeURL, func(rows []exact.AccountCountry, next string) error {
			if len(rows) == 0 && next == "" && resumeURL == "" {
				return nil // nothing changed: no write
			}
			p := roger.AccountCountryPage{ReplicatorID: r.ID, OrgID: r.OrgID, Cursor: cursor, ResumeURL: next, Countries: make([]roger.AccountCountry, len(rows))}
			for i, a := range rows {
				p.Countries[i] = roger.AccountCountry{AccountID: normalizeID(a.ID), Country: a.Country, Timestamp: a.Timestamp}
				p.Cursor = max(p.Cursor, a.Timestamp)
			}
			n, err := s.Store.ApplyAccountCountries(ctx, p, reread)
			if err != nil {
				return err
			}
			cursor, resumeURL = p.Cursor, next
			if n > 0 {
				return progress(roger.PageResult{Updated: n}, 0)
			}
			return nil
		})
	}
	err = read(resume)
	if errors.Is(err, exact.ErrBadResumeURL) {
		err = read("")
	}
	return err
}

// accountCountries returns the stored countries of the accounts of a page
// of contacts.
func (s *Syncer) accountCountries(ctx context.Context, r *roger.Replicator, rows []exact.Contact) (map[string]string, error) {
	ids := make([]string, 0, len(rows))
	seen := make(map[string]bool, len(rows))
	for i := range rows {
		if id := normalizeID(rows[i].Account); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.Store.AccountCountries(ctx, r.ID, ids)
}
