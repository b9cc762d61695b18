package dirindex_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// The index is tested against the real store, on SQLite always and on
// PostgreSQL when ROGER_TEST_POSTGRES names a server. Each test gets two
// handles on one database: "here", the instance whose index is tested,
// and "there", another instance writing to the same database, whose
// writes the index learns of only by polling.
func eachDatabase(t *testing.T, fn func(t *testing.T, here, there *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		dsn := filepath.Join(t.TempDir(), "roger.db")
		here, _ := storetest.Open(t, dsn, clock.System{})
		there, _ := storetest.Open(t, dsn, clock.System{})
		fn(t, here, there)
	})
	if pg := sqltest.Postgres(t); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			dsn := sqltest.FreshPostgres(t, pg)
			here, _ := storetest.Open(t, dsn, clock.System{})
			there, _ := storetest.Open(t, dsn, clock.System{})
			fn(t, here, there)
		})
	}
}

type fixture struct {
	t     testing.TB
	s     *sqlstore.Store
	org   *roger.Organization
	rep   *roger.Replicator
	stamp int64
}

func newFixture(t testing.TB, s *sqlstore.Store, org string) *fixture {
	t.Helper()
	ctx := context.Background()
	o := &roger.Organization{Name: org, DefaultCountry: "NL"}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, s: s, org: o}
	f.rep = f.replicator("contacts")
	return f
}

