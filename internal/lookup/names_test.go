package lookup_test

import (
	"context"
	"slices"
	"testing"

	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/sqlstore"
)

// A search from the name index pages like the store's, and finds what
// starts a word of a name or company.
func TestSearchFromTheNameIndex(t *testing.T) {
	eachStore(t, func(t *testing.T, s *sqlstore.Store) {
		d := fixture(t, s)
		idx := followingIndex(t, s)
		fromIndex := lookup.New(s, lookup.Options{Numbers: idx, Names: idx})
		fromStore := lookup.New(s, lookup.Options{})
		ctx := context.Background()
		org := d.orgs["Voorbeeld"].ID
		all := func(svc *lookup.Service, q string) []string {
			var out []string
			var after int64
			for {
				p, err := svc.Search(ctx, org, q, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range p.Entries {
					out = append(out, e.Name)
				}
				if after = p.Next; after == 0 {
					return out
				}
			}
		}
		// What starts words is found either way, in the same pages.
		for _, q := range []string{"GROOTHANDEL", "anna", "mulder & zn", "de vries", "groot", "%", ""} {
			if a, b := all(fromIndex, q), all(fromStore, q); !slices.Equal(a, b) {
				t.Errorf("%q: index %q, store %q", q, a, b)
			}
		}
		// The middle of a word is not the start of one.
		if got := all(fromIndex, "roothandel"); len(got) != 0 {
			t.Errorf("middle of a word: %q", got)
		}
		if got := all(fromIndex, "zoe"); len(got) != 0 {
			t.Errorf("another organisation's entry: %q", got)
		}
	})
}
