package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/exactsim"
)

// story is what the replicator page, the list and the page's status say
// about one replicator.
type story struct {
	page, list, status             string // the badges
	pageText, listText, authStatus string
}

func (b *browser) story(id int64, pagePath string) story {
	b.t.Helper()
	var s story
	pg := b.get(pagePath)
	if pg.status != http.StatusOK {
		b.t.Fatalf("%s: %d %s", pagePath, pg.status, pg.text())
	}
	s.page = regexpFind(b.t, pg.body, `id="state">([^<]*)<`)
	s.pageText = pg.text()
	list := b.get("/replicators")
	row := regexpFind(b.t, list.body, `(?s)(<a href="/replicators/`+itoa(id)+`">.*?</tr>)`)
	s.list = regexpFind(b.t, row, `class="state state-[^"]*">([^<]*)<`)
	s.listText = pageOf(row).text()
	var st struct {
		StateLabel  string `json:"stateLabel"`
		AuthProblem string `json:"authProblem"`
	}
	if err := json.Unmarshal([]byte(b.get("/replicators/"+itoa(id)+"/status").body), &st); err != nil {
		b.t.Fatal(err)
	}
	s.status, s.authStatus = st.StateLabel, st.AuthProblem
	return s
}

func pageOf(body string) page { return page{body: body} }

// agrees fails unless the page, the list and the status show badge.
func (s story) agrees(t *testing.T, when, badge string) {
	t.Helper()
	if s.page != badge || s.list != badge || s.status != badge {
		t.Fatalf("%s: the page says %q, the list %q, the status %q; want %q everywhere", when, s.page, s.list, s.status, badge)
	}
}

