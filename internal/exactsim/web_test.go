package exactsim

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// signIn logs a browser in through the login page and returns it.
func (e *env) signIn(returnURL string) (*http.Client, *http.Response) {
	e.t.Helper()
	b := e.browser()
	resp := e.do(b, "POST", e.srv.URL+"/docs/Login.aspx", url.Values{"username": {testUser}, "password": {testPassword}, "ReturnUrl": {returnURL}}, nil)
	readAll(e.t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login: want 303, got %d", resp.StatusCode)
	}
	return b, resp
}

func TestPagesNeedASignedInUser(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	for _, path := range []string{"/appcenter", "/appcenter/register", "/docs/MenuPortal.aspx", "/docs/CRMAccounts.aspx?_Division_=123456"} {
		resp := e.do(e.browser(), "GET", e.srv.URL+path, nil, nil)
		readAll(t, resp)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/docs/Login.aspx?ReturnUrl=") {
			t.Errorf("%s: want a redirect to the login page, got %d %s", path, resp.StatusCode, loc)
		}
	}
}

func TestLoginRefusesForeignReturnURL(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	for _, ret := range []string{"https://evil.example.com/", "//evil.example.com/", `/\evil.example.com`} {
		_, resp := e.signIn(ret)
		if loc := resp.Header.Get("Location"); loc != "/docs/MenuPortal.aspx" {
			t.Errorf("ReturnUrl %q: redirected to %q", ret, loc)
		}
	}
	_, resp := e.signIn("/appcenter")
	if loc := resp.Header.Get("Location"); loc != "/appcenter" {
		t.Errorf("local ReturnUrl: redirected to %q", loc)
	}
}

func TestAppCenterRegistersAnApp(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	b, _ := e.signIn("/appcenter")
	redirect := "http://127.0.0.1:8080/oauth/exact/7/callback"
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no name", url.Values{"redirect_uri": {redirect}, "terms": {"yes"}}, 400, "Enter a name"},
		{"terms not accepted", url.Values{"name": {"ROGER365.io – accounts"}, "redirect_uri": {redirect}}, 400, "Terms and Conditions"},
		{"plain http elsewhere", url.Values{"name": {"x"}, "redirect_uri": {"http://portal.example.com/cb"}, "terms": {"yes"}}, 400, "must use https"},
		{"no redirect", url.Values{"name": {"x"}, "terms": {"yes"}}, 400, "redirect URI is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(b, "POST", e.srv.URL+"/appcenter/register", tc.form, nil)
			body := readAll(t, resp)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d, want %d with %q: %.300s", resp.StatusCode, tc.status, tc.want, body)
			}
		})
	}
	resp := e.do(b, "POST", e.srv.URL+"/appcenter/register", url.Values{"name": {"ROGER365.io – accounts"}, "redirect_uri": {redirect}, "terms": {"yes"}}, nil)
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d", resp.StatusCode)
	}
	resp = e.do(b, "GET", e.srv.URL+resp.Header.Get("Location"), nil, nil)
	body := readAll(t, resp)
	id := regexp.MustCompile(`id="client-id">([0-9a-f-]{36})<`).FindStringSubmatch(body)
	secret := regexp.MustCompile(`id="client-secret">([^<]+)<`).FindStringSubmatch(body)
	if id == nil || secret == nil || !strings.Contains(body, redirect) || !strings.Contains(body, `id="webhook-secret"`) {
		t.Fatalf("the app page must show client id, secret, webhook secret and redirect URI: %.600s", body)
	}
	var found *App
	for _, a := range e.sim.Apps() {
		if a.ClientID.String() == id[1] {
			found = &a
		}
	}
	if found == nil || found.Secret != secret[1] || found.RedirectURI != redirect {
		t.Fatalf("the page shows credentials the simulator does not have: %+v", found)
	}
	resp = e.do(b, "GET", e.srv.URL+"/appcenter", nil, nil)
	if body := readAll(t, resp); !strings.Contains(body, "ROGER365.io – accounts") || !strings.Contains(body, id[1]) {
		t.Fatalf("the app list misses the new app: %.500s", body)
	}
}

func TestRelationsAndCardsCarryTheDivision(t *testing.T) {
	e := newEnv(t, Options{}, 30, 60)
	b, _ := e.signIn("/")
	resp := e.do(b, "GET", e.srv.URL+"/docs/MenuPortal.aspx", nil, nil)
	body := readAll(t, resp)
	if !strings.Contains(body, "/docs/CRMAccounts.aspx?_Division_=123456") || !strings.Contains(body, "_Division_=234567") {
		t.Fatalf("companies page lists no relations links: %.500s", body)
	}
	resp = e.do(b, "GET", e.srv.URL+"/docs/CRMAccounts.aspx?_Division_=123456", nil, nil)
	body = readAll(t, resp)
	link := regexp.MustCompile(`href="(/docs/CRMAccountCard\.aspx\?AccountID=%7b([0-9a-f-]{36})%7d&amp;_Division_=123456)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("relations page has no account card link with _Division_: %.800s", body)
	}
	card := strings.ReplaceAll(link[1], "&amp;", "&")
	resp = e.do(b, "GET", e.srv.URL+card, nil, nil)
	body = readAll(t, resp)
	e.sim.mu.RLock()
	acct, ok := e.sim.divisions[testDivision].accounts.get(mustGUID(t, link[2]))
	e.sim.mu.RUnlock()
	if resp.StatusCode != 200 || !ok || !strings.Contains(body, `id="card-id">`+link[2]) {
		t.Fatalf("account card: %d %.400s", resp.StatusCode, body)
	}
	if !strings.Contains(body, htmlEscape(acct.Name)) {
		t.Fatalf("the card does not show the account's name %q", acct.Name)
	}
	contact := regexp.MustCompile(`href="(/docs/CRMContactCard\.aspx\?_ID=%7b[0-9a-f-]{36}%7d&amp;_Division_=123456)"`).FindStringSubmatch(body)
	if contact != nil {
		resp = e.do(b, "GET", e.srv.URL+strings.ReplaceAll(contact[1], "&amp;", "&"), nil, nil)
		if body := readAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `id="card-id"`) {
			t.Fatalf("contact card: %d", resp.StatusCode)
		}
	}
	// A card in a division the user cannot open is refused, and a missing
	// record is a 404, not an empty card.
	e.sim.AddDivision(999, "Other")
	resp = e.do(b, "GET", e.srv.URL+"/docs/CRMAccountCard.aspx?AccountID=%7b"+link[2]+"%7d&_Division_=999", nil, nil)
	if readAll(t, resp); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign division: %d", resp.StatusCode)
	}
	resp = e.do(b, "GET", e.srv.URL+"/docs/CRMAccountCard.aspx?AccountID=%7b00000000-0000-4000-8000-000000000000%7d&_Division_=123456", nil, nil)
	if readAll(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing account: %d", resp.StatusCode)
	}
}

func TestOpeningADivisionMakesItCurrent(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	b, _ := e.signIn("/")
	readAll(t, e.do(b, "GET", e.srv.URL+"/docs/CRMAccounts.aspx?_Division_=234567", nil, nil))
	_, body := e.api(tok.access, "GET", "/api/v1/current/Me?$select=CurrentDivision", "")
	if !strings.Contains(body, `"CurrentDivision":234567`) {
		t.Fatalf("Me after opening 234567 in the web UI: %s", body)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