func (f *fixture) replicator(name string) *roger.Replicator {
	f.t.Helper()
	r := &roger.Replicator{OrgID: f.org.ID, Name: name, Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", Division: 123456, ClientID: fmt.Sprintf("%s-%s", f.org.Name, name),
		ContactURL: "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID={SourceId}", Interval: time.Hour, State: roger.StateActive}
	if err := f.s.CreateReplicator(context.Background(), r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

// entry is a contact with the given source id and numbers ("+3120… x12"
// for an extension).
func entry(id, name string, numbers ...string) roger.Entry {
	e := roger.Entry{Kind: roger.KindContact, SourceID: id, CompanyID: "c-" + id, DisplayName: name, CompanyName: "Company of " + name,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", JobTitle: "Buyer",
		SourceModified: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	for i, n := range numbers {
		e164, ext, _ := strings.Cut(n, " x")
		e.Numbers = append(e.Numbers, roger.Number{Field: []string{"Phone", "Mobile", "BusinessPhone"}[i%3], Raw: n, E164: e164, Extension: ext, Status: roger.NumberOK})
	}
	return e
}

// page writes upserts and deletes (by source id) to r through ApplyPage,
// as a sync does.
func (f *fixture) page(r *roger.Replicator, upserts []roger.Entry, deletes ...string) {
	f.t.Helper()
	p := roger.Page{ReplicatorID: r.ID, OrgID: r.OrgID}
	for i := range upserts {
		f.stamp++
		upserts[i].SourceTimestamp = f.stamp
	}
	p.Upserts = upserts
	for _, id := range deletes {
		f.stamp++
		p.Deletes = append(p.Deletes, roger.Deletion{SourceID: id, Timestamp: f.stamp})
	}
	p.Cursor = f.stamp
	if _, err := f.s.ApplyPage(context.Background(), p); err != nil {
		f.t.Fatal(err)
	}
}

// names answers who holds e164 (or, when nobody, one of others) in org,
// as "name/field/ext", sorted.
func names(t testing.TB, finder interface {
	FindByNumbers(ctx context.Context, orgID int64, e164s []string) ([]roger.DirectoryHit, error)
}, org int64, e164s ...string) []string {
	t.Helper()
	hits, err := finder.FindByNumbers(context.Background(), org, e164s)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Entry.DisplayName+"/"+h.Matched.Field+"/"+h.Matched.Extension)
	}
	slices.Sort(out)
	return out
}

func refresh(t testing.TB, x *dirindex.Index) {
	t.Helper()
	if err := x.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestIndexFollowsEveryKindOfChange(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, there *sqlstore.Store) {
		ctx := context.Background()
		f := newFixture(t, here, "Voorbeeld")
		f.page(f.rep, []roger.Entry{
			entry("a", "Anna de Vries", "+31201234567", "+31612345678"),
			entry("b", "Bob Smit", "+31201234567 x12"),
			entry("c", "Carla Jansen", "+31205550000"),
		})
		x := dirindex.New(here, dirindex.Options{})
		// Not loaded yet: the store answers.
		if got := names(t, x, f.org.ID, "+31205550000"); !slices.Equal(got, []string{"Carla Jansen/Phone/"}) {
			t.Fatalf("before loading = %q", got)
		}
		refresh(t, x)
		if st := x.Stats(); !st.Ready || st.Entries != 3 || st.Numbers != 4 {
			t.Fatalf("stats after loading = %+v", st)
		}
		if got, want := names(t, x, f.org.ID, "+31201234567"), []string{"Anna de Vries/Phone/", "Bob Smit/Phone/12"}; !slices.Equal(got, want) {
			t.Errorf("shared number = %q; want %q", got, want)
		}
		hits, _ := x.FindByNumbers(ctx, f.org.ID, []string{"+31612345678"})
		if len(hits) != 1 {
			t.Fatalf("hits = %+v", hits)
		}
		h := hits[0]
		if h.Entry.SourceID != "a" || h.Entry.CompanyID != "c-a" || h.Entry.CompanyName != "Company of Anna de Vries" ||
			h.Entry.Email != "anna.de.vries@example.com" || h.Entry.JobTitle != "Buyer" || h.Entry.Kind != roger.KindContact ||
			!h.Entry.SourceModified.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) || h.Entry.SyncedAt.IsZero() ||
			h.Entry.ReplicatorID != f.rep.ID || h.ReplicatorName != "contacts" || h.Division != 123456 ||
			h.ContactURL != f.rep.ContactURL || h.Matched.E164 != "+31612345678" || h.Matched.Field != "Mobile" {
			t.Errorf("hit = %+v", h)
		}

		// Another instance changes Anna's number, deletes Bob and adds Dirk
		// behind the switchboard: the index learns it at its next poll.
		g := &fixture{t: t, s: there, org: f.org, rep: f.rep, stamp: 100}
		g.page(f.rep, []roger.Entry{
			entry("a", "Anna de Vries-Bakker", "+31201234568"),
			entry("d", "Dirk Bakker", "+31205550000"),
		}, "b")
		if got := names(t, x, f.org.ID, "+31201234567"); len(got) != 2 {
			t.Errorf("before the poll the index still answers from memory: %q", got)
		}
		refresh(t, x)
		for _, c := range []struct {
			e164 string
			want []string
		}{
			{"+31201234567", nil},
			{"+31612345678", nil},
			{"+31201234568", []string{"Anna de Vries-Bakker/Phone/"}},
			{"+31205550000", []string{"Carla Jansen/Phone/", "Dirk Bakker/Phone/"}},
		} {
			if got := names(t, x, f.org.ID, c.e164); !slices.Equal(got, c.want) {
				t.Errorf("%s = %q; want %q", c.e164, got, c.want)
			}
		}

		// A full pass that no longer sees Carla removes her.
		pass, err := there.StartFullSync(ctx, f.rep.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		g.page(f.rep, []roger.Entry{entry("a", "Anna de Vries-Bakker", "+31201234568"), entry("d", "Dirk Bakker", "+31205550000")})
		if n, err := there.FinishFullSync(ctx, f.rep.ID, pass); err != nil || n != 1 {
			t.Fatalf("FinishFullSync = %d, %v", n, err)
		}
		// A renamed replicator shows under its new name.
		r := *f.rep
		r.Name = "Exact contacts"
		if err := there.UpdateReplicator(ctx, &r); err != nil {
			t.Fatal(err)
		}
		refresh(t, x)
		hits, _ = x.FindByNumbers(ctx, f.org.ID, []string{"+31205550000"})
		if len(hits) != 1 || hits[0].Entry.DisplayName != "Dirk Bakker" || hits[0].ReplicatorName != "Exact contacts" {
			t.Errorf("after the full pass = %+v", hits)
		}

		// Another organisation's entries are never found.
		other := newFixture(t, there, "Other")
		other.page(other.rep, []roger.Entry{entry("z", "Zoe Other", "+31205550000")})
		refresh(t, x)
		if got := names(t, x, f.org.ID, "+31205550000"); !slices.Equal(got, []string{"Dirk Bakker/Phone/"}) {
			t.Errorf("organisation %d = %q", f.org.ID, got)
		}
		if got := names(t, x, other.org.ID, "+31205550000"); !slices.Equal(got, []string{"Zoe Other/Phone/"}) {
			t.Errorf("organisation %d = %q", other.org.ID, got)
		}

		// Deleting the replicator empties its part.
		if err := there.DeleteReplicator(ctx, f.org.ID, f.rep.ID); err != nil {
			t.Fatal(err)
		}
		refresh(t, x)
		if got := names(t, x, f.org.ID, "+31205550000", "+31201234568"); got != nil {
			t.Errorf("after deleting the replicator = %q", got)
		}
		if st := x.Stats(); st.Entries != 1 || st.Numbers != 1 {
			t.Errorf("stats = %+v", st)
		}
	})
}