// TestOneStoryEverywhere follows a replicator through an authorization,
// failed authorizations and a pause, and checks that its page, the list
// and its status say the same thing at every point.
func TestOneStoryEverywhere(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	a := p.admin("Alpha")
	id := p.repA.ID
	path := "/replicators/" + itoa(id)
	app, err := p.sim.RegisterApp("ROGER365.io – contacts", p.site.RedirectURL(id), "", "")
	if err != nil {
		t.Fatal(err)
	}
	p.site.ExactHosts = append(p.site.ExactHosts, ExactHost{URL: p.simSrv.URL, Label: "test simulator"})
	saveSecret := func(secret string) {
		t.Helper()
		if pg := a.post(path+"/credentials", url.Values{"exact_url": {p.simSrv.URL}, "client_id": {app.ClientID.String()}, "client_secret": {secret}}); pg.status != http.StatusSeeOther {
			t.Fatalf("credentials: %d %s", pg.status, pg.text())
		}
	}
	// consent walks Exact's login and allows, and returns roger's callback.
	consent := func() page {
		t.Helper()
		pg := a.post(path+"/authorize", nil)
		loc, err := exactsim.Consent(ctx, nil, pg.location, "demo", "demo")
		if err != nil {
			t.Fatal(err)
		}
		return a.get(strings.TrimPrefix(loc.String(), p.srv.URL))
	}

	saveSecret(app.Secret)
	s := a.story(id, path+"?done=credentials")
	s.agrees(t, "before the authorization", "awaiting authorization")
	if !strings.Contains(s.pageText, "Now click Authorize application") {
		t.Fatal("the notice after saving the credentials is missing")
	}

	// Allowed: authorized, and waiting for the settings, everywhere; the
	// notice that asked for the authorization is gone, even with the
	// address that brought it.
	if pg := consent(); !strings.Contains(pg.text(), "Authorized. You can close this window.") {
		t.Fatalf("callback: %d %s", pg.status, pg.text())
	}
	s = a.story(id, path+"?done=credentials")
	s.agrees(t, "after Allow", "awaiting settings")
	for _, text := range []string{s.pageText, s.listText} {
		if strings.Contains(text, "Now click Authorize application") || strings.Contains(text, "awaiting authorization") || !strings.Contains(text, "Authorized by") {
			t.Fatalf("after Allow the replicator's texts contradict its badge: %s", text)
		}
	}

	// A wrong secret: the popup says what happened once, and the page, the
	// list, the status and the audit log keep it after the popup closed.
	saveSecret("not-the-secret")
	pg := consent()
	const fix = "Copy the Client Secret again from the app's page in the Exact App Center"
	if pg.status == http.StatusOK || strings.Count(pg.text(), fix) != 1 || strings.Count(pg.text(), "Client Secret") > 2 {
		t.Fatalf("the popup after a wrong secret: %d %s", pg.status, pg.text())
	}
	s = a.story(id, path)
	if !strings.Contains(s.pageText, "The last authorization failed: Exact Online refused the app's Client ID or Client Secret. "+fix) ||
		!strings.Contains(s.listText, fix) || !strings.Contains(s.authStatus, fix) {
		t.Fatalf("the failure is not kept on the replicator:\npage %s\nlist %s\nstatus %q", s.pageText, s.listText, s.authStatus)
	}
	s.agrees(t, "after a failed authorization", s.page)

	// Allow not chosen: kept the same way, and audited.
	state, err := p.store.CreateOAuthState(ctx, id, hashToken(a.cookie().Value), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if pg := a.get("/oauth/exact/" + itoa(id) + "/callback?error=access_denied&state=" + url.QueryEscape(state)); pg.status != http.StatusBadRequest {
		t.Fatalf("denied: %d %s", pg.status, pg.text())
	}
	if s = a.story(id, path); !strings.Contains(s.pageText, "Allow was not chosen") || !strings.Contains(s.authStatus, "Allow was not chosen") {
		t.Fatalf("a denied authorization is not kept: %s", s.pageText)
	}
	failures := 0
	events, _ := p.store.ListAudit(ctx, p.orgA.ID, 20)
	for _, e := range events {
		if e.Action == "replicator.authorize-failed" {
			failures++
			if e.Actor != "alpha@example.nl" {
				t.Errorf("a failed authorization is audited as %q", e.Actor)
			}
		}
	}
	if failures != 2 {
		t.Fatalf("%d failed authorizations in the audit log, want 2: %+v", failures, events)
	}

	// The right secret again, the settings, then a pause.
	saveSecret(app.Secret)
	if pg := consent(); !strings.Contains(pg.text(), "Authorized.") {
		t.Fatalf("callback: %d %s", pg.status, pg.text())
	}
	if s = a.story(id, path); s.authStatus != "" || strings.Contains(s.pageText, "The last authorization failed") {
		t.Fatalf("a successful authorization still shows the earlier failure: %s", s.pageText)
	}
	if pg := a.post(path+"/settings", url.Values{"contact_url": {p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"},
		"country": {"NL"}, "interval": {"5"}}); pg.status != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", pg.status, pg.text())
	}
	a.story(id, path).agrees(t, "after the settings", "active")
	if pg := a.post(path+"/pause", nil); pg.status != http.StatusSeeOther {
		t.Fatalf("pause: %d %s", pg.status, pg.text())
	}
	a.story(id, path).agrees(t, "after a pause", "paused")
}

// TestNoStepFourErrorBeforeTyping: a new replicator's suggested Contact
// URL is not checked (and refused) before the admin has typed anything.
func TestNoStepFourErrorBeforeTyping(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	pg := a.get("/replicators/" + itoa(p.repA.ID))
	field := regexpFind(t, pg.body, `(<input name="contact_url"[^>]*>)`)
	if !strings.Contains(field, "data-check-later") || regexp.MustCompile(`id="contact-url-check"[^>]*>\s*<span class="error"`).MatchString(pg.body) {
		t.Fatalf("a new replicator's Contact URL is checked before anything is typed: %s", field)
	}
}

// Step 1's App Center link is Exact's for Exact's own hosts and the
// simulator's for a simulator.
func TestAppCenterLinkFollowsTheHost(t *testing.T) {
	for host, want := range map[string]string{
		"https://start.exactonline.nl": "https://apps.exactonline.com/",
		"https://start.exactonline.be": "https://apps.exactonline.com/",
		"http://127.0.0.1:8090":        "http://127.0.0.1:8090/appcenter",
	} {
		if got := appCenterURL(host); got != want {
			t.Errorf("App Center of %s: %s, want %s", host, got, want)
		}
	}
	p := newPortal(t)
	pg := p.admin("Alpha").get("/replicators/" + itoa(p.repA.ID))
	if link := regexpFind(t, pg.body, `<a href="([^"]*)"[^>]*id="app-center"`); link != "https://apps.exactonline.com/" {
		t.Fatalf("step 1 links to %s", link)
	}
}
