package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// refuseSourceID returns an id the database itself refuses to store, as
// the database refuses it: on PostgreSQL an id too long for the unique
// index's row (program_limit_exceeded); SQLite has no such limit, so a
// trigger refuses the row as a constraint would.
func refuseSourceID(t *testing.T, f *fixture) string {
	t.Helper()
	if f.store.dialect == Postgres {
		b := make([]byte, 9000)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b) // does not compress below the index's 2704 bytes
	}
	if _, err := f.store.write.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.source_id = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	return "refused"
}

// One record the database refuses is set aside and listed; the rest of
// its page, the pages committed with it and the cursor are stored as if
// it were not there, and it leaves the list once it is stored, deleted,
// or missing from a full pass.
func TestRefusedRecordIsSetAside(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		refused := refuseSourceID(t, f)
		bad := entry(refused, 20, ok("Phone", "+31201234599"))
		bad.DisplayName = "Refused Record"
		res, err := f.store.ApplyPages(ctx, []roger.Page{
			{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 30, Upserts: []roger.Entry{entry("1", 10, ok("Phone", "+31201234567")), bad, entry("2", 30)}},
			{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 50, ResumeURL: "next", Upserts: []roger.Entry{entry("3", 40), entry("4", 50, ok("Mobile", "+31612345678"))},
				Deletes: []roger.Deletion{{SourceID: "2", Timestamp: 45}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := (roger.PageResult{Created: 4, Deleted: 1, SetAside: 1}); res != want {
			t.Fatalf("result %+v; want %+v", res, want)
		}
		if got := directoryOf(t, f.store, f.org.ID, r.ID); len(got) != 3 || got["1"] != "ts 10, numbers +31201234567" || got["4"] != "ts 50, numbers +31612345678" || got["3"] == "" {
			t.Fatalf("directory %v; want 1, 3 and 4", got)
		}
		if rep, _ := f.store.FindReplicatorByID(ctx, r.ID); rep.Cursor != 50 || rep.ResumeURL != "next" {
			t.Fatalf("the replicator is at %d %q; want the last page's position", rep.Cursor, rep.ResumeURL)
		}
		if n := numbersIndexed(t, f.store, "+31201234599"); n != 0 {
			t.Fatalf("the refused record's number is indexed %d times", n)
		}
		aside, err := f.store.ListSetAside(ctx, r.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(aside) != 1 || !strings.HasPrefix(refused, strings.TrimSuffix(aside[0].SourceID, "…")) || aside[0].DisplayName != "Refused Record" ||
			aside[0].Kind != roger.KindContact || aside[0].Reason == "" || aside[0].At.IsZero() {
			t.Fatalf("set aside: %+v", aside)
		}

		// Seen again and still refused: listed once.
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 60, Upserts: []roger.Entry{bad, entry("5", 60)}}); err != nil {
			t.Fatal(err)
		}
		if aside, _ := f.store.ListSetAside(ctx, r.ID, 10); len(aside) != 1 {
			t.Fatalf("set aside after it came again: %+v", aside)
		}
		// A full pass that no longer finds it forgets it.
		pass, err := f.store.StartFullSync(ctx, r.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 70, FullSync: true,
			Upserts: []roger.Entry{entry("1", 10), entry("3", 40), entry("4", 50), entry("5", 60)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.FinishFullSync(ctx, r.ID, pass); err != nil {
			t.Fatal(err)
		}
		if aside, _ := f.store.ListSetAside(ctx, r.ID, 10); len(aside) != 0 {
			t.Fatalf("set aside after a full pass without it: %+v", aside)
		}
	})
}

// A record set aside leaves the list when a later version of it is
// stored, and when Exact deletes it.
func TestSetAsideRecordLeavesTheListWhenStoredOrDeleted(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if _, err := f.store.write.Exec(f.store.q(`INSERT INTO set_aside_records (replicator_id, source_id, kind, display_name, reason, pass, at) VALUES (?, ?, 'contact', '', 'r', 0, 1), (?, ?, 'contact', '', 'r', 0, 2)`),
			r.ID, "fixed", r.ID, "gone"); err != nil {
			t.Fatal(err)
		}
		res, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Upserts: []roger.Entry{entry("fixed", 10)}, Deletes: []roger.Deletion{{SourceID: "gone", Timestamp: 11}}})
		if err != nil || res.SetAside != 0 {
			t.Fatalf("%+v %v", res, err)
		}
		if aside, _ := f.store.ListSetAside(ctx, r.ID, 10); len(aside) != 0 {
			t.Fatalf("still set aside: %+v", aside)
		}
		// The list goes with its replicator.
		if _, err := f.store.write.Exec(f.store.q(`INSERT INTO set_aside_records (replicator_id, source_id, kind, display_name, reason, pass, at) VALUES (?, 'x', 'contact', '', 'r', 0, 1)`), r.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.DeleteReplicator(ctx, f.org.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := f.store.read.QueryRow(`SELECT COUNT(*) FROM set_aside_records`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d records set aside of a deleted replicator (%v)", n, err)
		}
	})
}

// Text the database cannot hold reaching the store (the sync cleans it
// before; this is the store's own guard): PostgreSQL sets the record aside
// and stores the rest, SQLite stores it.
func TestUnstorableTextReachingTheStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		nul := entry("nul", 10)
		nul.DisplayName = "Nul\x00Byte"
		res, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 20, Upserts: []roger.Entry{nul, entry("after", 20)},
			Deletes: []roger.Deletion{{SourceID: "del\x00eted", Timestamp: 20}}})
		if err != nil {
			t.Fatal(err)
		}
		got := directoryOf(t, f.store, f.org.ID, r.ID)
		if got["after"] == "" {
			t.Fatalf("the record after it is missing: %v", got)
		}
		aside, err := f.store.ListSetAside(ctx, r.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if f.store.dialect == SQLite {
			if res.SetAside != 0 || got["nul"] == "" {
				t.Fatalf("SQLite: %+v %v", res, got)
			}
			return
		}
		if res.SetAside != 2 || len(aside) != 2 || got["nul"] != "" {
			t.Fatalf("PostgreSQL: %+v, set aside %+v, directory %v; want the record and the deletion set aside", res, aside, got)
		}
		for _, a := range aside {
			if strings.ContainsRune(a.SourceID, 0) || strings.ContainsRune(a.DisplayName, 0) {
				t.Errorf("listed with a NUL byte: %+v", a)
			}
		}
	})
}

func numbersIndexed(t *testing.T, s *Store, e164 string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRow(s.q(`SELECT COUNT(*) FROM entry_numbers WHERE e164 = ?`), e164).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