func TestIndexFallsBackToMainNumbers(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, _ *sqlstore.Store) {
		f := newFixture(t, here, "Voorbeeld")
		f.page(f.rep, []roger.Entry{
			entry("m", "Müller GmbH", "+49891234567 x0"),
			entry("s", "Schmidt AG", "+4989123456"),
			// One entry with the number twice, with and without extension.
			entry("f", "Frank Mulder", "+31301234567", "+31301234567 x7"),
		})
		x := dirindex.New(here, dirindex.Options{})
		refresh(t, x)
		for _, c := range []struct {
			e164s []string
			want  []string
		}{
			// The caller's number first; only when nobody has it, the
			// main-number candidates, as the store answers.
			{[]string{"+4989123456789", "+498912345678", "+49891234567", "+4989123456", "+498912345"}, []string{"Müller GmbH/Phone/0", "Schmidt AG/Phone/"}},
			{[]string{"+4989123456", "+498912345"}, []string{"Schmidt AG/Phone/"}},
			{[]string{"+31301234567"}, []string{"Frank Mulder/Mobile/7", "Frank Mulder/Phone/"}},
			{[]string{"+31101234567", "not a number"}, nil},
		} {
			got, want := names(t, x, f.org.ID, c.e164s...), names(t, here, f.org.ID, c.e164s...)
			if !slices.Equal(got, c.want) || !slices.Equal(got, want) {
				t.Errorf("%q: index %q, store %q; want %q", c.e164s, got, want, c.want)
			}
		}
	})
}

func TestIndexReloadsAfterRemovalsArePruned(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, there *sqlstore.Store) {
		ctx := context.Background()
		f := newFixture(t, here, "Voorbeeld")
		f.page(f.rep, []roger.Entry{entry("a", "Anna", "+31201234567"), entry("b", "Bob", "+31201234568")})
		x := dirindex.New(here, dirindex.Options{})
		refresh(t, x)
		// While the index does not look, Bob is deleted and the record
		// of it pruned: only reading the replicator afresh can tell.
		g := &fixture{t: t, s: there, org: f.org, rep: f.rep, stamp: 100}
		g.page(f.rep, []roger.Entry{entry("c", "Carla", "+31201234569")}, "b")
		if n, err := there.PruneRemovals(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("PruneRemovals = %d, %v", n, err)
		}
		refresh(t, x)
		if got := names(t, x, f.org.ID, "+31201234568"); got != nil {
			t.Errorf("Bob after the reload = %q", got)
		}
		if got := names(t, x, f.org.ID, "+31201234569"); !slices.Equal(got, []string{"Carla/Phone/"}) {
			t.Errorf("Carla after the reload = %q", got)
		}
		if st := x.Stats(); st.Entries != 2 || !st.Ready {
			t.Errorf("stats = %+v", st)
		}
	})
}

