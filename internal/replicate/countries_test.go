package replicate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/phone"
	"github.com/roger365io/roger/internal/sqlstore"
)

// The accounts' countries of the scheduler tests' instanceStore: what the
// Syncer reads and writes goes through it, and a killed instance writes
// no more.

func (s *instanceStore) AccountCountriesCursor(ctx context.Context, id int64) (int64, string, error) {
	if err := s.check(); err != nil {
		return 0, "", err
	}
	return s.st.AccountCountriesCursor(ctx, id)
}

func (s *instanceStore) ApplyAccountCountries(ctx context.Context, p roger.AccountCountryPage, reread func(*roger.Entry, string) bool) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	s.log.write(p.ReplicatorID, s.owner, "a page of accounts' countries")
	return s.st.ApplyAccountCountries(ctx, p, reread)
}

func (s *instanceStore) AccountCountries(ctx context.Context, replicatorID int64, ids []string) (map[string]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.st.AccountCountries(ctx, replicatorID, ids)
}

// accountCountryCalls is what reading the countries of n accounts from
// the start costs a contacts replicator: one sync/CRM/Accounts call per
// started 1000 (at least one).
func accountCountryCalls(n int) int {
	return max(1, (n+999)/1000)
}

func TestEntryCountry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, own, account, replicator string
		want                           string
		from                           roger.CountrySource
	}{
		{"the record's own", "BE", "DE", "NL", "BE", roger.CountryFromRecord},
		{"padded, lower case", "be ", "", "NL", "BE", roger.CountryFromRecord},
		{"the account's when the record names none", "", "BE", "NL", "BE", roger.CountryFromAccount},
		{"the account's padded", "  ", "DE ", "NL", "DE", roger.CountryFromAccount},
		{"garbage falls through to the account", "Nederland", "BE", "NL", "BE", roger.CountryFromAccount},
		{"garbage falls through to the replicator", "??", "XX", "NL", "NL", roger.CountryFromReplicator},
		{"the replicator's as a calling code", "", "", "+32", "BE", roger.CountryFromReplicator},
		{"no country anywhere", "", "", "", "", roger.CountryFromReplicator},
		{"UK is GB", "UK", "", "NL", "GB", roger.CountryFromRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from := entryCountry(tc.own, tc.account, tc.replicator)
			if got != tc.want || from != tc.from {
				t.Errorf("entryCountry(%q, %q, %q) = %q, %q; want %q, %q", tc.own, tc.account, tc.replicator, got, from, tc.want, tc.from)
			}
		})
	}
}

// TestContactEntriesCountry: a contact's numbers are read with its own
// country, else its account's, else the replicator's, and the entry says
// which.
func TestContactEntriesCountry(t *testing.T) {
	t.Parallel()
	const beAccount, nlAccount = "b0000000-0000-4000-8000-00000000000b", "b0000000-0000-4000-8000-00000000000e"
	accounts := map[string]string{beAccount: "BE", nlAccount: "NL "}
	rows := []exact.Contact{
		{ID: "a1", Account: "{B0000000-0000-4000-8000-00000000000B}", Phone: "03 870 23 00", Mobile: "0489815848", Timestamp: 1},
		{ID: "a2", Account: nlAccount, Country: "DE", Phone: "030 1234567", Timestamp: 2},
		{ID: "a3", Account: "b0000000-0000-4000-8000-0000000000ff", Phone: "020 123 4567", Mobile: "+32 3 870 23 00", Timestamp: 3},
		{ID: "a4", Account: beAccount, Country: "België", Phone: "03 870 23 00", Timestamp: 4},
	}
	got, _ := contactEntries(rows, accounts, "NL")
	want := []struct {
		country string
		from    roger.CountrySource
		nums    []num
	}{
		{"BE", roger.CountryFromAccount, []num{{"Phone", "03 870 23 00", "+3238702300", ""}, {"Mobile", "0489815848", "+32489815848", ""}}},
		{"DE", roger.CountryFromRecord, []num{{"Phone", "030 1234567", "+49301234567", ""}}},
		{"NL", roger.CountryFromReplicator, []num{{"Phone", "020 123 4567", "+31201234567", ""}, {"Mobile", "+32 3 870 23 00", "+3238702300", ""}}},
		{"BE", roger.CountryFromAccount, []num{{"Phone", "03 870 23 00", "+3238702300", ""}}},
	}
	for i, e := range got {
		if e.Country != want[i].country || e.CountryFrom != want[i].from {
			t.Errorf("%s: country %q from %q; want %q from %q", e.SourceID, e.Country, e.CountryFrom, want[i].country, want[i].from)
		}
		checkNumbers(t, e.Numbers, want[i].nums)
	}
	if n := got[2].Numbers; !n[0].National || n[1].National {
		t.Errorf("National flags %v, %v; want true, false", n[0].National, n[1].National)
	}
}

