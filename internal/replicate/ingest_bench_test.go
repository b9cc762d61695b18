package replicate

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// BenchmarkIngest measures local ingest as a sync does it without the
// network: generated contacts with their phone numbers written the way
// people type them are parsed, normalised and upserted with the cursor
// through the sync's pipeline: parsing overlaps writing, and pages that
// queue up share a commit. records/s is
// the figure the 50,000/s target is about; b.N is the number of pages of
// 1000 (-benchtime 100x for 100,000 records).
func BenchmarkIngest(b *testing.B) {
	benchmarkIngest(b, false)
}

// BenchmarkIngestUpdates measures a full resync: the same b.N pages
// again, every record a newer version of one the directory holds (loaded
// before the clock starts), so every row is an update.
func BenchmarkIngestUpdates(b *testing.B) {
	benchmarkIngest(b, true)
}

func benchmarkIngest(b *testing.B, updates bool) {
	for _, db := range sqltest.BenchDatabases(b) {
		dsn := db.DSN
		b.Run(db.Name, func(b *testing.B) {
			ctx := context.Background()
			store, _ := storetest.Open(b, dsn(), clock.System{})
			org := &roger.Organization{Name: "bench"}
			if err := store.CreateOrganization(ctx, org); err != nil {
				b.Fatal(err)
			}
			r := &roger.Replicator{OrgID: org.ID, Name: "bench", Source: roger.SourceExactOnline, Entity: roger.Contacts,
				ExactURL: "https://start.exactonline.nl", ClientID: "bench", Interval: time.Minute, State: roger.StateActive}
			if err := store.CreateReplicator(ctx, r); err != nil {
				b.Fatal(err)
			}
			// The pages stand for what Exact sends and are made before
			// the clock starts.
			gen := crm.NewGenerator(1, 123456)
			now := time.Now()
			var account *crm.Account
			pages := make([][]exact.Contact, b.N)
			ts := int64(0)
			for p := range pages {
				rows := make([]exact.Contact, 1000)
				for i := range rows {
					if i%4 == 0 {
						account = gen.NewAccount(now)
					}
					c := gen.NewContact(account, now)
					ts++
					rows[i] = exact.Contact{ID: c.ID.String(), Account: c.Account.String(), AccountName: account.Name, FullName: c.FullName(),
						JobTitleDescription: c.JobTitleDescription, Phone: c.Phone, PhoneExtension: c.PhoneExtension, Mobile: c.Mobile,
						BusinessPhone: c.Phone, BusinessPhoneExtension: c.PhoneExtension, BusinessMobile: c.Mobile, BusinessFax: c.BusinessFax,
						Email: c.Email, Country: c.Country, Modified: c.Modified, Timestamp: ts}
				}
				pages[p] = rows
			}
			ingest := func() (int, error) {
				// The pipeline of Syncer.readRecords: pages are parsed
				// here while the ones before are written, and pages that
				// queue up are written together.
				records := 0
				pipe := startPipeline(ctx, defaultPagesPerCommit, func(group []parsedPage) error {
					pages := make([]roger.Page, len(group))
					for i, pg := range group {
						pages[i] = roger.Page{ReplicatorID: r.ID, OrgID: org.ID, Upserts: pg.entries, Cursor: pg.maxTS}
						records += len(pg.entries)
					}
					_, err := store.ApplyPages(ctx, pages)
					return err
				})
				for _, rows := range pages {
					entries, maxTS := contactEntries(rows, nil, "NL")
					if err := pipe.add(parsedPage{entries: entries, maxTS: maxTS}); err != nil {
						break
					}
				}
				return records, pipe.finish()
			}
			if updates {
				if _, err := ingest(); err != nil {
					b.Fatal(err)
				}
				for _, rows := range pages {
					for i := range rows {
						ts++
						rows[i].Timestamp = ts
						rows[i].Mobile, rows[i].Phone = rows[i].Phone, rows[i].Mobile
					}
				}
			}
			b.ResetTimer()
			start := time.Now()
			records, err := ingest()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
		})
	}
}
