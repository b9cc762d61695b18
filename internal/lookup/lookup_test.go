package lookup_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// The lookup tests run against the real store: on SQLite always and on
// PostgreSQL when ROGER_TEST_POSTGRES names a server.

func openStore(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	s, _ := storetest.Open(t, dsn, clock.System{})
	return s
}

func eachStore(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openStore(t, filepath.Join(t.TempDir(), "roger.db"))) })
	if pg := sqltest.Postgres(t); pg != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, openStore(t, sqltest.FreshPostgres(t, pg))) })
	}
}

// eachFinder runs fn on each database twice: with numbers found by the
// database, and by the in-memory index following it. The index refreshes
// on every write, so a test sees its writes at once either way.
func eachFinder(t *testing.T, fn func(t *testing.T, s *sqlstore.Store, newService func(lookup.Options) *lookup.Service)) {
	for _, finder := range []string{"database", "memory"} {
		t.Run(finder, func(t *testing.T) {
			eachStore(t, func(t *testing.T, s *sqlstore.Store) {
				fn(t, s, func(opts lookup.Options) *lookup.Service {
					if finder == "memory" {
						opts.Numbers = followingIndex(t, s)
					}
					return lookup.New(s, opts)
				})
			})
		})
	}
}

// followingIndex is an in-memory index of s that refreshes after every
// write.
func followingIndex(t testing.TB, s *sqlstore.Store) *dirindex.Index {
	idx := dirindex.New(s, dirindex.Options{})
	refresh := func() {
		if err := idx.Refresh(context.Background()); err != nil {
			t.Error(err)
		}
	}
	refresh()
	s.OnDirectoryChange(refresh)
	return idx
}

// directory is a fixture: organisations with replicators and entries.
type directory struct {
	t     testing.TB
	s     *sqlstore.Store
	orgs  map[string]*roger.Organization
	reps  map[string]*roger.Replicator
	stamp int64
}

func newDirectory(t testing.TB, s *sqlstore.Store) *directory {
	return &directory{t: t, s: s, orgs: map[string]*roger.Organization{}, reps: map[string]*roger.Replicator{}}
}

func (d *directory) org(name, country string) *roger.Organization {
	d.t.Helper()
	o := &roger.Organization{Name: name, DefaultCountry: country}
	if err := d.s.CreateOrganization(context.Background(), o); err != nil {
		d.t.Fatal(err)
	}
	d.orgs[name] = o
	return o
}

func (d *directory) replicator(org, name string, entity roger.Entity, contactURL string) *roger.Replicator {
	d.t.Helper()
	r := &roger.Replicator{OrgID: d.orgs[org].ID, Name: name, Source: roger.SourceExactOnline, Entity: entity,
		ExactURL: "https://start.exactonline.nl", Division: 123456, ClientID: fmt.Sprintf("client-%d", len(d.reps)+1), ContactURL: contactURL,
		Interval: time.Hour, State: roger.StateActive}
	if err := d.s.CreateReplicator(context.Background(), r); err != nil {
		d.t.Fatal(err)
	}
	d.reps[name] = r
	return r
}

// num is a parsed stored number: "+31201234567" or "+31201234567 x12".
func num(field, s string) roger.Number {
	e164, ext, _ := strings.Cut(s, " x")
	return roger.Number{Field: field, Raw: s, E164: e164, Extension: ext, Status: roger.NumberOK}
}

// add stores entries through ApplyPage, as a sync would.
func (d *directory) add(rep string, entries ...roger.Entry) {
	d.t.Helper()
	r := d.reps[rep]
	for i := range entries {
		d.stamp++
		entries[i].SourceTimestamp = d.stamp
		if entries[i].SourceID == "" {
			entries[i].SourceID = fmt.Sprintf("00000000-0000-4000-8000-%012d", d.stamp)
		}
		if entries[i].CompanyID == "" {
			entries[i].CompanyID = "c-" + entries[i].CompanyName
		}
	}
	if _, err := d.s.ApplyPage(context.Background(), roger.Page{ReplicatorID: r.ID, OrgID: r.OrgID, Upserts: entries, Cursor: d.stamp}); err != nil {
		d.t.Fatal(err)
	}
}

func contact(name, company string, modified string, numbers ...roger.Number) roger.Entry {
	return roger.Entry{Kind: roger.KindContact, DisplayName: name, CompanyName: company, SourceModified: day(modified), Numbers: numbers}
}