// TestRereadContact: a contact re-read with its account's new country
// takes it, unless it names its own.
func TestRereadContact(t *testing.T) {
	t.Parallel()
	got, _ := contactEntries([]exact.Contact{{ID: "a1", Account: "b1", Phone: "03 870 23 00", PhoneExtension: "12", Timestamp: 1}}, nil, "NL")
	e := got[0]
	if e.Numbers[0].Status == roger.NumberOK || e.CountryFrom != roger.CountryFromReplicator {
		t.Fatalf("read with NL: %+v", e)
	}
	if !rereadContact(&e, "BE", "NL") || e.Country != "BE" || e.CountryFrom != roger.CountryFromAccount {
		t.Fatalf("re-read with BE: %+v", e)
	}
	// A number that did not parse keeps no extension, so the separate
	// PhoneExtension comes back only with the contact's next change.
	checkNumbers(t, e.Numbers, []num{{"Phone", "03 870 23 00", "+3238702300", ""}})
	if rereadContact(&e, "be", "NL") {
		t.Error("the same country again counts as a change")
	}
	if !rereadContact(&e, "", "NL") || e.Country != "NL" || e.CountryFrom != roger.CountryFromReplicator || e.Numbers[0].Status == roger.NumberOK {
		t.Errorf("the account's country removed: %+v", e)
	}
	own, _ := contactEntries([]exact.Contact{{ID: "a2", Account: "b1", Country: "DE", Phone: "030 1234567", Timestamp: 1}}, nil, "NL")
	if rereadContact(&own[0], "BE", "NL") || own[0].Country != "DE" {
		t.Errorf("a contact with its own country was re-read: %+v", own[0])
	}
}

