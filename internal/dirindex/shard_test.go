package dirindex_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    dirindex.Shard
		wantErr bool
	}{
		{"", dirindex.Shard{}, false},
		{"2/4", dirindex.Shard{K: 2, N: 4}, false},
		{" 1 / 1 ", dirindex.Shard{K: 1, N: 1}, false},
		{"0/4", dirindex.Shard{}, true},
		{"5/4", dirindex.Shard{}, true},
		{"2", dirindex.Shard{}, true},
		{"a/b", dirindex.Shard{}, true},
		{"1/0", dirindex.Shard{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := dirindex.ParseShard(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseShard(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
	if s := (dirindex.Shard{}); !s.All() || s.String() != "all" || !s.Holds(42) {
		t.Error("the zero Shard must hold every organisation")
	}
}

// TestShareOfSpreads: the shares of consecutive ids are even, each id in
// exactly one share, and the same every time.
func TestShareOfSpreads(t *testing.T) {
	const n, ids = 4, 10_000
	counts := make([]int, n+1)
	for id := int64(1); id <= ids; id++ {
		k := dirindex.ShareOf(id, n)
		if k < 1 || k > n || dirindex.ShareOf(id, n) != k {
			t.Fatalf("ShareOf(%d, %d) = %d", id, n, k)
		}
		held := 0
		for s := 1; s <= n; s++ {
			if (dirindex.Shard{K: s, N: n}).Holds(id) {
				held++
			}
		}
		if held != 1 {
			t.Fatalf("organisation %d is held by %d shares of %d", id, held, n)
		}
		counts[k]++
	}
	for k := 1; k <= n; k++ {
		if counts[k] < ids/n*9/10 || counts[k] > ids/n*11/10 {
			t.Errorf("share %d/%d holds %d of %d organisations: %v", k, n, counts[k], ids, counts[1:])
		}
	}
}

// TestShardedIndexes: three indexes, one a share, each hold only their
// share's organisations, and every one of them answers every
// organisation's lookups as the database does, before and after a change.
func TestShardedIndexes(t *testing.T) {
	eachDatabase(t, func(t *testing.T, here, there *sqlstore.Store) {
		ctx := context.Background()
		const orgs = 12
		var fixtures []*fixture
		for i := range orgs {
			f := newFixture(t, there, fmt.Sprintf("org%d", i))
			f.page(f.rep, []roger.Entry{
				entry("a", fmt.Sprintf("Anna %d", i), fmt.Sprintf("+312012%05d", i), "+31612345678"),
				entry("b", fmt.Sprintf("Bram %d", i), fmt.Sprintf("+312013%05d", i)),
			})
			fixtures = append(fixtures, f)
		}
		var indexes []*dirindex.Index
		for k := 1; k <= 3; k++ {
			x := dirindex.New(here, dirindex.Options{Shard: dirindex.Shard{K: k, N: 3}})
			if err := x.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			indexes = append(indexes, x)
		}
		check := func(when string, perOrg int) {
			t.Helper()
			total := 0
			for k, x := range indexes {
				held := 0
				for _, f := range fixtures {
					if x.Shard().Holds(f.org.ID) {
						held++
					}
				}
				if got := x.Stats().Entries; got != perOrg*held {
					t.Errorf("%s: share %v holds %d entries, want %d (%d organisations)", when, x.Shard(), got, perOrg*held, held)
				}
				total += x.Stats().Entries
				for i, f := range fixtures {
					for _, number := range []string{fmt.Sprintf("+312012%05d", i), fmt.Sprintf("+312013%05d", i), "+31612345678", "+31209999999"} {
						want := names(t, here, f.org.ID, number)
						if got := names(t, x, f.org.ID, number); !slices.Equal(got, want) {
							t.Errorf("%s: index %d of 3, organisation %d, %s: %v, the database says %v", when, k+1, i, number, got, want)
						}
					}
				}
			}
			if total != perOrg*orgs {
				t.Errorf("%s: the three shares hold %d entries together, want %d", when, total, perOrg*orgs)
			}
		}
		check("loaded", 2)
		for i, f := range fixtures {
			f.page(f.rep, []roger.Entry{entry("b", fmt.Sprintf("Bea %d", i), fmt.Sprintf("+312013%05d", i))}, "a")
		}
		for _, x := range indexes {
			if err := x.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}
		check("changed", 1)
	})
}

// BenchmarkShardMemory reports the heap the index takes per million
// numbers holding every organisation, and holding one share of four.
func BenchmarkShardMemory(b *testing.B) {
	dsn := filepath.Join(b.TempDir(), "roger.db")
	here, _ := storetest.Open(b, dsn, clock.System{})
	there, _ := storetest.Open(b, dsn, clock.System{})
	const orgs, perOrg = 40, 5_000 // 200,000 entries, 400,000 numbers
	for i := range orgs {
		f := newFixture(b, there, fmt.Sprintf("org%d", i))
		page := make([]roger.Entry, 0, 1000)
		for j := range perOrg {
			page = append(page, entry(fmt.Sprintf("%d", j), "Anna van Dijk", fmt.Sprintf("+3120%07d", j*7919%9_000_000+1_000_000), fmt.Sprintf("+3161%07d", j*104_729%10_000_000)))
			if len(page) == cap(page) {
				f.page(f.rep, page)
				page = page[:0]
			}
		}
	}
	for _, shard := range []dirindex.Shard{{}, {K: 1, N: 4}} {
		b.Run("shard="+shard.String(), func(b *testing.B) {
			var numbers int
			var heap float64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				x := dirindex.New(here, dirindex.Options{Shard: shard})
				if err := x.Refresh(context.Background()); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				numbers = x.Stats().Numbers
				heap = float64(after.HeapAlloc) - float64(before.HeapAlloc)
				runtime.KeepAlive(x)
			}
			b.ReportMetric(float64(numbers), "numbers")
			b.ReportMetric(heap/1e6, "MB")
			if numbers > 0 {
				b.ReportMetric(heap/1e6/float64(numbers)*1e6, "MB/million-numbers")
			}
		})
	}
}
