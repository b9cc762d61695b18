package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignedInAdminDuringADatabaseOutage: when the database does not
// answer, a signed-in admin's page says so (503, retried) rather than
// sending them to sign in, which could not work either; a browser
// without a session still goes to the sign-in page.
func TestSignedInAdminDuringADatabaseOutage(t *testing.T) {
	p := newPortal(t)
	b := p.admin("Alpha")
	if pg := b.get("/replicators"); pg.status != http.StatusOK {
		t.Fatalf("before: %d", pg.status)
	}
	p.store.Close()
	for _, tc := range []struct {
		name, method, path string
		page               bool
	}{
		{"page", http.MethodGet, "/replicators", true},
		{"replicator page", http.MethodGet, "/replicators/1", true},
		{"status poll", http.MethodGet, "/replicators/1/status", false},
		{"form post", http.MethodPost, "/replicators/1/sync", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pg page
			if tc.method == http.MethodPost {
				pg = b.post(tc.path, url.Values{})
			} else {
				pg = b.get(tc.path)
			}
			if pg.status != http.StatusServiceUnavailable || pg.location != "" || pg.header.Get("Retry-After") == "" ||
				!strings.Contains(pg.text(), "cannot reach its database") || !strings.Contains(pg.text(), "still signed in") {
				t.Errorf("%s %s: %d Location %q Retry-After %q\n%s", tc.method, tc.path, pg.status, pg.location, pg.header.Get("Retry-After"), pg.text())
			}
			if tc.page && (pg.header.Get("Refresh") == "" || !strings.Contains(pg.text(), "Database unavailable")) {
				t.Errorf("the page is not titled or does not reload itself: Refresh %q\n%s", pg.header.Get("Refresh"), pg.text())
			}
		})
	}
	if pg := p.browser().get("/replicators"); pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.location, "/login") {
		t.Errorf("without a session: %d %q; want the sign-in page", pg.status, pg.location)
	}
}
