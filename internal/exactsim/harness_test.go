package exactsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim/crm"
)

// The conformance suite drives the simulator over real HTTP, the way
// roger's Exact client and a person's browser will.

const (
	testDivision  = 123456
	testDivision2 = 234567
	testUser      = "anna"
	testPassword  = "geheim"
	testRedirect  = "https://portal.example.com/oauth/exact/r1/callback"
)

var testStart = time.Date(2026, 6, 25, 14, 24, 0, 0, time.UTC)

// env is one simulator under test with its server, clock and an app.
type env struct {
	t     *testing.T
	sim   *Simulator
	srv   *httptest.Server
	clock *clock.Fake
	app   *App
}

// newEnv starts a simulator with one user on two divisions (the first
// seeded with accounts and contacts) and one registered app.
func newEnv(t *testing.T, opts Options, accounts, contacts int) *env {
	t.Helper()
	clk := clock.NewFake(testStart)
	opts.Clock = clk
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	sim := New(opts)
	if _, err := sim.AddUser(testUser, testPassword, testDivision, testDivision2); err != nil {
		t.Fatal(err)
	}
	if accounts > 0 {
		sim.Seed(testDivision, accounts, contacts)
	}
	app, err := sim.RegisterApp("ROGER365.io – contacts", testRedirect, "", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return &env{t: t, sim: sim, srv: srv, clock: clk, app: app}
}

// browser is an HTTP client that keeps cookies and does not follow
// redirects, so tests can look at each hop.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) authorizeURL(prefix, state string, extra url.Values) string {
	v := url.Values{"client_id": {e.app.ClientID.String()}, "redirect_uri": {e.app.RedirectURI}, "response_type": {"code"}, "state": {state}}
	for k, vals := range extra {
		v[k] = vals
	}
	return e.srv.URL + prefix + "/api/oauth2/auth?" + v.Encode()
}

// consent walks login and consent in a browser and returns the redirect it
// ends with.
func (e *env) consent(b *http.Client, prefix, state string) *url.URL {
	e.t.Helper()
	resp := e.do(b, "GET", e.authorizeURL(prefix, state, nil), nil, nil)
	body := readAll(e.t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
		e.t.Fatalf("authorize: want the login page, got %d %s", resp.StatusCode, body)
	}
	form := url.Values{"client_id": {e.app.ClientID.String()}, "redirect_uri": {e.app.RedirectURI}, "response_type": {"code"}, "state": {state},
		"username": {testUser}, "password": {testPassword}}
	resp = e.do(b, "POST", e.srv.URL+prefix+"/api/oauth2/auth", form, nil)
	body = readAll(e.t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `value="allow"`) {
		e.t.Fatalf("login: want the consent page, got %d %s", resp.StatusCode, body)
	}
	form.Del("username")
	form.Del("password")
	form.Set("consent", "allow")
	resp = e.do(b, "POST", e.srv.URL+prefix+"/api/oauth2/auth", form, nil)
	readAll(e.t, resp)
	if resp.StatusCode != http.StatusFound {
		e.t.Fatalf("consent: want 302, got %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

// code runs the browser part of the flow and returns a fresh code.
func (e *env) code(prefix string) string {
	e.t.Helper()
	loc := e.consent(e.browser(), prefix, "s1")
	code := loc.Query().Get("code")
	if code == "" {
		e.t.Fatalf("redirect without code: %s", loc)
	}
	return code
}

func (e *env) do(c *http.Client, method, target string, form url.Values, header http.Header) *http.Response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// tokenCall posts a form to the token endpoint of the host at prefix.
func (e *env) tokenCall(prefix string, form url.Values) (*http.Response, map[string]any) {
	e.t.Helper()
	resp := e.do(http.DefaultClient, "POST", e.srv.URL+prefix+"/api/oauth2/token", form, nil)
	raw := readAll(e.t, resp)
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		e.t.Fatalf("token endpoint answered %d with non-JSON %q", resp.StatusCode, raw)
	}
	return resp, m
}

func (e *env) exchange(prefix, code string) (*http.Response, map[string]any) {
	return e.tokenCall(prefix, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {e.app.RedirectURI},
		"client_id": {e.app.ClientID.String()}, "client_secret": {e.app.Secret}})
}

func (e *env) refresh(prefix, token string) (*http.Response, map[string]any) {
	return e.tokenCall(prefix, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token},
		"client_id": {e.app.ClientID.String()}, "client_secret": {e.app.Secret}})
}

// tokens is an access and refresh token pair.
type tokens struct{ access, refresh string }

// login runs the whole OAuth flow on the Dutch host.
func (e *env) login() tokens {
	e.t.Helper()
	resp, m := e.exchange("", e.code(""))
	if resp.StatusCode != 200 {
		e.t.Fatalf("code exchange: %d %v", resp.StatusCode, m)
	}
	return tokens{access: m["access_token"].(string), refresh: m["refresh_token"].(string)}
}

// api calls the REST API with a bearer token and Accept: application/json.
func (e *env) api(tok, method, path string, body string) (*http.Response, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.srv.URL + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, readAll(e.t, resp)
}

// pageBody is a decoded collection answer.
type pageBody struct {
	D struct {
		Results []map[string]any `json:"results"`
		Next    string           `json:"__next"`
		Count   string           `json:"__count"`
	} `json:"d"`
}

func decodePage(t *testing.T, body string) pageBody {
	t.Helper()
	var p pageBody
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a collection envelope: %v: %.300s", err, body)
	}
	return p
}

// odataMessage returns the message of an OData error body.
func odataMessage(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message struct {
				Lang  string `json:"lang"`
				Value string `json:"value"`
			} `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an OData error body: %q", body)
	}
	return e.Error.Message.Value
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustGUID parses a GUID or fails the test.
func mustGUID(t *testing.T, s string) crm.GUID {
	t.Helper()
	g, err := crm.ParseGUID(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return g
}