// TestIndexRunFollowsWrites runs the index as roger serve does: woken by
// this process's writes, polling for another instance's.
func TestIndexRunFollowsWrites(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, there *sqlstore.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFixture(t, here, "Voorbeeld")
		// A long poll interval: this process's write must not wait for it.
		x := dirindex.New(here, dirindex.Options{Interval: time.Hour})
		here.OnDirectoryChange(x.Wake)
		done := make(chan struct{})
		go func() { x.Run(ctx); close(done) }()
		waitFor := func(what, e164 string, want []string) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for !slices.Equal(names(t, x, f.org.ID, e164), want) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: %s = %q; want %q", what, e164, names(t, x, f.org.ID, e164), want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		// Until it is loaded the store answers, which would hide a
		// missed write.
		for deadline := time.Now().Add(10 * time.Second); !x.Stats().Ready; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the index did not load")
			}
		}
		f.page(f.rep, []roger.Entry{entry("a", "Anna", "+31201234567")})
		waitFor("own write", "+31201234567", []string{"Anna/Phone/"})
		g := &fixture{t: t, s: there, org: f.org, rep: f.rep, stamp: 100}
		g.page(f.rep, []roger.Entry{entry("b", "Bob", "+31201234568")})
		x.Wake() // what the next poll would do
		waitFor("another instance's write", "+31201234568", []string{"Bob/Phone/"})
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	})
}

// TestIndexAnswersAsTheStore applies random pages (new entries, changed
// numbers, numbers shared between entries, deletions, full passes) and
// checks after each that the index answers every number as the store does.
func TestIndexAnswersAsTheStore(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, there *sqlstore.Store) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		f := newFixture(t, here, "Voorbeeld")
		second := f.replicator("accounts")
		x := dirindex.New(here, dirindex.Options{})
		here.OnDirectoryChange(func() {
			if err := x.Refresh(ctx); err != nil {
				t.Error(err)
			}
		})
		refresh(t, x)
		// A small number space, so numbers are shared and reused.
		numberOf := func() string {
			n := fmt.Sprintf("+312055500%02d", rng.IntN(60))
			if rng.IntN(5) == 0 {
				n += fmt.Sprintf(" x%d", rng.IntN(3))
			}
			return n
		}
		writer := map[bool]*fixture{false: f, true: {t: t, s: there, org: f.org, rep: f.rep, stamp: 1_000_000}}
		for round := range 40 {
			w := writer[rng.IntN(2) == 0]
			r := f.rep
			if rng.IntN(3) == 0 {
				r = second
			}
			switch op := rng.IntN(10); {
			case op == 0:
				pass, err := w.s.StartFullSync(ctx, r.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				var keep []roger.Entry
				for i := range 20 {
					if rng.IntN(2) == 0 {
						keep = append(keep, entry(fmt.Sprintf("e%d", i), fmt.Sprintf("Person %d", i), numberOf()))
					}
				}
				w.page(r, keep)
				if _, err := w.s.FinishFullSync(ctx, r.ID, pass); err != nil {
					t.Fatal(err)
				}
			default:
				var ups []roger.Entry
				var dels []string
				picked := map[int]bool{} // a page holds a record once
				for range rng.IntN(8) {
					i := rng.IntN(20)
					if picked[i] {
						continue
					}
					picked[i] = true
					if rng.IntN(4) == 0 {
						dels = append(dels, fmt.Sprintf("e%d", i))
						continue
					}
					var nums []string
					for range rng.IntN(4) {
						nums = append(nums, numberOf())
					}
					ups = append(ups, entry(fmt.Sprintf("e%d", i), fmt.Sprintf("Person %d v%d", i, round), nums...))
				}
				w.page(r, ups, dels...)
			}
			refresh(t, x) // the other instance's writes
			for n := range 60 {
				e164 := fmt.Sprintf("+312055500%02d", n)
				if got, want := names(t, x, f.org.ID, e164), names(t, here, f.org.ID, e164); !slices.Equal(got, want) {
					t.Fatalf("round %d, %s: index %q, store %q", round, e164, got, want)
				}
			}
		}
	})
}