func account(name string, modified string, numbers ...roger.Number) roger.Entry {
	return roger.Entry{Kind: roger.KindAccount, DisplayName: name, CompanyName: name, SourceModified: day(modified), Numbers: numbers}
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is the directory the match-rule table runs against.
func fixture(t testing.TB, s *sqlstore.Store) *directory {
	d := newDirectory(t, s)
	d.org("Voorbeeld", "NL")
	d.org("Other", "NL")
	d.replicator("Voorbeeld", "contacts", roger.Contacts, "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456")
	d.replicator("Voorbeeld", "accounts", roger.Accounts, "https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_={Division}")
	d.replicator("Other", "other", roger.Contacts, "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID={SourceId}")
	d.add("contacts",
		contact("Anna de Vries", "Bakkerij Brood", "2026-01-10", num("Phone", "+31201234567"), num("Mobile", "+31612345678")),
		// Bob has a direct extension behind Anna's number.
		contact("Bob Smit", "Bakkerij Brood", "2026-01-11", num("Phone", "+31201234567 x12")),
		// Three contacts behind one switchboard, and its account below.
		contact("Carla Jansen", "Groothandel Groen", "2026-03-01", num("BusinessPhone", "+31205550000")),
		contact("Dirk Bakker", "Groothandel Groen", "2026-05-01", num("BusinessPhone", "+31205550000")),
		contact("Eva Visser", "Groothandel Groen", "2026-04-01", num("BusinessPhone", "+31205550000")),
		// Two numbers of one entry match the same caller.
		contact("Frank Mulder", "Mulder & Zn", "2026-02-01", num("Phone", "+31301234567"), num("BusinessPhone", "+31301234567 x7")),
		// A number that ends in a short service number.
		contact("Gert de Boer", "Gemeente", "2026-02-01", num("Phone", "+31201214020")),
		// Someone stored only the first digits of a Munich number.
		contact("Hans Kurz", "Kurz KG", "2026-02-01", num("Phone", "+4989123")),
	)
	d.add("accounts",
		account("Groothandel Groen", "2026-06-01", num("Phone", "+31205550000")),
		// Munich switchboards: 089 1234567-0 and, shorter, 089 123456.
		account("Müller GmbH", "2026-02-01", num("Phone", "+49891234567 x0")),
		account("Schmidt AG", "2026-02-01", num("Phone", "+4989123456")),
	)
	// The same number in another organisation.
	d.add("other", contact("Zoe Other", "Elsewhere", "2026-07-01", num("Phone", "+31201234567"), num("Phone", "+31205550000")))
	return d
}

type want struct {
	name, rule, matched, field string
}

func TestLookupRules(t *testing.T) {
	eachFinder(t, func(t *testing.T, s *sqlstore.Store, newService func(lookup.Options) *lookup.Service) {
		d := fixture(t, s)
		svc := newService(lookup.Options{})
		org := d.orgs["Voorbeeld"].ID
		tests := []struct {
			name, input, country string
			e164, ext            string
			want                 []want
		}{
			{name: "exact E.164", input: "+31201234567", e164: "+31201234567", want: []want{
				{"Anna de Vries", "exact", "+31201234567", "Phone"},
				{"Bob Smit", "without-extension", "+31201234567", "Phone"},
			}},
			{name: "national notation with the organisation's country", input: "020 123 4567", e164: "+31201234567", want: []want{
				{"Anna de Vries", "exact", "+31201234567", "Phone"},
				{"Bob Smit", "without-extension", "+31201234567", "Phone"},
			}},
			{name: "00 international", input: "0031201234567", e164: "+31201234567", want: []want{
				{"Anna de Vries", "exact", "+31201234567", "Phone"},
				{"Bob Smit", "without-extension", "+31201234567", "Phone"},
			}},
			{name: "extension matches exactly, the number without it too", input: "tel:+31-20-123-4567;ext=12", e164: "+31201234567", ext: "12", want: []want{
				{"Bob Smit", "exact", "+31201234567", "Phone"},
				{"Anna de Vries", "without-extension", "+31201234567", "Phone"},
			}},
			{name: "mobile", input: "06 12 34 56 78", e164: "+31612345678", want: []want{
				{"Anna de Vries", "exact", "+31612345678", "Mobile"},
			}},
			{name: "every contact behind a switchboard, contacts first, newest first", input: "+31 20 555 0000", e164: "+31205550000", want: []want{
				{"Dirk Bakker", "exact", "+31205550000", "BusinessPhone"},
				{"Eva Visser", "exact", "+31205550000", "BusinessPhone"},
				{"Carla Jansen", "exact", "+31205550000", "BusinessPhone"},
				{"Groothandel Groen", "exact", "+31205550000", "Phone"},
			}},
			{name: "direct dial falls back to the company main number", input: "+49 89 1234567-89", country: "DE", e164: "+4989123456789", want: []want{
				{"Müller GmbH", "company-main", "+49891234567", "Phone"},
			}},
			{name: "the nearest switchboard wins over a shorter one", input: "0891234567", country: "DE", e164: "+49891234567", want: []want{
				{"Müller GmbH", "without-extension", "+49891234567", "Phone"},
			}},
			{name: "direct dial under the shorter switchboard", input: "+49 89 123456 99", country: "NL", e164: "+498912345699", want: []want{
				{"Schmidt AG", "company-main", "+4989123456", "Phone"},
			}},
			{name: "one entry once, under its best rule", input: "+31301234567", e164: "+31301234567", want: []want{
				{"Frank Mulder", "exact", "+31301234567", "Phone"},
			}},
			{name: "short number never suffix-matches", input: "14020", e164: "+3114020", want: nil},
			{name: "a short stored prefix is no company number", input: "+49 89 1239 9999", e164: "+498912399999", want: nil},
			{name: "unknown number", input: "+31 10 123 4567", e164: "+31101234567", want: nil},
			{name: "country override", input: "030 1234567", country: "+31", e164: "+31301234567", want: []want{
				{"Frank Mulder", "exact", "+31301234567", "Phone"},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := svc.Lookup(context.Background(), org, tt.input, tt.country)
				if err != nil {
					t.Fatal(err)
				}
				if res.Number.Input != tt.input || res.Number.E164 != tt.e164 || res.Number.Extension != tt.ext {
					t.Errorf("number = %+v; want %s ext %q", res.Number, tt.e164, tt.ext)
				}
				var got []want
				for _, m := range res.Matches {
					got = append(got, want{m.Name, string(m.Rule), m.MatchedNumber, m.Field})
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("matches:\n got %q\nwant %q", got, tt.want)
				}
				if res.Matches == nil {
					t.Error("no matches must be an empty list, not null")
				}
			})
		}
	})
}

func TestLookupInvalid(t *testing.T) {
	eachFinder(t, func(t *testing.T, s *sqlstore.Store, newService func(lookup.Options) *lookup.Service) {
		d := fixture(t, s)
		svc := newService(lookup.Options{})
		tests := []struct{ name, input, country, msg string }{
			{"empty", "", "", "no number given; send the caller's number"},
			{"anonymous", "anonymous", "", `"anonymous" is not a phone number; send`},
			{"too short", "12345", "", `"12345" is not a valid phone number: too short`},
			{"bad country", "0201234567", "Narnia", `country: "Narnia" is not a country`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := svc.Lookup(context.Background(), d.orgs["Voorbeeld"].ID, tt.input, tt.country)
				if roger.ErrorCodeOf(err) != roger.EINVALID || !strings.HasPrefix(roger.ErrorMessage(err), tt.msg) || res != nil {
					t.Errorf("Lookup(%q) = %v, %v; want EINVALID starting %q", tt.input, res, err, tt.msg)
				}
			})
		}
	})
}

