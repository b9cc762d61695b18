package dirindex_test

import (
	"slices"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/sqlstore"
)

// nameIDs are the names of the entries a prefix finds, each once, by
// NameCandidates and by NameWalk a few at a time.
func namesByPrefix(t *testing.T, x *dirindex.Index, org int64, prefix string) []string {
	t.Helper()
	ids, complete := x.NameCandidates(org, prefix, 1000)
	if !complete {
		t.Fatal("incomplete")
	}
	var walked []int64
	var cursor dirindex.NameCursor
	for {
		got, next, done := x.NameWalk(org, prefix, cursor, 2)
		walked = append(walked, got...)
		cursor = next
		if done {
			break
		}
	}
	slices.Sort(walked)
	if walked = slices.Compact(walked); !slices.Equal(walked, ids) {
		t.Fatalf("%q: walked %v, listed %v", prefix, walked, ids)
	}
	var out []string
	for _, r := range x.Records(org, ids) {
		out = append(out, r.DisplayName)
	}
	slices.Sort(out)
	return out
}

func TestNameIndexFollowsChanges(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, _ *sqlstore.Store) {
		f := newFixture(t, here, "Voorbeeld")
		other := newFixture(t, here, "Anders")
		f.page(f.rep, []roger.Entry{
			entry("a", "Anna de Vries", "+31201234567"),
			entry("b", "Annemarie Bakker", "+31201234568"),
			entry("c", "Piet Annema", "+31201234569"),
			entry("d", "Ëlla Ångström-Jansen"),
		})
		other.page(other.rep, []roger.Entry{entry("x", "Anna Anders", "+31301234567")})
		x := dirindex.New(here, dirindex.Options{})
		refresh(t, x)
		org := f.org.ID
		for prefix, want := range map[string][]string{
			"ann":       {"Anna de Vries", "Annemarie Bakker", "Piet Annema"},
			"annemarie": {"Annemarie Bakker"},
			"annemari":  {"Annemarie Bakker"},
			"ångström":  {"Ëlla Ångström-Jansen"},
			"jansen":    {"Ëlla Ångström-Jansen"},
			"company":   {"Anna de Vries", "Annemarie Bakker", "Piet Annema", "Ëlla Ångström-Jansen"},
			"zz":        nil,
		} {
			if got := namesByPrefix(t, x, org, prefix); !slices.Equal(got, want) {
				t.Errorf("%q: %q, want %q", prefix, got, want)
			}
		}
		// Renamed and removed entries leave the index.
		f.page(f.rep, []roger.Entry{entry("a", "Bert de Vries", "+31201234567")}, "c")
		refresh(t, x)
		if got := namesByPrefix(t, x, org, "ann"); !slices.Equal(got, []string{"Annemarie Bakker"}) {
			t.Errorf("after changes: %q", got)
		}
		if got := namesByPrefix(t, x, org, "bert"); !slices.Equal(got, []string{"Bert de Vries"}) {
			t.Errorf("renamed: %q", got)
		}
		ids := x.EntryIDs(org, 0, 10)
		if len(ids) != 3 || !slices.IsSorted(ids) {
			t.Fatalf("EntryIDs %v", ids)
		}
		if rest := x.EntryIDs(org, ids[0], 10); !slices.Equal(rest, ids[1:]) {
			t.Fatalf("EntryIDs after %d: %v", ids[0], rest)
		}
		// Another organisation's entries are not its.
		if recs := x.Records(other.org.ID, ids); len(recs) != 0 {
			t.Fatalf("records across organisations: %v", recs)
		}
		r := x.Records(org, ids[:1])[0]
		if len(r.Numbers) == 0 || r.Numbers[0].E164 == "" || r.ContactURL == "" {
			t.Fatalf("record %+v", r)
		}
	})
}
