package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// directoryOf reads a replicator's entries as source id → Timestamp and
// indexed numbers, which is what two ways of writing the same pages must
// agree on.
func directoryOf(t *testing.T, s *Store, orgID, replicatorID int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.ForEachEntry(context.Background(), roger.EntryFilter{OrgID: orgID, ReplicatorID: replicatorID}, func(e *roger.Entry) error {
		rows, err := s.read.Query(s.q(`SELECT e164 FROM entry_numbers WHERE entry_id = ? ORDER BY e164`), e.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		indexed := ""
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			indexed += " " + n
		}
		out[e.SourceID] = fmt.Sprintf("ts %d, numbers%s", e.SourceTimestamp, indexed)
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// orphans counts numbers without their entry and entries without their
// replicator: nothing ties them by foreign key any more (migration 005),
// so the store must remove them itself.
func orphans(t *testing.T, s *Store) (numbers, entries int) {
	t.Helper()
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM entry_numbers n WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = n.entry_id)`).Scan(&numbers); err != nil {
		t.Fatal(err)
	}
	if err := s.read.QueryRow(`SELECT COUNT(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM replicators r WHERE r.id = e.replicator_id)`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	return numbers, entries
}

func TestApplyPagesEqualsApplyPageOneByOne(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		single, grouped := f.replicator("single"), f.replicator("grouped")
		// A record created and then changed in a later page, one deleted
		// after it was written, a stale update and an unknown deletion:
		// all within the one transaction when grouped.
		pages := func(r *roger.Replicator) []roger.Page {
			return []roger.Page{
				{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 30, ResumeURL: "next-1", FullSync: true,
					Upserts: []roger.Entry{entry("1", 10, ok("Phone", "+31201234567")), entry("2", 20, ok("Phone", "+31201234568")), entry("3", 30)}},
				{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 60, ResumeURL: "next-2", FullSync: true,
					Upserts: []roger.Entry{entry("1", 50, ok("Mobile", "+31612345678")), entry("4", 60, ok("Phone", "+31201234569"))}},
				{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 70, ResumeURL: "next-3", FullSync: true,
					Upserts: []roger.Entry{entry("2", 15, ok("Phone", "+3230000000")), entry("5", 70, ok("Phone", "+31201234567"))},
					Deletes: []roger.Deletion{{SourceID: "4", Timestamp: 65}, {SourceID: "zz", Timestamp: 70}}},
			}
		}
		var sum roger.PageResult
		for _, p := range pages(single) {
			res, err := f.store.ApplyPage(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			sum.Created += res.Created
			sum.Updated += res.Updated
			sum.Deleted += res.Deleted
			sum.Stale += res.Stale
		}
		res, err := f.store.ApplyPages(ctx, pages(grouped))
		if err != nil {
			t.Fatal(err)
		}
		if res != sum || sum != (roger.PageResult{Created: 5, Updated: 1, Deleted: 1, Stale: 1}) {
			t.Fatalf("grouped %+v, one by one %+v; want 5 created, 1 updated, 1 deleted, 1 stale", res, sum)
		}
		want, got := directoryOf(t, f.store, f.org.ID, single.ID), directoryOf(t, f.store, f.org.ID, grouped.ID)
		if !maps.Equal(want, got) || len(got) != 4 || got["1"] != "ts 50, numbers +31612345678" || got["2"] != "ts 20, numbers +31201234568" {
			t.Fatalf("grouped directory %v, one by one %v", got, want)
		}
		back, _ := f.store.FindReplicatorByID(ctx, grouped.ID)
		if back.Cursor != 70 || back.ResumeURL != "next-3" || !back.FullSync {
			t.Fatalf("grouped position: cursor %d, resume %q, full %v; want the last page's", back.Cursor, back.ResumeURL, back.FullSync)
		}

		// Pages of two replicators are refused and change nothing.
		mixed := []roger.Page{{ReplicatorID: single.ID, OrgID: f.org.ID, Cursor: 99, Upserts: []roger.Entry{entry("9", 99)}},
			{ReplicatorID: grouped.ID, OrgID: f.org.ID, Cursor: 99, Upserts: []roger.Entry{entry("9", 99)}}}
		if _, err := f.store.ApplyPages(ctx, mixed); err == nil {
			t.Fatal("pages of two replicators were applied together")
		}
		if after := directoryOf(t, f.store, f.org.ID, single.ID); !maps.Equal(after, want) {
			t.Fatalf("a refused group changed the directory: %v", after)
		}
	})
}

func TestRemovingEntriesRemovesTheirNumbers(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r, other := f.replicator("a"), f.replicator("b")
		page := func(r *roger.Replicator, ids ...string) roger.Page {
			p := roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID}
			for i, id := range ids {
				p.Upserts = append(p.Upserts, entry(id, int64(10+i), ok("Phone", fmt.Sprintf("+3120123%04d", i)), ok("Mobile", fmt.Sprintf("+316123%05d", i))))
			}
			return p
		}
		if _, err := f.store.ApplyPage(ctx, page(r, "1", "2", "3", "4")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.ApplyPage(ctx, page(other, "1", "2")); err != nil {
			t.Fatal(err)
		}
		check := func(step string, wantNumbers int) {
			t.Helper()
			n, e := orphans(t, f.store)
			var total int
			_ = f.store.read.QueryRow(`SELECT COUNT(*) FROM entry_numbers`).Scan(&total)
			if n != 0 || e != 0 || total != wantNumbers {
				t.Fatalf("after %s: %d orphaned numbers, %d orphaned entries, %d numbers (want %d)", step, n, e, total, wantNumbers)
			}
		}
		check("loading", 12)
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Deletes: []roger.Deletion{{SourceID: "1", Timestamp: 99}}}); err != nil {
			t.Fatal(err)
		}
		check("a deletion from Exact", 10)
		pass, err := f.store.StartFullSync(ctx, r.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		p := page(r, "2")
		p.FullSync = true
		if _, err := f.store.ApplyPage(ctx, p); err != nil {
			t.Fatal(err)
		}
		if n, err := f.store.FinishFullSync(ctx, r.ID, pass); err != nil || n != 2 {
			t.Fatalf("full pass removed %d, %v; want 2", n, err)
		}
		check("a full pass", 6)
		if err := f.store.DeleteReplicator(ctx, f.org.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		check("deleting the replicator", 4)
		if got := directoryOf(t, f.store, f.org.ID, other.ID); len(got) != 2 {
			t.Fatalf("the other replicator's directory: %v", got)
		}
	})
}

// A database written before migration 005 keeps its entries, numbers and
// id sequence through the rebuild, and an id is never handed out twice,
// not even the id of an entry deleted before the upgrade.
func TestMigration005KeepsTheDirectory(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, keys := b.dsn(t), testKeyring(t)
			old, err := Open(ctx, dsn, Options{Sealer: keys, migrateThrough: 4, OnUpgrade: func(m string) { t.Errorf("a new database reported %s as an upgrade", m) }})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, store: old, org: &roger.Organization{Name: "Voorbeeld B.V."}}
			if err := old.CreateOrganization(ctx, f.org); err != nil {
				t.Fatal(err)
			}
			r := f.replicator("a")
			// Written as release 4 wrote them: the store's own writes
			// need the newest schema.
			for _, e := range []roger.Entry{entry("1", 10, ok("Phone", "+31201234567")), entry("2", 20, ok("Phone", "+31201234568")), entry("3", 30, ok("Mobile", "+31612345678"))} {
				writeOldEntry(t, old, r, e)
			}
			var highest int64
			_ = old.read.QueryRow(`SELECT MAX(id) FROM entries`).Scan(&highest)
			if _, err := old.write.Exec(old.q(`DELETE FROM entries WHERE replicator_id = ? AND source_id = ?`), r.ID, "3"); err != nil {
				t.Fatal(err)
			}
			if _, err := old.write.Exec(old.q(`DELETE FROM entry_numbers WHERE entry_id = ?`), highest); err != nil {
				t.Fatal(err)
			}
			before := map[string]string{"1": "ts 10, numbers +31201234567", "2": "ts 20, numbers +31201234568"}
			old.Close()

			var upgrades []string
			s, err := Open(ctx, dsn, Options{Sealer: keys, OnUpgrade: func(m string) { upgrades = append(upgrades, m) }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if want := migrationsAfter(t, s, 4); !slices.Equal(upgrades, want) {
				t.Errorf("upgrades reported: %v; want the migrations applied, %v", upgrades, want)
			}
			if after := directoryOf(t, s, f.org.ID, r.ID); !maps.Equal(after, before) || len(after) != 2 {
				t.Fatalf("after the upgrade %v; before %v", after, before)
			}
			if _, err := s.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Upserts: []roger.Entry{entry("4", 50)}}); err != nil {
				t.Fatal(err)
			}
			var id int64
			_ = s.read.QueryRow(s.q(`SELECT id FROM entries WHERE source_id = ?`), "4").Scan(&id)
			if id <= highest {
				t.Fatalf("a new entry got id %d; ids up to %d were handed out before the upgrade", id, highest)
			}
			if err := s.DeleteReplicator(ctx, f.org.ID, r.ID); err != nil {
				t.Fatal(err)
			}
			if n, e := orphans(t, s); n != 0 || e != 0 {
				t.Fatalf("deleting the upgraded replicator left %d numbers and %d entries", n, e)
			}
		})
	}
}

// writeOldEntry stores e and its numbers with plain SQL, in the columns
// every release since the first has.
func writeOldEntry(t *testing.T, s *Store, r *roger.Replicator, e roger.Entry) {
	t.Helper()
	numbers, err := json.Marshal(e.Numbers)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = s.write.QueryRow(s.q(`INSERT INTO entries (org_id, replicator_id, kind, source_id, company_id, display_name, company_name, email,
		job_title, source_modified, source_timestamp, synced_at, pass, numbers, unparseable) VALUES (?, ?, ?, ?, ?, ?, '', '', '', 0, ?, 0, 0, ?, 0) RETURNING id`),
		r.OrgID, r.ID, string(e.Kind), e.SourceID, e.CompanyID, e.DisplayName, e.SourceTimestamp, string(numbers)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.Numbers {
		if _, err := s.write.Exec(s.q(`INSERT INTO entry_numbers (entry_id, org_id, e164, extension, field) VALUES (?, ?, ?, ?, ?)`),
			id, r.OrgID, n.E164, n.Extension, n.Field); err != nil {
			t.Fatal(err)
		}
	}
}

// migrationsAfter lists the migration files of s's dialect that come
// after version, in order: what an upgrade from that version applies.
func migrationsAfter(t *testing.T, s *Store, version int) []string {
	t.Helper()
	files, err := fs.ReadDir(migrationFS, "migrations/"+string(s.dialect))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(f.Name(), "_", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		if v > version {
			out = append(out, f.Name())
		}
	}
	slices.Sort(out)
	return out
}

func TestARecordTwiceInAPageKeepsTheNewestVersion(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Upserts: []roger.Entry{entry("1", 10, ok("Phone", "+31201234567"))}}); err != nil {
			t.Fatal(err)
		}
		// A known and a new record, each twice, the newer version first
		// for one of them.
		res, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Upserts: []roger.Entry{
			entry("1", 30, ok("Phone", "+31201234568")), entry("2", 20, ok("Phone", "+31201234570")),
			entry("1", 20, ok("Phone", "+31201234569")), entry("2", 25, ok("Phone", "+31201234571"))}})
		if err != nil || res.Created != 1 || res.Updated != 1 {
			t.Fatalf("page: %+v %v; want 1 created and 1 updated", res, err)
		}
		got := directoryOf(t, f.store, f.org.ID, r.ID)
		if got["1"] != "ts 30, numbers +31201234568" || got["2"] != "ts 25, numbers +31201234571" || len(got) != 2 {
			t.Fatalf("directory %v", got)
		}
	})
}

func TestLatestPerSource(t *testing.T) {
	page := []roger.Entry{entry("a", 1), entry("b", 5), entry("a", 3), entry("c", 1), entry("b", 4), entry("a", 3)}
	got := latestPerSource(page)
	var ids []string
	for _, e := range got {
		ids = append(ids, fmt.Sprint(e.SourceID, e.SourceTimestamp))
	}
	if fmt.Sprint(ids) != "[a3 b5 c1]" || page[0].SourceTimestamp != 1 {
		t.Fatalf("latestPerSource = %v (the page itself must stay as it was: %v)", ids, page[0])
	}
	unique := []roger.Entry{entry("a", 1), entry("b", 2)}
	if got := latestPerSource(unique); &got[0] != &unique[0] {
		t.Fatal("a page without repeats was copied")
	}
}

func TestIndexedNumbersOncePerEntry(t *testing.T) {
	bad := roger.Number{Field: "Fax", Raw: "n.v.t.", Status: roger.NumberInvalid}
	batch := []roger.Entry{
		entry("a", 1, ok("Phone", "+31201234567"), bad, ok("BusinessPhone", "+31201234567"), ok("Mobile", "+31612345678")),
		entry("skipped", 1, ok("Phone", "+31201234599")),
		entry("b", 1, ok("Phone", "+31201234567")),
	}
	var got []string
	for id, n := range indexedNumbers(batch, []written{{id: 7, sourceID: "a"}, {id: 9, sourceID: "b"}}) {
		got = append(got, fmt.Sprint(id, " ", n.Field, " ", n.E164))
	}
	want := "[7 Phone +31201234567 7 Mobile +31612345678 9 Phone +31201234567]"
	if fmt.Sprint(got) != want {
		t.Fatalf("indexed %v; want %s", got, want)
	}
}