// rest sends one call to the simulator's REST API of testDivision as the
// checker app and returns the status and the decoded d object (nil for an
// empty body), as an Exact user editing records would.
func (e *env) rest(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, fmt.Sprintf("%s/api/v1/%d/%s", e.srv.URL, testDivision, path), strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.checkerToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(b) == 0 {
		return resp.StatusCode, nil
	}
	var env struct {
		D map[string]any `json:"d"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		e.t.Fatalf("%s %s: %d %.300s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, env.D
}

// create adds a record through the REST API and returns its ID.
func (e *env) create(set string, fields map[string]any) string {
	e.t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		e.t.Fatal(err)
	}
	status, d := e.rest(http.MethodPost, "crm/"+set, string(b))
	if status != http.StatusCreated {
		e.t.Fatalf("POST crm/%s: %d %v", set, status, d)
	}
	return strings.ToLower(str(d["ID"]))
}

// lookupEntries returns the replicator's entries holding the number a
// caller's notation normalises to, as the lookup API reads them.
func (e *env) lookupEntries(r *roger.Replicator, caller string) []*roger.Entry {
	e.t.Helper()
	e164, _, err := phone.NormalizeLookup(caller, e.org.DefaultCountry)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*roger.Entry
	err = e.store.ForEachEntry(context.Background(), roger.EntryFilter{OrgID: r.OrgID, ReplicatorID: r.ID, E164: e164}, func(en *roger.Entry) error {
		out = append(out, en)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestContactOfABelgianAccount: a contacts replicator whose Country Code
// is NL reads the contact of a Belgian account with Belgium's numbering
// plan, found by its international number; its accounts' countries cost
// ceil(accounts/1000) calls on the first load and one on an increment; an
// account's new country re-reads its stored contacts.
func TestContactOfABelgianAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 1500, 300)
	belgian := e.create("Accounts", map[string]any{"Name": "Havenbedrijf Antwerpen NV", "Country": "BE "})
	peeters := e.create("Contacts", map[string]any{"Account": belgian, "FirstName": "Jan", "LastName": "Peeters", "Phone": "03 870 23 00", "Mobile": "0489815848"})
	german := e.create("Contacts", map[string]any{"Account": belgian, "FirstName": "Lena", "LastName": "Weber", "Country": "DE", "Phone": "030 1234567"})
	r := e.addReplicator(replicatorOptions{country: "NL"})

	run := e.sync(r.ID)
	if want := fullLoadCalls(302) + accountCountryCalls(1501); run.APICalls != want {
		t.Errorf("the first load took %d API calls, want %d (%d of them for the accounts' countries)", run.APICalls, want, accountCountryCalls(1501))
	}
	e.assertEqual(r)
	found := e.lookupEntries(r, "+32 3 870 23 00")
	if len(found) != 1 || found[0].SourceID != peeters || found[0].Country != "BE" || found[0].CountryFrom != roger.CountryFromAccount {
		t.Fatalf("+32 3 870 23 00 found %v; want Jan Peeters, read as BE from the account", entryNames(found))
	}
	if n := found[0].Numbers; len(n) != 2 || n[1].E164 != "+32489815848" || !n[0].National {
		t.Errorf("Jan Peeters' numbers %+v", n)
	}
	if found := e.lookupEntries(r, "+49 30 1234567"); len(found) != 1 || found[0].SourceID != german || found[0].CountryFrom != roger.CountryFromRecord {
		t.Errorf("+49 30 1234567 found %v; want Lena Weber, read with her own country", entryNames(found))
	}
	// The lookup index the service answers from agrees.
	index := dirindex.New(e.store, dirindex.Options{})
	indexed := func() int {
		t.Helper()
		if err := index.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		hits, err := index.FindByNumbers(context.Background(), r.OrgID, []string{"+3238702300"})
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	if n := indexed(); n != 1 {
		t.Errorf("the index has +3238702300 %d times, want once", n)
	}

	// An increment with no change: one call for the accounts' countries.
	e.clk.Advance(5 * time.Minute)
	if run := e.sync(r.ID); run.APICalls != 3 || run.Read != 0 {
		t.Errorf("the idle increment: %d API calls, read %d; want 3 (accounts' countries, contacts, deletions), 0", run.APICalls, run.Read)
	}

	// A new account and its new contact, in one increment: the account is
	// read first, so the contact gets its country.
	e.clk.Advance(5 * time.Minute)
	gent := e.create("Accounts", map[string]any{"Name": "Gentse Bouw BV", "Country": "BE"})
	claes := e.create("Contacts", map[string]any{"Account": gent, "FirstName": "An", "LastName": "Claes", "Mobile": "0475 12 34 56"})
	if run := e.sync(r.ID); run.APICalls != 3 || run.Read != 1 {
		t.Errorf("the increment: %d API calls, read %d; want 3 and 1", run.APICalls, run.Read)
	}
	if found := e.lookupEntries(r, "+32475123456"); len(found) != 1 || found[0].SourceID != claes || found[0].Country != "BE" {
		t.Errorf("+32475123456 found %v; want An Claes", entryNames(found))
	}

	// The Belgian account moves to the Netherlands in Exact: its contact
	// without a country of its own is read again, as Dutch, with no call
	// for the contact; the one with her own country keeps it.
	e.clk.Advance(5 * time.Minute)
	if status, _ := e.rest(http.MethodPut, "crm/Accounts(guid'"+belgian+"')", `{"Country":"NL"}`); status != http.StatusNoContent {
		t.Fatalf("PUT the account's country: %d", status)
	}
	run = e.sync(r.ID)
	if run.APICalls != 3 || run.Read != 0 || run.Updated != 1 {
		t.Errorf("the increment after the country change: %d API calls, read %d, updated %d; want 3, 0, 1", run.APICalls, run.Read, run.Updated)
	}
	if found := e.lookupEntries(r, "+32 3 870 23 00"); len(found) != 0 {
		t.Errorf("+32 3 870 23 00 still finds %v after the account became Dutch", entryNames(found))
	}
	if n := indexed(); n != 0 {
		t.Errorf("the index still has +3238702300 %d times after the account became Dutch", n)
	}
	var jan, lena *roger.Entry
	for _, en := range entries(t, e.store, r.OrgID, r.ID) {
		switch en.SourceID {
		case peeters:
			jan = en
		case german:
			lena = en
		}
	}
	if jan == nil || jan.Country != "NL" || jan.CountryFrom != roger.CountryFromAccount || jan.Numbers[0].Status == roger.NumberOK {
		t.Errorf("Jan Peeters after the change: %+v", jan)
	}
	if lena == nil || lena.Country != "DE" || lena.Numbers[0].E164 != "+49301234567" {
		t.Errorf("Lena Weber after the change: %+v", lena)
	}
	e.assertEqual(r)
}

func entryNames(list []*roger.Entry) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.DisplayName+" ("+e.Country+" from "+string(e.CountryFrom)+")")
	}
	return out
}

// TestContactsReadBeforeAccountCountriesAreReadAgain: a contacts
// replicator whose contacts were read before it kept its accounts'
// countries (migration 010 marks it with the cursor -1) runs one full
// pass, which reads the accounts and then every contact again.
func TestContactsReadBeforeAccountCountriesAreReadAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 200, 300)
	belgian := e.create("Accounts", map[string]any{"Name": "Havenbedrijf Antwerpen NV", "Country": "BE"})
	peeters := e.create("Contacts", map[string]any{"Account": belgian, "LastName": "Peeters", "Phone": "03 870 23 00"})
	r := e.addReplicator(replicatorOptions{})
	e.sync(r.ID)
	ctx := context.Background()
	if _, err := e.store.ApplyAccountCountries(ctx, roger.AccountCountryPage{ReplicatorID: r.ID, OrgID: r.OrgID, Cursor: -1}, nil); err != nil {
		t.Fatal(err)
	}

	e.clk.Advance(5 * time.Minute)
	run := e.sync(r.ID)
	if !run.Full || run.Read != 301 {
		t.Errorf("the run after the upgrade: full %v, read %d; want a full pass reading 301", run.Full, run.Read)
	}
	if found := e.lookupEntries(r, "+32 3 870 23 00"); len(found) != 1 || found[0].SourceID != peeters {
		t.Errorf("+32 3 870 23 00 found %v; want Peeters", entryNames(found))
	}
	e.clk.Advance(5 * time.Minute)
	if run := e.sync(r.ID); run.Full {
		t.Error("the run after that was a full pass too")
	}
}

// failingCountries is a store whose second page of accounts' countries
// fails, as a crash between two pages would leave it.
type failingCountries struct {
	*sqlstore.Store
	pages int
}

func (s *failingCountries) ApplyAccountCountries(ctx context.Context, p roger.AccountCountryPage, reread func(*roger.Entry, string) bool) (int, error) {
	if s.pages++; s.pages == 2 {
		return 0, errors.New("the database went away")
	}
	return s.Store.ApplyAccountCountries(ctx, p, reread)
}

// TestAccountCountriesResume: the accounts' countries commit page by page
// with their cursor and link, so a run stopped between two pages goes on
// from the next page, reading none twice.
func TestAccountCountriesResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 2500, 300)
	belgian := e.create("Accounts", map[string]any{"Name": "Havenbedrijf Antwerpen NV", "Country": "BE"})
	peeters := e.create("Contacts", map[string]any{"Account": belgian, "LastName": "Peeters", "Phone": "03 870 23 00"})
	r := e.addReplicator(replicatorOptions{})

	failing := e.newSyncer(&failingCountries{Store: e.store})
	if _, err := failing.Sync(context.Background(), r.ID, roger.TriggerManual); err == nil {
		t.Fatal("the run with a failing second page succeeded")
	}
	cursor, resume, err := e.store.AccountCountriesCursor(context.Background(), r.ID)
	if err != nil || cursor <= 0 || resume == "" {
		t.Fatalf("after the first page: cursor %d, link %q, %v; want both kept", cursor, resume, err)
	}
	if n := len(entries(t, e.store, r.OrgID, r.ID)); n != 0 {
		t.Fatalf("%d contacts stored before the accounts' countries were read", n)
	}

	// The next run reads the two remaining pages of accounts, then the
	// contacts and the deletions.
	run := e.sync(r.ID)
	if !run.Full || run.Read != 301 || run.APICalls != 2+1+1 {
		t.Errorf("the resumed run: full %v, read %d, %d API calls; want full, 301, 4", run.Full, run.Read, run.APICalls)
	}
	if found := e.lookupEntries(r, "+32 3 870 23 00"); len(found) != 1 || found[0].SourceID != peeters {
		t.Errorf("+32 3 870 23 00 found %v; want Peeters", entryNames(found))
	}
	e.assertEqual(r)
}
