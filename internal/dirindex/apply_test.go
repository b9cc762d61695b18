package dirindex_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/sqlstore"
)

// countingSource counts the entries a refresh reads back from the store.
type countingSource struct {
	*sqlstore.Store
	read atomic.Int64
}

func (c *countingSource) ForEachEntrySince(ctx context.Context, replicatorID, after int64, fn func(*roger.Entry) error) error {
	return c.Store.ForEachEntrySince(ctx, replicatorID, after, func(e *roger.Entry) error {
		c.read.Add(1)
		return fn(e)
	})
}

// TestCommitsTakenAsMade: an index that takes this process's commits as
// they are made (Apply) answers exactly as one that reads them back from
// the database, for new entries, changed numbers, an older version that
// must not win, a shared number and a deletion, and reads none of them
// back; a commit it cannot take (another instance wrote in between) is
// read at the next refresh.
func TestCommitsTakenAsMade(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, there *sqlstore.Store) {
		ctx := context.Background()
		f := newFixture(t, here, "Voorbeeld")
		f.page(f.rep, []roger.Entry{entry("a", "Anna de Vries", "+31201234567")})
		src := &countingSource{Store: here}
		taking := dirindex.New(src, dirindex.Options{})
		reading := dirindex.New(there, dirindex.Options{})
		refresh(t, taking)
		refresh(t, reading)
		var took, left int
		here.OnPagesCommitted(func(ch roger.DirectoryChange) {
			if taking.Apply(ctx, ch) {
				took++
			} else {
				left++
			}
		})
		readBefore := src.read.Load()

		apply := func(s *sqlstore.Store, upserts []roger.Entry, deletes ...roger.Deletion) {
			t.Helper()
			p := roger.Page{ReplicatorID: f.rep.ID, OrgID: f.org.ID, Upserts: upserts, Deletes: deletes, Cursor: 1000}
			if _, err := s.ApplyPage(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		at := func(e roger.Entry, ts int64) roger.Entry { e.SourceTimestamp = ts; return e }
		apply(here, []roger.Entry{
			at(entry("b", "Bob Smit", "+31201234567 x12", "+31612345678"), 10),
			at(entry("c", "Carla Jansen", "+31205550000"), 11),
		})
		apply(here, []roger.Entry{
			at(entry("a", "Anna de Vries-Bakker", "+31201234568"), 20), // newer: wins
			at(entry("c", "Carla Old", "+31209999999"), 5),             // older than held: must not win
		}, roger.Deletion{SourceID: "b", Timestamp: 21})
		if took != 2 || left != 0 {
			t.Fatalf("took %d commits, left %d; want 2 taken", took, left)
		}
		if n := src.read.Load() - readBefore; n != 0 {
			t.Errorf("taking the commits read %d entries back", n)
		}
		refresh(t, taking)
		if n := src.read.Load() - readBefore; n != 0 {
			t.Errorf("a refresh after taking the commits read %d entries back; want none", n)
		}
		refresh(t, reading)
		same := func(when string) {
			t.Helper()
			for _, n := range []string{"+31201234567", "+31201234568", "+31612345678", "+31205550000", "+31209999999"} {
				got, want := names(t, taking, f.org.ID, n), names(t, reading, f.org.ID, n)
				if !slices.Equal(got, want) {
					t.Errorf("%s: %s taken as made = %q; read back = %q", when, n, got, want)
				}
			}
			ts, rs := taking.Stats(), reading.Stats()
			if ts.Entries != rs.Entries || ts.Numbers != rs.Numbers {
				t.Errorf("%s: taken as made holds %d entries, %d numbers; read back %d, %d", when, ts.Entries, ts.Numbers, rs.Entries, rs.Numbers)
			}
		}
		same("after two commits")
		if got := names(t, taking, f.org.ID, "+31205550000"); !slices.Equal(got, []string{"Carla Jansen/Phone/"}) {
			t.Errorf("the older version of Carla won: %q", got)
		}

		// Another instance writes: this process's next commit starts from
		// a version the index does not hold, so it is left to the refresh.
		apply(there, []roger.Entry{at(entry("d", "Dirk Bakker", "+31205551111"), 30)})
		apply(here, []roger.Entry{at(entry("e", "Eva Smit", "+31205552222"), 31)})
		if took != 2 || left != 1 {
			t.Errorf("after another instance's write: took %d, left %d; want the commit left", took, left)
		}
		refresh(t, taking)
		refresh(t, reading)
		same("after another instance's write")
		if got := names(t, taking, f.org.ID, "+31205552222"); !slices.Equal(got, []string{"Eva Smit/Phone/"}) {
			t.Errorf("the commit left to the refresh is missing: %q", got)
		}
		if st := taking.Stats(); st.Applied != 2 {
			t.Errorf("Stats().Applied = %d; want 2", st.Applied)
		}
	})
}
