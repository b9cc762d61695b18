package lookup_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roger365io/roger"
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
		if _, err := s.ApplyPage(ctx, sqlstore.Page{ReplicatorID: r.ID, OrgID: org.ID, Upserts: page, Cursor: int64(start + len(page))}); err != nil {
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
// unknown one, which also tries the four company main-number candidates.
// The target is under 20 µs a lookup. It runs on SQLite and, with
// ROGER_TEST_POSTGRES, on PostgreSQL; seeding takes a while.
func BenchmarkLookup(b *testing.B) {
	dsns := map[string]func() string{"sqlite": func() string { return filepath.Join(b.TempDir(), "bench.db") }}
	if pg := os.Getenv("ROGER_TEST_POSTGRES"); pg != "" {
		dsns["postgres"] = func() string { return sqltest.FreshPostgres(b, pg) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		dsn, ok := dsns[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			s := openStore(b, dsn())
			org := seedBench(b, s)
			svc := lookup.New(s, lookup.Options{})
			ctx := context.Background()
			inputs := make([]string, 4096)
			for i := range inputs {
				inputs[i] = "0" + benchLandline((i * 131) % benchEntries)[3:]
			}
			b.Run("known", func(b *testing.B) {
				i := 0
				for b.Loop() {
					res, err := svc.Lookup(ctx, org.ID, inputs[i%len(inputs)], "")
					if err != nil || len(res.Matches) == 0 {
						b.Fatalf("Lookup(%s) = %v, %v", inputs[i%len(inputs)], res, err)
					}
					i++
				}
			})
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
			b.Run("unknown", func(b *testing.B) {
				i := 0
				for b.Loop() {
					res, err := svc.Lookup(ctx, org.ID, fmt.Sprintf("+31102%06d", i%1_000_000), "")
					if err != nil || len(res.Matches) != 0 {
						b.Fatalf("unknown lookup = %v, %v", res, err)
					}
					i++
				}
			})
		})
	}
}
