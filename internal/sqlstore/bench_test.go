package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// BenchmarkApplyPage measures the store alone: pages of 1000 parsed
// entries with two numbers each and ascending keys, upserted with their
// cursor one page a commit, on SQLite and (with ROGER_TEST_POSTGRES)
// PostgreSQL. The ingest target is about BenchmarkIngest
// (internal/replicate), which writes as a sync does.
func BenchmarkApplyPage(b *testing.B) {
	for _, db := range sqltest.BenchDatabases(b) {
		dsn := db.DSN
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			s, org, r := benchReplicator(b, dsn())
			page := make([]roger.Entry, 1000)
			ts := int64(0)
			records := 0
			start := time.Now()
			for b.Loop() {
				for i := range page {
					ts++
					page[i] = roger.Entry{Kind: roger.KindContact, SourceID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", ts), CompanyID: "c",
						DisplayName: "Anna van Dijk", CompanyName: "Voorbeeld B.V.", Email: "anna@example.nl", JobTitle: "Inkoper", SourceTimestamp: ts,
						Numbers: []roger.Number{
							{Field: "Phone", Raw: "020 123 4567", E164: fmt.Sprintf("+3120%07d", ts%10000000), Status: roger.NumberOK},
							{Field: "Mobile", Raw: "06-12345678", E164: fmt.Sprintf("+316%08d", ts%100000000), Status: roger.NumberOK},
						}}
				}
				if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: org.ID, Upserts: page, Cursor: ts}); err != nil {
					b.Fatal(err)
				}
				records += len(page)
			}
			b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// benchReplicator opens the store at dsn for a benchmark, closed when it
// ends, with an organisation and an active contacts replicator in it.
func benchReplicator(b *testing.B, dsn string) (*Store, *roger.Organization, *roger.Replicator) {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{Sealer: testKeyring(b), Clock: clock.System{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	org := &roger.Organization{Name: "bench"}
	if err := s.CreateOrganization(ctx, org); err != nil {
		b.Fatal(err)
	}
	r := &roger.Replicator{OrgID: org.ID, Name: "bench", Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", ClientID: "bench", Interval: time.Minute, State: roger.StateActive}
	if err := s.CreateReplicator(ctx, r); err != nil {
		b.Fatal(err)
	}
	return s, org, r
}
