package replicate

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// badRecordDatabases are the databases the bad-record sync runs on.
func badRecordDatabases(t *testing.T) map[string]func(t *testing.T) (dsn, driver string) {
	dbs := map[string]func(t *testing.T) (string, string){
		"sqlite": func(t *testing.T) (string, string) { return filepath.Join(t.TempDir(), "roger.db"), "sqlite" },
	}
	if admin := os.Getenv("ROGER_TEST_POSTGRES"); admin != "" {
		dbs["postgres"] = func(t *testing.T) (string, string) { return sqltest.FreshPostgres(t, admin), "pgx" }
	} else if os.Getenv("CI") != "" {
		t.Fatal("ROGER_TEST_POSTGRES is not set: CI must run the bad-record sync on PostgreSQL")
	}
	return dbs
}

// refuseNames makes the database itself refuse every entry whose name
// begins with "Refused": the way a value too long or a constraint would
// refuse a record, without a hook in the store.
func refuseNames(t *testing.T, driver, dsn string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{`ALTER TABLE entries ADD CONSTRAINT refused_names CHECK (display_name NOT LIKE 'Refused%')`}
	if driver == "sqlite" {
		// SQLite adds no constraint to a table that exists; a trigger
		// that aborts the statement refuses the row as one would.
		stmts = []string{
			`CREATE TRIGGER refused_names_insert BEFORE INSERT ON entries WHEN NEW.display_name LIKE 'Refused%' BEGIN SELECT RAISE(ABORT, 'refused_names'); END`,
			`CREATE TRIGGER refused_names_update BEFORE UPDATE ON entries WHEN NEW.display_name LIKE 'Refused%' BEGIN SELECT RAISE(ABORT, 'refused_names'); END`,
		}
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// A record with a NUL byte and bytes that are not UTF-8 arrives cleaned
// and flagged, a record the database refuses is set aside and listed, and
// neither stops the records after them: the rest of their page, the next
// page, and the next run.
func TestBadRecordsDoNotStopTheSync(t *testing.T) {
	for name, open := range badRecordDatabases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dsn, driver := open(t)
			e := newEnv(t, envOptions{dsn: dsn, sim: exactsim.Options{MinutelyLimit: -1, DailyLimit: -1}})
			refuseNames(t, driver, dsn)
			e.seed(testDivision, 20, 50)
			made := e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 2}).Created
			nulID, refusedID := made[0], made[1]
			if err := e.sim.EditContact(testDivision, nulID, func(c *crm.Contact) {
				c.FirstName, c.LastName, c.Email = "Nul\x00Byte", "Bad\xffBytes", "nul\x00@example.com"
			}); err != nil {
				t.Fatal(err)
			}
			if err := e.sim.EditContact(testDivision, refusedID, func(c *crm.Contact) { c.FirstName, c.MiddleName, c.LastName = "Refused", "", "Record" }); err != nil {
				t.Fatal(err)
			}
			// Over a thousand later records: the rest of the bad records'
			// page and a second page.
			later := e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 1100}).Created
			r := e.addReplicator(replicatorOptions{entity: roger.Contacts})

			run := e.sync(r.ID)
			if run.SetAside != 1 {
				t.Errorf("run counted %d records set aside; want 1", run.SetAside)
			}
			if stored := lastRun(t, e.store, r.ID); stored.SetAside != 1 {
				t.Errorf("the stored run says %d set aside; want 1", stored.SetAside)
			}
			got := map[string]*roger.Entry{}
			for _, en := range entries(t, e.store, e.org.ID, r.ID) {
				got[en.SourceID] = en
			}
			for _, id := range later {
				if got[id] == nil {
					t.Fatalf("record %s, read after the bad ones, is not in the directory", id)
				}
			}
			if want := 50 + 2 + 1100 - 1; len(got) != want {
				t.Errorf("%d entries; want %d (every record but the refused one)", len(got), want)
			}
			if got[refusedID] != nil {
				t.Errorf("the refused record is in the directory: %+v", got[refusedID])
			}
			nul := got[nulID]
			if nul == nil {
				t.Fatal("the record with a NUL byte is not in the directory")
			}
			if nul.DisplayName != "Nul\uFFFDByte Bad\uFFFDBytes" || nul.Email != "nul\uFFFD@example.com" {
				t.Errorf("stored as %q, %q; want the NUL and the bad byte replaced by U+FFFD", nul.DisplayName, nul.Email)
			}
			for _, want := range []string{"FirstName: a NUL byte", "LastName: bytes that are not UTF-8 text", "Email: a NUL byte"} {
				if !slices.ContainsFunc(nul.Cleaned, func(n string) bool { return strings.HasPrefix(n, want) }) {
					t.Errorf("cleaned notes %q lack %q", nul.Cleaned, want)
				}
			}
			aside, err := e.store.ListSetAside(ctx, r.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(aside) != 1 || aside[0].SourceID != refusedID || aside[0].DisplayName != "Refused Record" || aside[0].Reason == "" {
				t.Fatalf("records set aside: %+v; want the refused one with a reason", aside)
			}

			// Corrected in Exact, the record arrives with the next run and
			// leaves the list; a new bad one in the same run is set aside.
			if err := e.sim.EditContact(testDivision, refusedID, func(c *crm.Contact) { c.FirstName = "Accepted" }); err != nil {
				t.Fatal(err)
			}
			other := later[len(later)-1]
			if err := e.sim.EditContact(testDivision, other, func(c *crm.Contact) { c.FirstName, c.MiddleName, c.LastName = "Refused", "", "Too" }); err != nil {
				t.Fatal(err)
			}
			newer := e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 3}).Created
			run = e.sync(r.ID)
			if run.SetAside != 1 {
				t.Errorf("second run counted %d records set aside; want 1", run.SetAside)
			}
			got = map[string]*roger.Entry{}
			for _, en := range entries(t, e.store, e.org.ID, r.ID) {
				got[en.SourceID] = en
			}
			if got[refusedID] == nil || !strings.HasPrefix(got[refusedID].DisplayName, "Accepted") {
				t.Errorf("the corrected record: %+v", got[refusedID])
			}
			for _, id := range newer {
				if got[id] == nil {
					t.Errorf("record %s of the second run is not in the directory", id)
				}
			}
			if got[other] == nil || strings.HasPrefix(got[other].DisplayName, "Refused") {
				t.Errorf("the record refused in its new version: %+v; want its earlier version kept", got[other])
			}
			aside, err = e.store.ListSetAside(ctx, r.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(aside) != 1 || aside[0].SourceID != other {
				t.Fatalf("records set aside after the second run: %+v; want only %s", aside, other)
			}
		})
	}
}
