package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

// TestEntryCountryIsStored: an entry's country and its source are kept
// through an insert and an update, on both databases.
func TestEntryCountryIsStored(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		e := entry("1", 10, roger.Number{Field: "Phone", Raw: "03 870 23 00", E164: "+3238702300", Status: roger.NumberOK, National: true})
		e.Country, e.CountryFrom = "BE", roger.CountryFromAccount
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 10, Upserts: []roger.Entry{e}}); err != nil {
			t.Fatal(err)
		}
		check := func(country string, from roger.CountrySource) {
			t.Helper()
			var got []*roger.Entry
			if err := f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID}, func(e *roger.Entry) error { got = append(got, e); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Country != country || got[0].CountryFrom != from || !got[0].Numbers[0].National {
				t.Fatalf("stored %+v; want country %q from %q", got[0], country, from)
			}
			hits, err := f.store.SearchEntries(ctx, f.org.ID, "", 0, 10)
			if err != nil || len(hits) != 1 || hits[0].Entry.Country != country || hits[0].Entry.CountryFrom != from {
				t.Fatalf("search: %+v %v", hits, err)
			}
		}
		check("BE", roger.CountryFromAccount)
		e.SourceTimestamp, e.Country, e.CountryFrom = 11, "DE", roger.CountryFromRecord
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 11, Upserts: []roger.Entry{e}}); err != nil {
			t.Fatal(err)
		}
		check("DE", roger.CountryFromRecord)
	})
}

// TestApplyAccountCountries: the accounts' countries and their cursor
// commit together; the contacts of an account whose country changed are
// read again in the same transaction and indexed anew.
func TestApplyAccountCountries(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if c, resume, err := f.store.AccountCountriesCursor(ctx, r.ID); err != nil || c != 0 || resume != "" {
			t.Fatalf("a new replicator's cursor: %d %q %v", c, resume, err)
		}
		first := roger.AccountCountryPage{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 20, ResumeURL: "next", Countries: []roger.AccountCountry{
			{AccountID: "acc-1", Country: "BE", Timestamp: 10}, {AccountID: "acc-2", Country: "", Timestamp: 20}, {AccountID: "acc-3", Country: "NL", Timestamp: 15}}}
		if n, err := f.store.ApplyAccountCountries(ctx, first, nil); err != nil || n != 0 {
			t.Fatalf("first page: %d %v", n, err)
		}
		if c, resume, err := f.store.AccountCountriesCursor(ctx, r.ID); err != nil || c != 20 || resume != "next" {
			t.Fatalf("cursor after the first page: %d %q %v", c, resume, err)
		}
		got, err := f.store.AccountCountries(ctx, r.ID, []string{"acc-1", "acc-2", "acc-3", "acc-4"})
		if err != nil || len(got) != 2 || got["acc-1"] != "BE" || got["acc-3"] != "NL" {
			t.Fatalf("countries: %v %v", got, err)
		}

		// Contacts of acc-1 (one with a country of its own) and acc-3.
		c1 := entry("1", 5, roger.Number{Field: "Phone", Raw: "03 870 23 00", E164: "+3238702300", Status: roger.NumberOK})
		c1.CompanyID, c1.Country, c1.CountryFrom = "acc-1", "BE", roger.CountryFromAccount
		c2 := entry("2", 6, roger.Number{Field: "Phone", Raw: "+49 30 1234567", E164: "+49301234567", Status: roger.NumberOK})
		c2.CompanyID, c2.Country, c2.CountryFrom = "acc-1", "DE", roger.CountryFromRecord
		c3 := entry("3", 7, roger.Number{Field: "Phone", Raw: "020 123 4567", E164: "+31201234567", Status: roger.NumberOK})
		c3.CompanyID, c3.Country, c3.CountryFrom = "acc-3", "NL", roger.CountryFromAccount
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 7, Upserts: []roger.Entry{c1, c2, c3}}); err != nil {
			t.Fatal(err)
		}

		// acc-1 becomes Dutch, acc-3 is saved again unchanged.
		var seen []string
		reread := func(e *roger.Entry, country string) bool {
			seen = append(seen, e.SourceID+":"+country)
			if e.CountryFrom == roger.CountryFromRecord {
				return false
			}
			e.Country = country
			e.Numbers[0] = roger.Number{Field: "Phone", Raw: e.Numbers[0].Raw, Status: roger.NumberInvalid, Reason: "too short"}
			return true
		}
		second := roger.AccountCountryPage{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 30, Countries: []roger.AccountCountry{
			{AccountID: "acc-1", Country: "NL ", Timestamp: 25}, {AccountID: "acc-3", Country: "nl", Timestamp: 30}}}
		n, err := f.store.ApplyAccountCountries(ctx, second, reread)
		if err != nil || n != 1 {
			t.Fatalf("second page: %d re-read, %v; want 1", n, err)
		}
		if len(seen) != 2 {
			t.Errorf("re-read %v; want the two contacts of acc-1 only", seen)
		}
		var hits []string
		_ = f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID, E164: "+3238702300"}, func(e *roger.Entry) error { hits = append(hits, e.SourceID); return nil })
		if len(hits) != 0 {
			t.Errorf("+3238702300 still indexed for %v", hits)
		}
		_ = f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID, E164: "+49301234567"}, func(e *roger.Entry) error { hits = append(hits, e.SourceID); return nil })
		if len(hits) != 1 {
			t.Errorf("+49301234567 indexed for %v; want contact 2", hits)
		}
		if _, unparseable, _ := f.store.CountEntries(ctx, r.ID); unparseable != 1 {
			t.Errorf("%d entries with a number that did not parse, want 1", unparseable)
		}
		// The data-quality report sees the re-read contact's new problem.
		if counts, err := f.store.CountQuality(ctx, f.org.ID, r.ID); err != nil || counts[roger.ProblemTooShort] != 1 {
			t.Errorf("data-quality counts after the re-read: %v %v; want one too short", counts, err)
		}
		if c, resume, _ := f.store.AccountCountriesCursor(ctx, r.ID); c != 30 || resume != "" {
			t.Errorf("cursor after the second page: %d %q", c, resume)
		}

		// A full pass reads them from the start again.
		if _, err := f.store.StartFullSync(ctx, r.ID, 0); err != nil {
			t.Fatal(err)
		}
		if c, _, _ := f.store.AccountCountriesCursor(ctx, r.ID); c != 0 {
			t.Errorf("cursor after the start of a full pass: %d", c)
		}
	})
}