// TestIndexEntriesWithoutNumbers: records with no number that parsed are
// held (a later version may bring one) and leave cleanly.
func TestIndexEntriesWithoutNumbers(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, _ *sqlstore.Store) {
		f := newFixture(t, here, "Voorbeeld")
		bad := entry("b", "Bad Number")
		bad.Numbers = []roger.Number{{Field: "Phone", Raw: "n/a", Status: roger.NumberInvalid, Reason: "not a number"}}
		account := entry("acc", "Groothandel Groen", "+31205550000")
		account.Kind = roger.KindAccount
		f.page(f.rep, []roger.Entry{entry("a", "No Number"), bad, account})
		x := dirindex.New(here, dirindex.Options{})
		refresh(t, x)
		if st := x.Stats(); st.Entries != 3 || st.Numbers != 1 {
			t.Fatalf("stats = %+v", st)
		}
		hits, _ := x.FindByNumbers(context.Background(), f.org.ID, []string{"+31205550000"})
		if len(hits) != 1 || hits[0].Entry.Kind != roger.KindAccount {
			t.Errorf("account hit = %+v", hits)
		}
		f.page(f.rep, nil, "acc", "a", "b")
		refresh(t, x)
		if st := x.Stats(); st.Entries != 0 || st.Numbers != 0 {
			t.Errorf("stats after removing all = %+v", st)
		}
		f.page(f.rep, []roger.Entry{entry("c", "Back Again", "+31205550000")})
		refresh(t, x)
		if got := names(t, x, f.org.ID, "+31205550000"); !slices.Equal(got, []string{"Back Again/Phone/"}) {
			t.Errorf("after coming back = %q", got)
		}
	})
}

// TestIndexLookupsDuringRefreshes looks numbers up from several goroutines
// while pages are written and the index follows them (run with -race).
// Every answer must be one the directory held at some point: the number's
// holder, by the name of one of its versions.
func TestIndexLookupsDuringRefreshes(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, _ *sqlstore.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFixture(t, here, "Voorbeeld")
		x := dirindex.New(here, dirindex.Options{Interval: time.Hour})
		here.OnDirectoryChange(x.Wake)
		go x.Run(ctx)
		errs := make(chan error, 4)
		for g := range 4 {
			go func() {
				for ctx.Err() == nil {
					n := fmt.Sprintf("+312055500%02d", g*10)
					hits, err := x.FindByNumbers(ctx, f.org.ID, []string{n})
					if err != nil && ctx.Err() == nil {
						errs <- err
						return
					}
					for _, h := range hits {
						if !strings.HasPrefix(h.Entry.DisplayName, fmt.Sprintf("Person %d v", g*10)) || h.Matched.E164 != n {
							errs <- fmt.Errorf("%s answered %q with %s", n, h.Entry.DisplayName, h.Matched.E164)
							return
						}
					}
				}
				errs <- nil
			}()
		}
		for round := range 30 {
			var page []roger.Entry
			for i := range 40 {
				page = append(page, entry(fmt.Sprintf("e%d", i), fmt.Sprintf("Person %d v%d", i, round), fmt.Sprintf("+312055500%02d", i)))
			}
			f.page(f.rep, page, fmt.Sprintf("e%d", 39-round%10))
		}
		cancel()
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}