func TestLookupDetails(t *testing.T) {
	eachFinder(t, func(t *testing.T, s *sqlstore.Store, newService func(lookup.Options) *lookup.Service) {
		d := fixture(t, s)
		var outcomes []lookup.Outcome
		svc := newService(lookup.Options{Observe: func(o lookup.Outcome, d time.Duration) {
			if d <= 0 {
				t.Errorf("duration %v", d)
			}
			outcomes = append(outcomes, o)
		}})
		ctx := context.Background()
		org := d.orgs["Voorbeeld"].ID

		res, err := svc.Lookup(ctx, org, "+31612345678", "")
		if err != nil || len(res.Matches) != 1 {
			t.Fatalf("Lookup = %+v, %v", res, err)
		}
		m := res.Matches[0]
		if m.Kind != roger.KindContact || m.Company != "Bakkerij Brood" || m.CompanyID != "c-Bakkerij Brood" || m.SourceID == "" ||
			m.Replicator.ID != d.reps["contacts"].ID || m.Replicator.Name != "contacts" || !m.Modified.Equal(day("2026-01-10")) || m.SyncedAt.IsZero() {
			t.Errorf("match = %+v", m)
		}
		if want := "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b" + m.SourceID + "%7d&_Division_=123456"; m.URL != want {
			t.Errorf("url = %s; want %s", m.URL, want)
		}
		res, _ = svc.Lookup(ctx, org, "+4989123456", "")
		if want := "https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7bc-Schmidt+AG%7d&_Division_=123456"; len(res.Matches) != 1 || res.Matches[0].URL != want {
			t.Errorf("account url = %+v; want %s", res.Matches, want)
		}

		// A changed template shows in the next lookup.
		r := d.reps["contacts"]
		r.ContactURL = "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=654321"
		if err := s.UpdateReplicator(ctx, r); err != nil {
			t.Fatal(err)
		}
		res, _ = svc.Lookup(ctx, org, "+31612345678", "")
		if want := "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=" + m.SourceID + "&_Division_=654321"; res.Matches[0].URL != want {
			t.Errorf("url after the template changed = %s; want %s", res.Matches[0].URL, want)
		}
		// A template that does not parse gives no link rather than a broken one.
		r.ContactURL = "https://start.exactonline.nl/docs/{Nope}"
		if err := s.UpdateReplicator(ctx, r); err != nil {
			t.Fatal(err)
		}
		if res, _ = svc.Lookup(ctx, org, "+31612345678", ""); res.Matches[0].URL != "" {
			t.Errorf("url with a broken template = %q", res.Matches[0].URL)
		}

		// Tenant isolation: the other organisation sees only its own entry.
		res, _ = svc.Lookup(ctx, d.orgs["Other"].ID, "+31201234567", "")
		if len(res.Matches) != 1 || res.Matches[0].Name != "Zoe Other" {
			t.Errorf("other organisation got %+v", res.Matches)
		}

		_, _ = svc.Lookup(ctx, org, "+31101234567", "")
		_, _ = svc.Lookup(ctx, org, "nope", "")
		if want := []lookup.Outcome{"match", "match", "match", "match", "match", "no_match", "invalid"}; !slices.Equal(outcomes, want) {
			t.Errorf("outcomes = %q; want %q", outcomes, want)
		}
	})
}