// TestMigration010ReadsContactsAgain: contacts replicators that read
// their contacts before accounts' countries were kept are marked for one
// full pass; accounts replicators and replicators that never synced are
// not.
func TestMigration010ReadsContactsAgain(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, keys := b.dsn(t), testKeyring(t)
			clk := clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))
			old, err := Open(ctx, dsn, Options{Sealer: keys, Clock: clk, migrateThrough: 9})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, store: old, org: &roger.Organization{Name: "Voorbeeld B.V."}}
			if err := old.CreateOrganization(ctx, f.org); err != nil {
				t.Fatal(err)
			}
			synced, fresh, accounts := f.replicator("synced"), f.replicator("fresh"), f.replicator("accounts")
			if _, err := old.write.Exec(old.q(`UPDATE replicators SET entity = 'accounts' WHERE id = ?`), accounts.ID); err != nil {
				t.Fatal(err)
			}
			// The first load began (pass 1), as StartFullSync of that
			// version wrote it.
			for _, id := range []int64{synced.ID, accounts.ID} {
				if _, err := old.write.Exec(old.q(`UPDATE replicators SET pass = 1 WHERE id = ?`), id); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()

			s, err := Open(ctx, dsn, Options{Sealer: keys, Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, c := range []struct {
				r    *roger.Replicator
				want int64
			}{{synced, -1}, {fresh, 0}, {accounts, 0}} {
				if got, _, err := s.AccountCountriesCursor(ctx, c.r.ID); err != nil || got != c.want {
					t.Errorf("replicator %q: accounts' countries cursor %d (%v), want %d", c.r.Name, got, err, c.want)
				}
			}
		})
	}
}
