package exact

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

func TestAuthCodeURL(t *testing.T) {
	tests := []struct {
		name       string
		base       string
		state      string
		force      bool
		wantPrefix string
		wantQuery  string
	}{
		{"nl", "https://start.exactonline.nl", "abc", false, "https://start.exactonline.nl/api/oauth2/auth?",
			"client_id=cid&redirect_uri=https%3A%2F%2Fportal.example.com%2Fcb%3Fr%3D1&response_type=code&state=abc"},
		{"trailing slash, force login", "https://start.exactonline.be/", "x y", true, "https://start.exactonline.be/api/oauth2/auth?",
			"client_id=cid&redirect_uri=https%3A%2F%2Fportal.example.com%2Fcb%3Fr%3D1&response_type=code&state=x+y&force_login=1"},
		{"simulator host", "http://127.0.0.1:8090/be", "", false, "http://127.0.0.1:8090/be/api/oauth2/auth?",
			"client_id=cid&redirect_uri=https%3A%2F%2Fportal.example.com%2Fcb%3Fr%3D1&response_type=code&state="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AuthCodeURL(Config{BaseURL: tc.base, ClientID: "cid", RedirectURL: "https://portal.example.com/cb?r=1"}, tc.state, tc.force)
			if want := tc.wantPrefix + tc.wantQuery; got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("redirect_uri") != "https://portal.example.com/cb?r=1" || q.Get("state") != tc.state || q.Get("response_type") != "code" {
				t.Fatalf("query does not round-trip: %v", q)
			}
			if q.Has("force_login") != tc.force {
				t.Fatalf("force_login present = %v, want %v", q.Has("force_login"), tc.force)
			}
		})
	}
}

// TestFullFlow drives login and consent in a browser from AuthCodeURL,
// exchanges the code, and reads Me and the divisions, on the Dutch host
// and on a country host.
func TestFullFlow(t *testing.T) {
	for _, prefix := range []string{"", "/be"} {
		t.Run("host"+prefix, func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, prefix, 0, 0)
			code := e.code()
			if !strings.Contains(code, "!") {
				t.Fatalf("the simulator's codes contain '!', got %q", code)
			}
			tok, err := Exchange(context.Background(), e.cfg, code)
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken == "" || !strings.Contains(tok.RefreshToken, "!") {
				t.Fatalf("token pair incomplete: %+v", tok)
			}
			if !tok.Expiry.Equal(testStart.Add(600*time.Second)) || !tok.Obtained.Equal(testStart) {
				t.Fatalf("expiry %v obtained %v, want %v and %v", tok.Expiry, tok.Obtained, testStart.Add(600*time.Second), testStart)
			}
			e.store.set(tok)

			// The code works once.
			_, err = Exchange(context.Background(), e.cfg, code)
			re := wantCode(t, err, roger.EINVALID)
			wantTokenKind(t, err, InvalidGrant)
			e.noSecrets(re.Error(), code)

			c := e.client()
			me, err := c.Me(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if me.CurrentDivision != testDivision || !strings.HasPrefix(me.UserName, testUser+"@") || me.UserID == "" || me.Email == "" || me.FullName == "" {
				t.Fatalf("Me = %+v", me)
			}
			divs, err := c.Divisions(context.Background(), me.CurrentDivision)
			if err != nil {
				t.Fatal(err)
			}
			if len(divs) != 2 || divs[0].Code != testDivision || divs[1].Code != testDivision2 || divs[0].Description == "" || !divs[0].DivisionMoveDate.IsZero() {
				t.Fatalf("Divisions = %+v", divs)
			}
			if c.Calls() != 2 {
				t.Fatalf("Calls = %d, want 2", c.Calls())
			}
			for _, a := range e.trace.accepts {
				if a != "application/json" {
					t.Fatalf("a request went without Accept: application/json (%q)", a)
				}
			}
		})
	}
}

func TestExchangeErrors(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	code := e.code()

	bad := e.cfg
	bad.ClientSecret = "not-the-secret"
	_, err := Exchange(context.Background(), bad, code)
	re := wantCode(t, err, roger.EINVALID)
	wantTokenKind(t, err, InvalidClient)
	if strings.Contains(re.Error(), "not-the-secret") || strings.Contains(re.Error(), code) {
		t.Fatalf("message leaks a secret: %v", re)
	}

	_, err = Exchange(context.Background(), e.cfg, "")
	wantCode(t, err, roger.EINVALID)

	// The code expires after three minutes.
	e.clk.Advance(181 * time.Second)
	_, err = Exchange(context.Background(), e.cfg, code)
	wantTokenKind(t, err, InvalidGrant)

	// Another host did not issue the code.
	e2 := newEnv(t, exactsim.Options{}, "", 0, 0)
	code2 := e2.code()
	cfg := e2.cfg
	cfg.BaseURL = e2.srv.URL + "/de"
	_, err = Exchange(context.Background(), cfg, code2)
	wantTokenKind(t, err, InvalidGrant)
}

