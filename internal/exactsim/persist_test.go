package exactsim

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateSurvivesARestart(t *testing.T) {
	e := newEnv(t, Options{}, 20, 80)
	tok := e.login()
	_, before := e.api(tok.access, "GET", "/api/v1/123456/sync/CRM/Contacts?$select=ID,FullName,Phone,Timestamp&$filter=Timestamp%20gt%201L", "")
	resp, _ := e.api(tok.access, "DELETE", "/api/v1/123456/crm/Contacts(guid'"+firstID(t, before)+"')", "")
	if resp.StatusCode != 204 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	_, before = e.api(tok.access, "GET", "/api/v1/123456/sync/CRM/Contacts?$select=ID,FullName,Phone,Timestamp&$filter=Timestamp%20gt%201L", "")
	_, deletedBefore := e.api(tok.access, "GET", "/api/v1/123456/sync/Deleted?$select=EntityKey,Timestamp&$filter=Timestamp%20gt%201L", "")

	path := filepath.Join(t.TempDir(), "sim.state")
	if err := e.sim.Save(path); err != nil {
		t.Fatal(err)
	}
	if e.sim.Dirty() {
		t.Fatal("a saved simulator reports unsaved changes")
	}

	restarted := New(Options{Clock: e.clock, Seed: 7})
	defer restarted.Close()
	if err := restarted.Load(path); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(restarted.Handler())
	defer srv.Close()
	e.srv = srv
	_, after := e.api(tok.access, "GET", "/api/v1/123456/sync/CRM/Contacts?$select=ID,FullName,Phone,Timestamp&$filter=Timestamp%20gt%201L", "")
	if after != strings.ReplaceAll(before, e.srvURLBefore(before), srv.URL) {
		t.Fatalf("records differ after the restart:\nbefore %.300s\nafter  %.300s", before, after)
	}
	_, deletedAfter := e.api(tok.access, "GET", "/api/v1/123456/sync/Deleted?$select=EntityKey,Timestamp&$filter=Timestamp%20gt%201L", "")
	if deletedAfter != strings.ReplaceAll(deletedBefore, e.srvURLBefore(deletedBefore), srv.URL) {
		t.Fatalf("deletion log differs: %s vs %s", deletedBefore, deletedAfter)
	}
	// The refresh chain carries on where it was.
	e.clock.Advance(10 * time.Minute)
	if resp, m := e.refresh("", tok.refresh); resp.StatusCode != 200 {
		t.Fatalf("refresh after restart: %d %v", resp.StatusCode, m)
	}
	// New records do not reuse identifiers drawn before the restart.
	if _, err := restarted.Mutate(testDivision, Mutation{Entity: "contacts", Creates: 50}); err != nil {
		t.Fatal(err)
	}
	if n := restarted.Summarize().Divisions[0].Contacts; n != 79+50 {
		t.Fatalf("after 50 creates: %d contacts, want %d (an ID was reused)", n, 79+50)
	}
}

func TestLoadRefusesAnotherFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-state")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := New(Options{})
	defer sim.Close()
	sim.AddDivision(1, "kept")
	err := sim.Load(path)
	if err == nil || !strings.Contains(err.Error(), "not a simulator state file") {
		t.Fatalf("want a clear error, got %v", err)
	}
	if len(sim.Summarize().Divisions) != 1 {
		t.Fatal("a failed load must leave the state alone")
	}
}

func firstID(t *testing.T, body string) string {
	t.Helper()
	p := decodePage(t, body)
	if len(p.D.Results) == 0 {
		t.Fatal("no rows")
	}
	return p.D.Results[0]["ID"].(string)
}

// srvURLBefore finds the server URL that links in body were written with.
func (e *env) srvURLBefore(body string) string {
	i := strings.Index(body, "http://")
	j := strings.Index(body[i:], "/api/")
	return body[i : i+j]
}
