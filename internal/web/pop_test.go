package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// seedEntry puts one account with one number into rep's part of the
// directory.
func (p *portal) seedEntry(rep *roger.Replicator, name, e164 string) {
	p.t.Helper()
	ctx := context.Background()
	rep.ContactURL, rep.Division = "https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=7", 7
	if err := p.store.UpdateReplicator(ctx, rep); err != nil {
		p.t.Fatal(err)
	}
	page := roger.Page{ReplicatorID: rep.ID, OrgID: rep.OrgID, Cursor: 1, Upserts: []roger.Entry{{Kind: roger.KindAccount,
		SourceID: "0b8a1c2e-0000-4000-8000-0000000000aa", CompanyID: "0b8a1c2e-0000-4000-8000-0000000000aa", DisplayName: name,
		CompanyName: name, SourceTimestamp: 5, Numbers: []roger.Number{{Field: "Phone", Raw: e164, E164: e164, Status: roger.NumberOK}}}}}
	if _, err := p.store.ApplyPage(ctx, page); err != nil {
		p.t.Fatal(err)
	}
}

func TestScreenPop(t *testing.T) {
	p := newPortal(t)
	p.seedEntry(p.repA, "Voorbeeld B.V.", "+31201234567")
	p.seedEntry(p.repB, "Beta Bouw", "+31201234567")
	a := p.admin("Alpha")

	// Signed in: the caller's card with the CRM button.
	pg := a.get("/pop?number=" + url.QueryEscape("020-123 45 67"))
	if pg.status != http.StatusOK || !strings.Contains(pg.text(), "Voorbeeld B.V.") || strings.Contains(pg.text(), "Beta Bouw") ||
		!strings.Contains(pg.body, "AccountID=%7b0b8a1c2e-0000-4000-8000-0000000000aa%7d") {
		t.Fatalf("signed-in pop: %d %s", pg.status, pg.text())
	}
	if pg.header.Get("Referrer-Policy") != "no-referrer" || pg.header.Get("X-Frame-Options") != "" ||
		!strings.Contains(pg.header.Get("Content-Security-Policy"), "frame-ancestors 'self' https://teams.microsoft.com") {
		t.Fatalf("pop headers: %v", pg.header)
	}
	// Unknown caller: says so, with a search box.
	if pg := a.get("/pop?number=%2B442079460000"); !strings.Contains(pg.text(), "Unknown caller") || !strings.Contains(pg.body, `name="q"`) {
		t.Fatalf("unknown caller: %s", pg.text())
	}
	if pg := a.get("/pop?number=hello"); pg.status != http.StatusBadRequest {
		t.Fatalf("not a number: %d", pg.status)
	}
	if pg := a.get("/pop?q=voorbeeld"); !strings.Contains(pg.text(), "Voorbeeld B.V.") {
		t.Fatalf("search: %s", pg.text())
	}

	// Signed out: to sign-in, unless the request carries the link.
	anon := p.browser()
	if pg := anon.get("/pop?number=0201234567"); pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.location, "/login") {
		t.Fatalf("signed out: %d %q", pg.status, pg.location)
	}
	integ := a.get("/integrations")
	link := regexpFind(t, integ.body, `id="pop-link" value="([^"]+)"`)
	link = strings.ReplaceAll(link, "&amp;", "&")
	if !strings.HasPrefix(link, p.srv.URL+"/pop?link=") || !strings.HasSuffix(link, "&number={number}") {
		t.Fatalf("pop link %q", link)
	}
	popURL := strings.TrimPrefix(strings.Replace(link, "{number}", url.QueryEscape("+31 20 123 4567"), 1), p.srv.URL)
	if pg := anon.get(popURL); pg.status != http.StatusOK || !strings.Contains(pg.text(), "Voorbeeld B.V.") || strings.Contains(pg.text(), "Beta") {
		t.Fatalf("pop by link: %d %s", pg.status, pg.text())
	}
	// A tampered link, or one of another purpose, is refused.
	if pg := anon.get(strings.Replace(popURL, "link=v1.", "link=v1.x", 1)); pg.status != http.StatusForbidden {
		t.Fatalf("tampered link: %d", pg.status)
	}
	// A new link makes the old one stop working.
	if pg := a.post("/integrations/pop-links/renew", nil); pg.status != http.StatusSeeOther {
		t.Fatalf("renew: %d", pg.status)
	}
	if pg := anon.get(popURL); pg.status != http.StatusForbidden || !strings.Contains(pg.text(), "not valid") {
		t.Fatalf("old link after renewal: %d %s", pg.status, pg.text())
	}
}

func TestAPIKeysPage(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	if pg := a.post("/integrations/keys", url.Values{"name": {""}}); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "needs a name") {
		t.Fatalf("nameless key: %d %s", pg.status, pg.text())
	}
	pg := a.post("/integrations/keys", url.Values{"name": {"Teams contact centre"}})
	if pg.status != http.StatusSeeOther || strings.Contains(pg.location, roger.APIKeyPrefix) {
		t.Fatalf("a new key: %d %q, want a redirect without the key", pg.status, pg.location)
	}
	pg = a.get(pg.location)
	key := regexpFind(t, pg.body, `id="new-key-value" value="([^"]+)"`)
	if again := a.get(pg.location); strings.Contains(again.body, key) {
		t.Fatal("a reload shows the new key again")
	}
	if !strings.HasPrefix(key, roger.APIKeyPrefix) {
		t.Fatalf("key %q", key)
	}
	k, err := p.store.AuthenticateAPIKey(context.Background(), key)
	if err != nil || k.OrgID != p.orgA.ID {
		t.Fatalf("the shown key does not work for the organisation: %v", err)
	}
	list := a.get("/integrations")
	if strings.Contains(list.body, key) || !strings.Contains(list.body, key[:12]+"…") {
		t.Fatal("the list shows the whole key, or not its prefix")
	}
	// Another organisation cannot revoke it.
	if pg := p.admin("Beta").post("/integrations/keys/"+itoa(k.ID)+"/revoke", nil); pg.status != http.StatusNotFound {
		t.Fatalf("revoke by another organisation: %d", pg.status)
	}
	if _, err := p.store.AuthenticateAPIKey(context.Background(), key); err != nil {
		t.Fatal("another organisation revoked the key")
	}
	if pg := a.post("/integrations/keys/"+itoa(k.ID)+"/revoke", nil); pg.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", pg.status)
	}
	if _, err := p.store.AuthenticateAPIKey(context.Background(), key); roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
		t.Fatalf("a revoked key works: %v", err)
	}
	events, _ := p.store.ListAudit(context.Background(), p.orgA.ID, 20)
	for _, e := range events {
		if strings.Contains(e.Detail+e.Target, key) {
			t.Fatalf("the audit log holds the key: %+v", e)
		}
	}
}
