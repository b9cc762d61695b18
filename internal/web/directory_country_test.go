package web

import (
	"context"
	"strings"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
)

// TestDirectoryShowsTheCountry: the directory says which country read an
// entry's numbers and why, and flags numbers in no listed range.
func TestDirectoryShowsTheCountry(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	entry := func(id, name string, kind roger.Kind, raw, country string, from roger.CountrySource) roger.Entry {
		n, _ := phone.ParseNumber(raw, "Phone", "", country)
		return roger.Entry{Kind: kind, SourceID: id, CompanyID: id, DisplayName: name, CompanyName: name, SourceTimestamp: 1,
			Numbers: []roger.Number{n}, Country: country, CountryFrom: from}
	}
	page := roger.Page{ReplicatorID: p.repA.ID, OrgID: p.orgA.ID, Cursor: 1, Upserts: []roger.Entry{
		entry("0b8a1c2e-0000-4000-8000-000000000001", "Jan Peeters", roger.KindContact, "03 870 23 00", "BE", roger.CountryFromAccount),
		entry("0b8a1c2e-0000-4000-8000-000000000002", "Lena Weber", roger.KindContact, "030 1234567", "DE", roger.CountryFromRecord),
		entry("0b8a1c2e-0000-4000-8000-000000000003", "Havenbedrijf NV", roger.KindAccount, "02 123 45 67", "BE", roger.CountryFromRecord),
		entry("0b8a1c2e-0000-4000-8000-000000000004", "Nieuwe Reeks BV", roger.KindAccount, "06 0000 0001", "NL", roger.CountryFromReplicator),
	}}
	if _, err := p.store.ApplyPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	text := p.admin("Alpha").get("/directory").text()
	for _, want := range []string{
		"03 870 23 00 → +3238702300",
		"read as BE (its account's country)",
		"read as DE (the contact's country)",
		"read as BE (the account's country)",
		"02 123 45 67 → +3221234567",
		"not in Belgium's number plan ranges; indexed as written",
		"06 0000 0001 → +31600000001",
		"not in Netherlands' number plan ranges; indexed as written",
		"read as NL (the replicator's default: the record names no country)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the directory lacks %q:\n%s", want, text)
		}
	}
}