func TestParseTokenResponse(t *testing.T) {
	sent := testStart
	received := testStart.Add(2 * time.Second)
	tests := []struct {
		name string
		body string
		ok   bool
		life time.Duration
	}{
		{"recorded form", `{"access_token":"gAAAA","token_type":"bearer","expires_in":"600","refresh_token":"4dCx!IAAAA"}`, true, 600 * time.Second},
		{"number expires_in, Bearer", `{"access_token":"a","token_type":"Bearer","expires_in":600,"refresh_token":"r"}`, true, 600 * time.Second},
		{"no token_type", `{"access_token":"a","expires_in":"300","refresh_token":"r"}`, true, 300 * time.Second},
		{"non-numeric expires_in", `{"access_token":"a","token_type":"bearer","expires_in":"soon","refresh_token":"r"}`, false, 0},
		{"missing expires_in", `{"access_token":"a","token_type":"bearer","refresh_token":"r"}`, false, 0},
		{"zero expires_in", `{"access_token":"a","token_type":"bearer","expires_in":"0","refresh_token":"r"}`, false, 0},
		{"missing refresh_token", `{"access_token":"a","token_type":"bearer","expires_in":"600"}`, false, 0},
		{"missing access_token", `{"token_type":"bearer","expires_in":"600","refresh_token":"r"}`, false, 0},
		{"other token type", `{"access_token":"a","token_type":"mac","expires_in":"600","refresh_token":"r"}`, false, 0},
		{"html", `<html>Object moved</html>`, false, 0},
		{"truncated", `{"access_token":"a","token_type":"bearer","expi`, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := parseTokenResponse([]byte(tc.body), sent, received)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if !tok.Expiry.Equal(sent.Add(tc.life)) || !tok.Obtained.Equal(received) {
				t.Fatalf("expiry %v obtained %v", tok.Expiry, tok.Obtained)
			}
		})
	}
}

// TestClassifyTokenError checks the classification on the bodies quoted
// in the reference (and the simulator's), independent of the simulator.
func TestClassifyTokenError(t *testing.T) {
	tests := []struct {
		status int
		body   string
		reason string
		want   TokenErrorKind
	}{
		{401, `{"error":"unauthorized_client","error_description":"Old refresh token used."}`, "", OldTokenUsed},
		{400, `{"error":"unauthorized_client","error_description":"Old refresh token used."}`, "", OldTokenUsed},
		{400, `{"error":"invalid_request","error_description":"The refresh token expired at 10\/11\/2022 9:18:20 PM and it is now 10\/28\/2022 4:15:50 PM."}`, "", RefreshExpired},
		{400, `{"error":"invalid_grant","error_description":"Token is not allowed, because of invalid or empty chainId"}`, "", InvalidGrant},
		{400, `{"error":"invalid_client","error_description":"Client authentication failed."}`, "", InvalidClient},
		{400, `{ "error":"access_denied","error_description":"Rate limit exceeded: access_token not expired" }`, "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired", TooEarly},
		{401, ``, "TooEarlyToRefreshTokens", TooEarly},
		{400, `{"error":"access_denied","error_description":"Rate limit exceeded: the maximum of 200 token requests per day has been reached."}`, "", RateLimited},
		{429, ``, "", RateLimited},
		{503, `{"error":{"code":"","message":{"lang":"","value":"Service Unavailable"}}}`, "", Transient},
		{500, `<html>oops</html>`, "", Transient},
		{400, `{"error":"invalid_request","error_description":"grant_type is missing."}`, "", Unexpected},
		{418, `teapot`, "", Unexpected},
	}
	for _, tc := range tests {
		te := classifyTokenError(tc.status, []byte(tc.body), tc.reason)
		if te.Kind != tc.want {
			t.Errorf("%d %s: kind %s, want %s", tc.status, tc.body, te.Kind, tc.want)
		}
		if te.NeedsReauthorization() != (tc.want == OldTokenUsed || tc.want == RefreshExpired || tc.want == InvalidGrant || tc.want == InvalidClient) {
			t.Errorf("%s: NeedsReauthorization wrong", tc.want)
		}
		if te.Error() == "" {
			t.Errorf("%s: empty message", tc.want)
		}
	}
}
