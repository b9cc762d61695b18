package web

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// The replicator page's data-quality list shows records whose text was
// cleaned, with what was changed, and records the database refused, with
// their Exact id and why; the run's history counts those set aside.
func TestReplicatorPageListsCleanedAndSetAsideRecords(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "roger.db")
	store, _ := storetest.Open(t, path, clk)
	// The database itself refuses one record, as a constraint would.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.source_id = 'refused-id' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	org := &roger.Organization{Name: "Alpha", DefaultCountry: "NL"}
	if err := store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	rep := &roger.Replicator{OrgID: org.ID, Name: "Alpha contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", Interval: 5 * time.Minute, State: roger.StateActive}
	if err := store.CreateReplicator(ctx, rep); err != nil {
		t.Fatal(err)
	}
	res, err := store.ApplyPage(ctx, roger.Page{ReplicatorID: rep.ID, OrgID: org.ID, Upserts: []roger.Entry{
		{Kind: roger.KindContact, SourceID: "cleaned-id", DisplayName: "Nul\uFFFDByte", SourceTimestamp: 1, Cleaned: []string{"FirstName: a NUL byte, replaced by \uFFFD"}},
		{Kind: roger.KindContact, SourceID: "refused-id", DisplayName: "Refused Record", SourceTimestamp: 2},
		{Kind: roger.KindContact, SourceID: "fine-id", DisplayName: "Fine Record", SourceTimestamp: 3},
	}})
	if err != nil || res.SetAside != 1 || res.Created != 2 {
		t.Fatalf("apply: %+v %v", res, err)
	}
	run := &roger.SyncRun{ReplicatorID: rep.ID, Trigger: roger.TriggerManual}
	if err := store.CreateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Outcome, run.SetAside, run.Ended = roger.OutcomeOK, res.SetAside, clk.Now()
	if err := store.UpdateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}

	srv := &Server{Store: store, Clock: clk, RedirectURL: func(id int64) string { return "https://roger.example.com/oauth/exact/1/callback" }}
	srv.Handler() // loads the templates
	sess := &roger.Session{OrgID: org.ID, Email: "alpha@example.nl"}
	v, err := srv.replicatorView(ctx, rep, sess)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.renderReplicator(rec, httptest.NewRequest(http.MethodGet, "/replicators/1", nil), http.StatusOK, sess, v)
	text := page{body: rec.Body.String()}.text()
	for _, want := range []string{"Text that was cleaned", "Nul\uFFFDByte", "FirstName: a NUL byte, replaced by \uFFFD",
		"Records set aside", "Refused Record", "refused-id", "The database refused one of its values.", "1 set aside"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replicator page does not show %q", want)
		}
	}
	if strings.Contains(text, "Fine Record") {
		t.Error("a record without a problem is in the data-quality list")
	}
}
