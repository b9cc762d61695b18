package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/roger365io/roger"
)

func invalid(field, raw, reason string) roger.Number {
	return roger.Number{Field: field, Raw: raw, Status: roger.NumberInvalid, Reason: reason}
}

// qualityIDs is the source ids of a page of the report.
func qualityIDs(t *testing.T, s *Store, f roger.QualityFilter) []string {
	t.Helper()
	page, err := s.FindQualityEntries(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range page {
		out = append(out, e.SourceID)
	}
	return out
}

func TestDataQualityReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		contacts := f.replicator("a")
		accounts := &roger.Replicator{OrgID: f.org.ID, Name: "Exact accounts", Source: roger.SourceExactOnline, Entity: roger.Accounts,
			ExactURL: "https://start.exactonline.nl", DefaultCountry: "NL", Interval: contacts.Interval, State: roger.StateActive}
		if err := f.store.CreateReplicator(ctx, accounts); err != nil {
			t.Fatal(err)
		}
		guessed := ok("Phone", "+31201111111")
		guessed.National = true
		ownCountry := ok("Phone", "+31202222222")
		ownCountry.National = true
		unlisted := ok("Mobile", "+31600000001")
		unlisted.Unlisted = true
		upserts := []roger.Entry{
			entry("short-1", 1, invalid("Phone", "12", "too short"), guessed),
			entry("letters", 2, invalid("Mobile", "n.v.t.", "not a phone number")),
			entry("foreign", 3, invalid("Mobile", "0489815848", "invalid number for NL")),
			entry("unlisted", 4, unlisted),
			entry("shared", 5, ok("Phone", "+31201234567")),
			entry("own-country", 6, ownCountry),
			entry("fine", 7, ok("Phone", "+31207654321")),
		}
		upserts[0].CountryFrom = roger.CountryFromReplicator
		upserts[5].CountryFrom = roger.CountryFromRecord
		for i := range 5 {
			upserts = append(upserts, entry(fmt.Sprintf("short-%d", i+2), int64(10+i), invalid("Phone", "020 12", "too short: the area code may be missing")))
		}
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: contacts.ID, OrgID: f.org.ID, Upserts: upserts}); err != nil {
			t.Fatal(err)
		}
		account := entry("account", 1, ok("Phone", "+31201234567"))
		account.Kind = roger.KindAccount
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: accounts.ID, OrgID: f.org.ID, Upserts: []roger.Entry{account}}); err != nil {
			t.Fatal(err)
		}
		// Another organisation holding the same number shares nothing
		// with this one.
		other := &roger.Organization{Name: "Ander B.V."}
		if err := f.store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		otherRep := &roger.Replicator{OrgID: other.ID, Name: "Ander", Source: roger.SourceExactOnline, Entity: roger.Contacts,
			ExactURL: "https://start.exactonline.nl", DefaultCountry: "NL", Interval: contacts.Interval, State: roger.StateActive}
		if err := f.store.CreateReplicator(ctx, otherRep); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: otherRep.ID, OrgID: other.ID, Upserts: []roger.Entry{entry("x", 1, ok("Phone", "+31207654321"))}}); err != nil {
			t.Fatal(err)
		}

		counts, err := f.store.CountQuality(ctx, f.org.ID, contacts.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[roger.QualityProblem]int{roger.ProblemTooShort: 6, roger.ProblemNotANumber: 1, roger.ProblemInvalidForCountry: 1,
			roger.ProblemUnlisted: 1, roger.ProblemCountryGuessed: 1, roger.ProblemShared: 1}
		if !maps.Equal(counts, want) {
			t.Errorf("counts %v, want %v", counts, want)
		}

		all := roger.QualityFilter{OrgID: f.org.ID, ReplicatorID: contacts.ID}
		if got := qualityIDs(t, f.store, all); !slices.Equal(got, []string{"short-1", "letters", "foreign", "unlisted", "short-2", "short-3", "short-4", "short-5", "short-6"}) {
			t.Errorf("every problem: %v", got)
		}
		// Paged by id, forwards and back, within one group.
		short := all
		short.Problem, short.Limit = roger.ProblemTooShort, 4
		first := qualityIDs(t, f.store, short)
		if !slices.Equal(first, []string{"short-1", "short-2", "short-3", "short-4"}) {
			t.Fatalf("first page: %v", first)
		}
		page, _ := f.store.FindQualityEntries(ctx, short)
		short.After = page[len(page)-1].ID
		if got := qualityIDs(t, f.store, short); !slices.Equal(got, []string{"short-5", "short-6"}) {
			t.Errorf("second page: %v", got)
		}
		second, _ := f.store.FindQualityEntries(ctx, short)
		short.After, short.Before, short.Limit = 0, second[0].ID, 3
		if got := qualityIDs(t, f.store, short); !slices.Equal(got, []string{"short-2", "short-3", "short-4"}) {
			t.Errorf("the page before: %v", got)
		}
		guess := all
		guess.Problem = roger.ProblemCountryGuessed
		if got := qualityIDs(t, f.store, guess); !slices.Equal(got, []string{"short-1"}) {
			t.Errorf("country guessed: %v (a record's own country is no guess)", got)
		}
		if _, err := f.store.FindQualityEntries(ctx, roger.QualityFilter{OrgID: f.org.ID, ReplicatorID: contacts.ID, Problem: roger.ProblemShared}); roger.ErrorCodeOf(err) != roger.EINVALID {
			t.Errorf("shared numbers listed by record: %v", err)
		}
		// Another organisation's id reads nothing.
		if got := qualityIDs(t, f.store, roger.QualityFilter{OrgID: other.ID, ReplicatorID: contacts.ID}); len(got) != 0 {
			t.Errorf("another organisation reads %v", got)
		}

		shared, err := f.store.FindSharedNumbers(ctx, roger.SharedFilter{OrgID: f.org.ID, ReplicatorID: contacts.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(shared) != 1 || shared[0].E164 != "+31201234567" || len(shared[0].Entries) != 2 {
			t.Fatalf("shared numbers: %+v", shared)
		}
		for i, want := range []struct {
			id, replicator string
		}{{"shared", contacts.Name}, {"account", accounts.Name}} {
			h := shared[0].Entries[i]
			if h.Entry.SourceID != want.id || h.ReplicatorName != want.replicator || h.Matched.Raw != "+31201234567" || h.Matched.Field != "Phone" {
				t.Errorf("holder %d: %s of %s, %+v", i, h.Entry.SourceID, h.ReplicatorName, h.Matched)
			}
		}
		if more, _ := f.store.FindSharedNumbers(ctx, roger.SharedFilter{OrgID: f.org.ID, ReplicatorID: contacts.ID, After: "+31201234567"}); len(more) != 0 {
			t.Errorf("after the last: %+v", more)
		}
		if back, _ := f.store.FindSharedNumbers(ctx, roger.SharedFilter{OrgID: f.org.ID, ReplicatorID: contacts.ID, Before: "+31209999999"}); len(back) != 1 {
			t.Errorf("before: %+v", back)
		}

		// A corrected record leaves the report.
		fixed := entry("letters", 20, ok("Mobile", "+31612345678"))
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: contacts.ID, OrgID: f.org.ID, Upserts: []roger.Entry{fixed}}); err != nil {
			t.Fatal(err)
		}
		if counts, _ := f.store.CountQuality(ctx, f.org.ID, contacts.ID); counts[roger.ProblemNotANumber] != 0 {
			t.Errorf("a corrected record is still counted: %v", counts)
		}
		// The counts are kept until the organisation's directory changes,
		// also through another replicator: its record now shares a number
		// with one of these.
		other2 := entry("account-2", 2, ok("Phone", "+31207654321"))
		other2.Kind = roger.KindAccount
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: accounts.ID, OrgID: f.org.ID, Upserts: []roger.Entry{other2}}); err != nil {
			t.Fatal(err)
		}
		if counts, _ := f.store.CountQuality(ctx, f.org.ID, contacts.ID); counts[roger.ProblemShared] != 2 {
			t.Errorf("a number shared through another replicator's write is not counted: %v", counts)
		}
	})
}

// Migration 012 finds the problems of the entries stored before it.
func TestMigration012FillsTheQualityOfStoredEntries(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, keys := b.dsn(t), testKeyring(t)
			old, err := Open(ctx, dsn, Options{Sealer: keys, migrateThrough: 11})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, store: old, org: &roger.Organization{Name: "Voorbeeld B.V."}}
			if err := old.CreateOrganization(ctx, f.org); err != nil {
				t.Fatal(err)
			}
			r := f.replicator("a")
			writeOldEntry(t, old, r, entry("bad", 1, invalid("Phone", "12", "too short")))
			writeOldEntry(t, old, r, entry("good", 2, ok("Phone", "+31201234567")))
			if _, err := old.write.Exec(old.q(`UPDATE entries SET unparseable = 1 WHERE source_id = ?`), "bad"); err != nil {
				t.Fatal(err)
			}
			old.Close()
			s, err := Open(ctx, dsn, Options{Sealer: keys})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := qualityIDs(t, s, roger.QualityFilter{OrgID: f.org.ID, ReplicatorID: r.ID, Problem: roger.ProblemTooShort}); !slices.Equal(got, []string{"bad"}) {
				t.Fatalf("after the upgrade the report lists %v", got)
			}
		})
	}
}
