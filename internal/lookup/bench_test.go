package lookup_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// benchEntries × 2 numbers each is the 1,000,000-number directory of the
// lookup target.
const benchEntries = 500_000

// seedBench fills org 1 of s with benchEntries contacts, each with an
// Amsterdam landline +3120xxxxxxx and a mobile +3161xxxxxxx, and returns
// the organisation.
func seedBench(b *testing.B, s *sqlstore.Store) *roger.Organization {
	b.Helper()
	d := newDirectory(b, s)
	org := d.org("bench", "NL")
	d.replicator("bench", "contacts", roger.Contacts, "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456")
	r := d.reps["contacts"]
	page := make([]roger.Entry, 1000)
	ctx := context.Background()
	for start := 0; start < benchEntries; start += len(page) {
		for i := range page {
			n := start + i
			page[i] = roger.Entry{Kind: roger.KindContact, SourceID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", n), CompanyID: "c",
				DisplayName: "Anna van Dijk", CompanyName: "Voorbeeld B.V.", SourceTimestamp: int64(n + 1), SourceModified: time.Unix(int64(n), 0),
				Numbers: []roger.Number{
					{Field: "Phone", Raw: "020", E164: benchLandline(n), Status: roger.NumberOK},
					{Field: "Mobile", Raw: "06", E164: benchMobile(n), Status: roger.NumberOK},
				}}
		}
		if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: org.ID, Upserts: page, Cursor: int64(start + len(page))}); err != nil {
			b.Fatal(err)
		}
	}
	return org
}

// Numbers are spread over the range so the index is not read in order.
func benchLandline(n int) string { return fmt.Sprintf("+3120%07d", 1_000_000+(n*7919)%9_000_000) }
func benchMobile(n int) string   { return fmt.Sprintf("+3161%07d", (n*104_729)%10_000_000) }

// BenchmarkLookup measures Service.Lookup in process (normalising the
// input, one indexed query, ranking and rendering the CRM link) on a
// 1,000,000-number directory: a known number in national notation, and an
// unknown one, which also tries the four company main-number candidates;
// each from the database and from the in-memory index (memory-…).
// The target is under 20 µs a lookup. It runs on SQLite and, with
// ROGER_TEST_POSTGRES, on PostgreSQL; seeding takes a while.
func BenchmarkLookup(b *testing.B) {
	for _, db := range sqltest.BenchDatabases(b) {
		dsn := db.DSN
		b.Run(db.Name, func(b *testing.B) {
			s := openStore(b, dsn())
			org := seedBench(b, s)
			svc := lookup.New(s, lookup.Options{})
			ctx := context.Background()
			inputs := make([]string, 4096)
			for i := range inputs {
				inputs[i] = "0" + benchLandline((i * 131) % benchEntries)[3:]
			}
			known := func(svc *lookup.Service) func(b *testing.B) {
				return func(b *testing.B) {
					i := 0
					for b.Loop() {
						res, err := svc.Lookup(ctx, org.ID, inputs[i%len(inputs)], "")
						if err != nil || len(res.Matches) == 0 {
							b.Fatalf("Lookup(%s) = %v, %v", inputs[i%len(inputs)], res, err)
						}
						i++
					}
				}
			}
			unknown := func(svc *lookup.Service) func(b *testing.B) {
				return func(b *testing.B) {
					i := 0
					for b.Loop() {
						res, err := svc.Lookup(ctx, org.ID, fmt.Sprintf("+31102%06d", i%1_000_000), "")
						if err != nil || len(res.Matches) != 0 {
							b.Fatalf("unknown lookup = %v, %v", res, err)
						}
						i++
					}
				}
			}
			b.Run("known", known(svc))
			b.Run("unknown", unknown(svc))

			// The same lookups from the in-memory index (ROGER_LOOKUP_INDEX
			// =memory), with what loading it costs in time and heap.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			idx := dirindex.New(s, dirindex.Options{})
			start := time.Now()
			if err := idx.Refresh(ctx); err != nil {
				b.Fatal(err)
			}
			loaded := time.Since(start)
			runtime.GC()
			runtime.ReadMemStats(&after)
			st := idx.Stats()
			b.Logf("index of %d entries, %d numbers: loaded in %v, %.1f MB of heap (%.0f bytes a number)", st.Entries, st.Numbers,
				loaded.Round(time.Millisecond), float64(after.HeapAlloc-before.HeapAlloc)/1e6, float64(after.HeapAlloc-before.HeapAlloc)/float64(st.Numbers))
			mem := lookup.New(s, lookup.Options{Numbers: idx})
			b.Run("memory-known", known(mem))
			b.Run("memory-unknown", unknown(mem))
			runtime.KeepAlive(idx)
			// The directory page's search: a name that every entry has
			// fills a page at once; a text nobody has reads every entry.
			b.Run("search-page", func(b *testing.B) {
				for b.Loop() {
					if p, err := svc.Search(ctx, org.ID, "van dijk", 0, 50); err != nil || len(p.Entries) != 50 {
						b.Fatalf("Search = %v, %v", p, err)
					}
				}
			})
			b.Run("search-nothing", func(b *testing.B) {
				for b.Loop() {
					if p, err := svc.Search(ctx, org.ID, "nobody has this", 0, 50); err != nil || len(p.Entries) != 0 {
						b.Fatalf("Search = %v, %v", p, err)
					}
				}
			})
		})
	}
}
