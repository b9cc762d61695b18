package sqlstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// BenchmarkQualityReport measures the data-quality report's queries on a
// replicator of 100,000 contacts with two numbers each, as a Dutch CRM
// without countries has them: nearly every record's country guessed, 1 in
// 20 with a number too short, 1 in 100 with letters or an unlisted
// number, 1 in 50 sharing its phone with the one before. The page
// queries read the first page, and the page after the 1,000th record of
// the group, of the groups dense (country guessed) and sparse (letters).
// The counts are measured as computed and as kept until the directory
// changes.
func BenchmarkQualityReport(b *testing.B) {
	const n = 100_000
	for _, db := range sqltest.BenchDatabases(b) {
		dsn := db.DSN
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			s, org, r := benchReplicator(b, dsn())
			for start := 0; start < n; start += 1000 {
				page := make([]roger.Entry, 0, 1000)
				for i := start; i < start+1000; i++ {
					phone := roger.Number{Field: "Phone", Raw: "020 123 4567", E164: fmt.Sprintf("+3120%07d", i-i%50/49), Status: roger.NumberOK, National: true}
					mobile := roger.Number{Field: "Mobile", Raw: "06-12345678", E164: fmt.Sprintf("+316%08d", i), Status: roger.NumberOK, National: true}
					switch {
					case i%100 == 7:
						mobile = roger.Number{Field: "Mobile", Raw: "n.v.t.", Status: roger.NumberInvalid, Reason: "not a phone number"}
					case i%100 == 8:
						mobile.Unlisted = true
					case i%20 == 3:
						mobile = roger.Number{Field: "Mobile", Raw: "06-1234", Status: roger.NumberInvalid, Reason: "too short"}
					}
					page = append(page, roger.Entry{Kind: roger.KindContact, SourceID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", i), CompanyID: "c",
						DisplayName: "Anna van Dijk", CompanyName: "Voorbeeld B.V.", SourceTimestamp: int64(i + 1), CountryFrom: roger.CountryFromReplicator,
						Numbers: []roger.Number{phone, mobile}})
				}
				if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: org.ID, Upserts: page}); err != nil {
					b.Fatal(err)
				}
			}
			if s.dialect == Postgres {
				// As autovacuum would after a load this size.
				if _, err := s.write.ExecContext(ctx, `ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			deep := func(p roger.QualityProblem) int64 {
				page, err := s.FindQualityEntries(ctx, roger.QualityFilter{OrgID: org.ID, ReplicatorID: r.ID, Problem: p, Limit: 1000})
				if err != nil || len(page) != 1000 {
					b.Fatalf("%s: %d entries, %v", p, len(page), err)
				}
				return page[999].ID
			}
			deepGuessed, deepLetters := deep(roger.ProblemCountryGuessed), deep(roger.ProblemNotANumber)
			if _, err := s.CountQuality(ctx, org.ID, r.ID); err != nil { // kept from here on
				b.Fatal(err)
			}
			for _, q := range []struct {
				name string
				run  func() error
			}{
				{"counts-computed", func() error { _, err := s.countQuality(ctx, org.ID, r.ID); return err }},
				{"counts-kept", func() error { _, err := s.CountQuality(ctx, org.ID, r.ID); return err }},
				{"guessed-first", func() error {
					_, err := s.FindQualityEntries(ctx, roger.QualityFilter{OrgID: org.ID, ReplicatorID: r.ID, Problem: roger.ProblemCountryGuessed, Limit: 51})
					return err
				}},
				{"guessed-deep", func() error {
					_, err := s.FindQualityEntries(ctx, roger.QualityFilter{OrgID: org.ID, ReplicatorID: r.ID, Problem: roger.ProblemCountryGuessed, After: deepGuessed, Limit: 51})
					return err
				}},
				{"letters-first", func() error {
					_, err := s.FindQualityEntries(ctx, roger.QualityFilter{OrgID: org.ID, ReplicatorID: r.ID, Problem: roger.ProblemNotANumber, Limit: 51})
					return err
				}},
				{"letters-deep-back", func() error {
					_, err := s.FindQualityEntries(ctx, roger.QualityFilter{OrgID: org.ID, ReplicatorID: r.ID, Problem: roger.ProblemNotANumber, Before: deepLetters, Limit: 51})
					return err
				}},
				{"shared-first", func() error {
					_, err := s.FindSharedNumbers(ctx, roger.SharedFilter{OrgID: org.ID, ReplicatorID: r.ID, Limit: 51})
					return err
				}},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						if err := q.run(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