func TestLookupTruncates(t *testing.T) {
	eachFinder(t, func(t *testing.T, s *sqlstore.Store, newService func(lookup.Options) *lookup.Service) {
		d := newDirectory(t, s)
		d.org("Big", "NL")
		d.replicator("Big", "contacts", roger.Contacts, "")
		var many []roger.Entry
		for i := range lookup.MaxMatches + 5 {
			many = append(many, contact(fmt.Sprintf("Person %03d", i), "Big", "2026-01-01", num("Phone", "+31205550000")))
		}
		d.add("contacts", many...)
		res, err := newService(lookup.Options{}).Lookup(context.Background(), d.orgs["Big"].ID, "+31205550000", "")
		if err != nil || len(res.Matches) != lookup.MaxMatches || !res.Truncated || res.Matches[0].Name != "Person 000" || res.Matches[0].URL != "" {
			t.Fatalf("got %d matches, truncated %v, %v", len(res.Matches), res != nil && res.Truncated, err)
		}
	})
}

func TestSearch(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlstore.Store) {
		d := fixture(t, s)
		svc := lookup.New(s, lookup.Options{})
		ctx := context.Background()
		org := d.orgs["Voorbeeld"].ID

		names := func(p *lookup.Page) []string {
			var out []string
			for _, e := range p.Entries {
				out = append(out, e.Name)
			}
			return out
		}
		p, err := svc.Search(ctx, org, "GROOTHANDEL", 0, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); !slices.Equal(got, []string{"Carla Jansen", "Dirk Bakker"}) || p.Next == 0 {
			t.Fatalf("page 1 = %q, next %d", got, p.Next)
		}
		p, err = svc.Search(ctx, org, "GROOTHANDEL", p.Next, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); !slices.Equal(got, []string{"Eva Visser", "Groothandel Groen"}) || p.Next != 0 {
			t.Fatalf("page 2 = %q, next %d", got, p.Next)
		}
		if e := p.Entries[1]; e.Kind != roger.KindAccount || len(e.Numbers) != 1 || e.Numbers[0].E164 != "+31205550000" || e.Numbers[0].Status != "ok" || e.URL == "" {
			t.Errorf("entry = %+v", e)
		}
		// By name, any case; LIKE wildcards are literal.
		if p, _ = svc.Search(ctx, org, "anna", 0, 0); !slices.Equal(names(p), []string{"Anna de Vries"}) {
			t.Errorf("anna = %q", names(p))
		}
		if p, _ = svc.Search(ctx, org, "%", 0, 0); len(p.Entries) != 0 {
			t.Errorf("%% = %q", names(p))
		}
		if p, _ = svc.Search(ctx, org, "mulder & zn", 0, 0); !slices.Equal(names(p), []string{"Frank Mulder"}) {
			t.Errorf("company = %q", names(p))
		}
		// Every entry of the organisation and none of another.
		if p, _ = svc.Search(ctx, org, "", 0, 200); len(p.Entries) != 11 {
			t.Errorf("all = %d entries", len(p.Entries))
		}
		if p, _ = svc.Search(ctx, d.orgs["Other"].ID, "", 0, 200); !slices.Equal(names(p), []string{"Zoe Other"}) {
			t.Errorf("other organisation = %q", names(p))
		}
		for _, bad := range []struct {
			after int64
			limit int
		}{{0, -1}, {0, lookup.MaxPageSize + 1}, {-5, 10}} {
			if _, err := svc.Search(ctx, org, "", bad.after, bad.limit); roger.ErrorCodeOf(err) != roger.EINVALID {
				t.Errorf("Search(after %d, limit %d) = %v; want EINVALID", bad.after, bad.limit, err)
			}
		}
	})
}

