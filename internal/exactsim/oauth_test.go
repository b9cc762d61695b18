package exactsim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAuthorizeRedirectsWithCodeAndState(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	loc := e.consent(e.browser(), "", "xyz-123")
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Errorf("redirected to %s, want %s", got, testRedirect)
	}
	if loc.Query().Get("state") != "xyz-123" {
		t.Errorf("state = %q, want xyz-123", loc.Query().Get("state"))
	}
	code := loc.Query().Get("code")
	if !strings.Contains(code, "!") {
		t.Errorf("code %q has no '!'", code)
	}
	if !strings.Contains(loc.RawQuery, "%21") {
		t.Errorf("the '!' of the code must arrive URL-encoded: %s", loc.RawQuery)
	}
}

func TestAuthorizeRefusesMismatchedRedirectURI(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tests := []struct {
		name   string
		change url.Values
		want   string
	}{
		{"other redirect", url.Values{"redirect_uri": {"https://evil.example.com/cb"}}, "does not match"},
		{"trailing slash", url.Values{"redirect_uri": {testRedirect + "/"}}, "does not match"},
		{"unknown client", url.Values{"client_id": {"11111111-2222-3333-4444-555555555555"}}, "no app with client_id"},
		{"implicit flow", url.Values{"response_type": {"token"}}, "response_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(e.browser(), "GET", e.authorizeURL("", "s", tc.change), nil, nil)
			body := readAll(t, resp)
			if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d, body without %q: %.400s", resp.StatusCode, tc.want, body)
			}
			if resp.Header.Get("Location") != "" {
				t.Fatalf("a bad request must not redirect, got Location %s", resp.Header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeSkipsLoginWithSessionUnlessForced(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	b := e.browser()
	e.consent(b, "", "first")
	resp := e.do(b, "GET", e.authorizeURL("", "second", nil), nil, nil)
	body := readAll(t, resp)
	if !strings.Contains(body, `value="allow"`) || strings.Contains(body, `name="password"`) {
		t.Fatalf("with a session the consent page comes straight away, got %.300s", body)
	}
	resp = e.do(b, "GET", e.authorizeURL("", "third", url.Values{"force_login": {"1"}}), nil, nil)
	body = readAll(t, resp)
	if !strings.Contains(body, `name="password"`) {
		t.Fatalf("force_login=1 must show the login page, got %.300s", body)
	}
}

func TestAuthorizeDenyAndWrongPassword(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	b := e.browser()
	form := url.Values{"client_id": {e.app.ClientID.String()}, "redirect_uri": {testRedirect}, "response_type": {"code"}, "state": {"s"},
		"username": {testUser}, "password": {"wrong"}}
	resp := e.do(b, "POST", e.srv.URL+"/api/oauth2/auth", form, nil)
	if body := readAll(t, resp); resp.StatusCode != 401 || !strings.Contains(body, "incorrect") {
		t.Fatalf("wrong password: got %d %.200s", resp.StatusCode, body)
	}
	form.Set("password", testPassword)
	readAll(t, e.do(b, "POST", e.srv.URL+"/api/oauth2/auth", form, nil))
	form.Del("username")
	form.Del("password")
	form.Set("consent", "deny")
	resp = e.do(b, "POST", e.srv.URL+"/api/oauth2/auth", form, nil)
	readAll(t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Query().Get("error") != "access_denied" || loc.Query().Get("code") != "" || loc.Query().Get("state") != "s" {
		t.Fatalf("deny: got %d %s", resp.StatusCode, loc)
	}
}

func TestTokenResponseShape(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	resp, m := e.exchange("", e.code(""))
	if resp.StatusCode != 200 {
		t.Fatalf("exchange: %d %v", resp.StatusCode, m)
	}
	if v, ok := m["expires_in"].(string); !ok || v != "600" {
		t.Errorf("expires_in = %#v, want the string \"600\"", m["expires_in"])
	}
	if m["token_type"] != "bearer" {
		t.Errorf("token_type = %v, want bearer", m["token_type"])
	}
	if rt, _ := m["refresh_token"].(string); !strings.Contains(rt, "!") || len(rt) < 200 {
		t.Errorf("refresh_token %q: want an opaque token of some hundreds of characters with '!'", rt)
	}
	if at, _ := m["access_token"].(string); len(at) < 200 {
		t.Errorf("access_token too short: %d", len(at))
	}
	for _, k := range []string{"scope", "refresh_expires_in"} {
		if _, ok := m[k]; ok {
			t.Errorf("the response has %q, Exact's does not", k)
		}
	}
}

func TestCodeWorksOnceAndFor180Seconds(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	code := e.code("")
	if resp, m := e.exchange("", code); resp.StatusCode != 200 {
		t.Fatalf("first exchange: %d %v", resp.StatusCode, m)
	}
	resp, m := e.exchange("", code)
	if resp.StatusCode != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("second exchange: want 400 invalid_grant, got %d %v", resp.StatusCode, m)
	}
	code = e.code("")
	e.clock.Advance(181 * time.Second)
	resp, m = e.exchange("", code)
	if resp.StatusCode != 400 || !strings.Contains(m["error_description"].(string), "expired") {
		t.Fatalf("late exchange: want 400 expired, got %d %v", resp.StatusCode, m)
	}
}

func TestTokenEndpointNeedsFormAndCredentialsInBody(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	code := e.code("")
	// Basic auth instead of body credentials is refused.
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/oauth2/token", strings.NewReader(url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {testRedirect}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.app.ClientID.String(), e.app.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 400 || !strings.Contains(body, "invalid_client") {
		t.Fatalf("basic auth: want 400 invalid_client, got %d %s", resp.StatusCode, body)
	}
	// JSON instead of a form is refused.
	req, _ = http.NewRequest("POST", e.srv.URL+"/api/oauth2/token", strings.NewReader(`{"grant_type":"authorization_code"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != 400 || !strings.Contains(body, "invalid_request") {
		t.Fatalf("JSON body: want 400 invalid_request, got %d %s", resp.StatusCode, body)
	}
	// A wrong secret is refused.
	resp2, m := e.tokenCall("", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"client_id": {e.app.ClientID.String()}, "client_secret": {"nope"}})
	if resp2.StatusCode != 400 || m["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", resp2.StatusCode, m)
	}
	// Braces around the client id are accepted, as in ossobv's sample.
	resp2, m = e.tokenCall("", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"client_id": {"{" + e.app.ClientID.String() + "}"}, "client_secret": {e.app.Secret}})
	if resp2.StatusCode != 200 {
		t.Fatalf("braced client id: %d %v", resp2.StatusCode, m)
	}
}

func TestAccessTokenExpiresAfter600Seconds(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	if resp, body := e.api(tok.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 200 {
		t.Fatalf("fresh token: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(599 * time.Second)
	if resp, _ := e.api(tok.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 200 {
		t.Fatalf("at 599 s: %d", resp.StatusCode)
	}
	e.clock.Advance(time.Second)
	resp, body := e.api(tok.access, "GET", "/api/v1/current/Me", "")
	if resp.StatusCode != 401 || body != "" {
		t.Fatalf("at 600 s: want 401 with an empty body, got %d %q", resp.StatusCode, body)
	}
	if wa, _ := url.QueryUnescape(resp.Header.Get("WWW-Authenticate")); !strings.Contains(wa, "access token expired") {
		t.Fatalf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
	}
}

func TestRefreshRotatesAndRefusesTheOldToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		status int
	}{
		{"default 401", Options{}, 401},
		{"switch 400", Options{OldRefreshTokenStatus: 400}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts, 0, 0)
			first := e.login()
			e.clock.Advance(600 * time.Second)
			resp, m := e.refresh("", first.refresh)
			if resp.StatusCode != 200 {
				t.Fatalf("refresh: %d %v", resp.StatusCode, m)
			}
			second := m["refresh_token"].(string)
			if second == first.refresh {
				t.Fatal("the refresh token did not rotate")
			}
			resp, m = e.refresh("", first.refresh)
			if resp.StatusCode != tc.status || m["error"] != "unauthorized_client" || m["error_description"] != "Old refresh token used." {
				t.Fatalf("old token: want %d unauthorized_client \"Old refresh token used.\", got %d %v", tc.status, resp.StatusCode, m)
			}
			// The previous access token is revoked by default.
			if resp, _ := e.api(first.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 401 {
				t.Fatalf("the previous access token still works: %d", resp.StatusCode)
			}
		})
	}
}

func TestRefreshGraceKeepsOldTokenUntilSuccessorUsed(t *testing.T) {
	e := newEnv(t, Options{RefreshGrace: true, KeepOldAccessToken: true}, 0, 0)
	first := e.login()
	e.clock.Advance(600 * time.Second)
	_, m := e.refresh("", first.refresh)
	second := m["refresh_token"].(string)
	if resp, _ := e.api(first.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 401 {
		// first.access expired by time anyway; this asserts nothing about revocation.
		t.Logf("old access token answered %d", resp.StatusCode)
	}
	e.clock.Advance(600 * time.Second)
	resp, m := e.refresh("", first.refresh)
	if resp.StatusCode != 200 {
		t.Fatalf("grace: the superseded token must work until its successor is used, got %d %v", resp.StatusCode, m)
	}
	third := m["refresh_token"].(string)
	e.clock.Advance(600 * time.Second)
	if resp, m := e.refresh("", third); resp.StatusCode != 200 {
		t.Fatalf("newest token: %d %v", resp.StatusCode, m)
	}
	e.clock.Advance(600 * time.Second)
	if resp, m := e.refresh("", second); resp.StatusCode != 401 {
		t.Fatalf("a token whose successor was used must fail, got %d %v", resp.StatusCode, m)
	}
}

func TestKeepOldAccessTokenSwitch(t *testing.T) {
	e := newEnv(t, Options{KeepOldAccessToken: true, TooEarlyWindow: time.Second}, 0, 0)
	first := e.login()
	e.clock.Advance(2 * time.Second)
	if resp, m := e.refresh("", first.refresh); resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %v", resp.StatusCode, m)
	}
	if resp, _ := e.api(first.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 200 {
		t.Fatalf("with the switch the previous access token lives until it expires, got %d", resp.StatusCode)
	}
}

func TestRefreshTooEarly(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	e.clock.Advance(569 * time.Second)
	resp, m := e.refresh("", tok.refresh)
	if resp.StatusCode != 400 || m["error"] != "access_denied" || m["error_description"] != "Rate limit exceeded: access_token not expired" {
		t.Fatalf("want 400 access_denied, got %d %v", resp.StatusCode, m)
	}
	if got := resp.Header.Get("Reason"); got != "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired" {
		t.Fatalf("Reason header = %q", got)
	}
	e.clock.Advance(time.Second)
	if resp, m := e.refresh("", tok.refresh); resp.StatusCode != 200 {
		t.Fatalf("at 570 s the refresh is allowed, and the too-early answer must not have spent the token: %d %v", resp.StatusCode, m)
	}
}

func TestRefreshTokenExpiresAfter30DaysUnused(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	e.clock.Advance(30*24*time.Hour + time.Second)
	resp := e.do(http.DefaultClient, "POST", e.srv.URL+"/api/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.refresh},
		"client_id": {e.app.ClientID.String()}, "client_secret": {e.app.Secret}}, nil)
	raw := readAll(t, resp)
	if resp.StatusCode != 400 || !strings.Contains(raw, `"error":"invalid_request"`) {
		t.Fatalf("want 400 invalid_request, got %d %s", resp.StatusCode, raw)
	}
	// 2026-06-25 14:24:00 plus 30 days; slashes escaped as Exact's serializer does.
	want := `The refresh token expired at 7\/25\/2026 2:24:00 PM and it is now 7\/25\/2026 2:24:01 PM.`
	if !strings.Contains(raw, want) {
		t.Fatalf("body %s\nwant description %s", raw, want)
	}
}

func TestTokenCallsCappedPerDay(t *testing.T) {
	e := newEnv(t, Options{TokenCallsPerDay: 3, TooEarlyWindow: time.Second}, 0, 0)
	tok := e.login() // call 1
	for i := 2; i <= 3; i++ {
		e.clock.Advance(2 * time.Second)
		resp, m := e.refresh("", tok.refresh)
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %v", i, resp.StatusCode, m)
		}
		tok.refresh = m["refresh_token"].(string)
	}
	e.clock.Advance(2 * time.Second)
	resp, m := e.refresh("", tok.refresh)
	if resp.StatusCode != 400 || m["error"] != "access_denied" {
		t.Fatalf("call 4: want the daily cap, got %d %v", resp.StatusCode, m)
	}
	e.clock.Advance(24 * time.Hour)
	if resp, m := e.refresh("", tok.refresh); resp.StatusCode != 200 {
		t.Fatalf("next day: %d %v", resp.StatusCode, m)
	}
}

func TestSecondIntegrationOnSameAppBreaksTheFirst(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	a := e.login() // replicator A
	e.clock.Advance(300 * time.Second)
	b := e.login() // replicator B consents with the same app and user
	e.clock.Advance(300 * time.Second)
	// A's token has expired; its refresh fails as in section 1.8.
	resp, m := e.refresh("", a.refresh)
	if resp.StatusCode != 401 || m["error_description"] != "Old refresh token used." {
		t.Fatalf("A after B consented: want 401 Old refresh token used., got %d %v", resp.StatusCode, m)
	}
	// B refreshes at 300 s after its consent: too early for the shared chain.
	resp, m = e.refresh("", b.refresh)
	if resp.StatusCode != 400 || resp.Header.Get("Reason") == "" {
		t.Fatalf("B too early: got %d %v", resp.StatusCode, m)
	}
	// The scenario hook does the same without a browser.
	e.clock.Advance(600 * time.Second)
	if !e.sim.SupersedeChain(e.app.ClientID, testUser) {
		t.Fatal("SupersedeChain found no chain")
	}
	e.clock.Advance(600 * time.Second)
	if resp, m := e.refresh("", b.refresh); resp.StatusCode != 401 {
		t.Fatalf("B after the hook: want 401, got %d %v", resp.StatusCode, m)
	}
}

func TestTokenIsBoundToItsHost(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	code := e.code("/be")
	if resp, m := e.exchange("", code); resp.StatusCode != 400 {
		t.Fatalf("a .be code exchanged on .nl: want 400, got %d %v", resp.StatusCode, m)
	}
	code = e.code("/be")
	resp, m := e.exchange("/be", code)
	if resp.StatusCode != 200 {
		t.Fatalf("exchange on .be: %d %v", resp.StatusCode, m)
	}
	access := m["access_token"].(string)
	if resp, _ := e.api(access, "GET", "/be/api/v1/current/Me", ""); resp.StatusCode != 200 {
		t.Fatalf("token on its own host: %d", resp.StatusCode)
	}
	for _, other := range []string{"", "/de", "/co.uk", "/com"} {
		if resp, _ := e.api(access, "GET", other+"/api/v1/current/Me", ""); resp.StatusCode != 401 {
			t.Fatalf("a .be token on %q: want 401, got %d", other, resp.StatusCode)
		}
	}
}

func TestTokenEndpointFaultsAreTargeted(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	// A rule without a path is for REST calls and leaves OAuth alone.
	if _, err := e.sim.AddFault(Fault{Kind: FaultStatus, Status: 503}); err != nil {
		t.Fatal(err)
	}
	tok := e.login()
	e.sim.ClearFaults(0)
	if _, err := e.sim.AddFault(Fault{Kind: FaultStatus, Status: 503, Count: 1, Path: "/api/oauth2/token"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(600 * time.Second)
	resp := e.do(http.DefaultClient, "POST", e.srv.URL+"/api/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.refresh},
		"client_id": {e.app.ClientID.String()}, "client_secret": {e.app.Secret}}, nil)
	readAll(t, resp)
	if resp.StatusCode != 503 {
		t.Fatalf("targeted token fault: want 503, got %d", resp.StatusCode)
	}
	if resp, m := e.refresh("", tok.refresh); resp.StatusCode != 200 {
		t.Fatalf("after the fault the same refresh token must still work: %d %v", resp.StatusCode, m)
	}
}

func TestConsentHelper(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	loc, err := Consent(context.Background(), nil, e.authorizeURL("/be", "st", nil), testUser, testPassword)
	if err != nil || loc.Query().Get("state") != "st" || !strings.Contains(loc.Query().Get("code"), "!") {
		t.Fatalf("consent: %v %v", loc, err)
	}
	if resp, m := e.exchange("/be", loc.Query().Get("code")); resp.StatusCode != 200 {
		t.Fatalf("exchange: %d %v", resp.StatusCode, m)
	}
	if _, err := Consent(context.Background(), nil, e.authorizeURL("", "st", nil), testUser, "wrong"); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
}