// TestLookupWhileTheDatabaseIsAway: with the database gone, the in-memory
// index still answers, read with the organisation's country as last read,
// past the time that country is normally kept; an organisation whose
// country was never read cannot be answered.
func TestLookupWhileTheDatabaseIsAway(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlstore.Store) {
		d := fixture(t, s)
		other := d.org("Elders", "BE")
		clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
		svc := lookup.New(s, lookup.Options{Clock: clk, Numbers: followingIndex(t, s)})
		ctx := context.Background()
		org := d.orgs["Voorbeeld"].ID
		if res, err := svc.Lookup(ctx, org, "06 12345678", ""); err != nil || len(res.Matches) != 1 {
			t.Fatalf("before: %+v, %v", res, err)
		}
		s.Close()
		for _, after := range []time.Duration{time.Minute, time.Hour} {
			clk.Advance(after)
			res, err := svc.Lookup(ctx, org, "06 12345678", "")
			if err != nil || len(res.Matches) != 1 || res.Number.E164 != "+31612345678" {
				t.Errorf("%v after the database went away: %+v, %v", after, res, err)
			}
		}
		if _, err := svc.Lookup(ctx, other.ID, "02 123 45 67", ""); roger.ErrorCodeOf(err) != roger.EUNAVAILABLE {
			t.Errorf("an organisation whose country was never read: %v; want unavailable", err)
		}
	})
}

// gatedOrgs is a Store whose organisation reads wait at a gate, and
// answer with the country set last: a database busy with a first load.
type gatedOrgs struct {
	lookup.Store
	mu      sync.Mutex
	country string
	gate    chan struct{}
	reads   atomic.Int32
}

func (g *gatedOrgs) FindOrganizationByID(ctx context.Context, id int64) (*roger.Organization, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	g.reads.Add(1)
	g.mu.Lock()
	defer g.mu.Unlock()
	return &roger.Organization{ID: id, DefaultCountry: g.country}, nil
}

// TestCountryIsReadAgainInTheBackground: once an organisation's country
// is known, no lookup waits for the database to read it again; a read in
// the background (one, however many lookups come) brings the new one.
func TestCountryIsReadAgainInTheBackground(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlstore.Store) {
		d := fixture(t, s)
		g := &gatedOrgs{Store: s, country: "NL"}
		clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
		svc := lookup.New(g, lookup.Options{Clock: clk, Numbers: followingIndex(t, s)})
		ctx := context.Background()
		org := d.orgs["Voorbeeld"].ID
		if res, err := svc.Lookup(ctx, org, "020 1234567", ""); err != nil || res.Number.E164 != "+31201234567" {
			t.Fatalf("first lookup: %+v, %v", res, err)
		}
		gate := make(chan struct{})
		g.mu.Lock()
		g.gate, g.country = gate, "BE"
		g.mu.Unlock()
		clk.Advance(time.Minute)
		for range 10 {
			res, err := svc.Lookup(ctx, org, "020 1234567", "")
			if err != nil || res.Number.E164 != "+31201234567" {
				t.Fatalf("a lookup while the database is slow: %+v, %v; want it read as NL at once", res, err)
			}
		}
		close(gate)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			res, err := svc.Lookup(ctx, org, "02 123 45 67", "")
			if err == nil && res.Number.E164 == "+3221234567" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("5 s after the database answered, the number is still read as %+v, %v; want BE", res, err)
			}
		}
		if n := g.reads.Load(); n != 2 {
			t.Errorf("%d reads of the organisation; want 2 (the first and one in the background)", n)
		}
	})
}
