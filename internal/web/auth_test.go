package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignInStartsASessionBehindAHostCookie(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	if pg := b.get("/replicators"); pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.location, "/login?next=%2Freplicators") {
		t.Fatalf("signed out: %d %q", pg.status, pg.location)
	}
	pg := b.signIn(" Alpha@Example.nl ", adminPassword)
	if pg.status != http.StatusSeeOther || pg.location != "/replicators" {
		t.Fatalf("sign in: %d %q %s", pg.status, pg.location, pg.text())
	}
	set := pg.header.Get("Set-Cookie")
	for _, want := range []string{secureCookieName + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Domain=") {
		t.Errorf("a __Host- cookie must not name a domain: %q", set)
	}
	if pg := b.get("/replicators"); pg.status != http.StatusOK || !strings.Contains(pg.body, "Alpha contacts") {
		t.Fatalf("signed in: %d", pg.status)
	}
	first := b.cookie().Value

	// A new sign-in gets a new session id; the old one stops working.
	b.signIn("alpha@example.nl", adminPassword)
	if second := b.cookie().Value; second == first {
		t.Fatal("signing in again kept the session id")
	}
	stale := p.browser()
	u, _ := url.Parse(p.srv.URL)
	stale.client.Jar.SetCookies(u, []*http.Cookie{{Name: secureCookieName, Value: first, Path: "/"}})
	if pg := stale.get("/replicators"); pg.status != http.StatusSeeOther {
		t.Fatalf("the session before the second sign-in still works: %d", pg.status)
	}

	// Sign-out ends the session on the server, not only in the browser.
	kept := b.cookie().Value
	pg = b.post("/logout", nil)
	if pg.status != http.StatusSeeOther || pg.location != "/login?done=signedout" {
		t.Fatalf("sign out: %d %q", pg.status, pg.location)
	}
	// The page signed out to says so.
	if out := b.get(pg.location); !strings.Contains(out.body, "You are signed out.") {
		t.Fatalf("the sign-in page after signing out says nothing about it: %s", out.body)
	}
	replay := p.browser()
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: secureCookieName, Value: kept, Path: "/"}})
	if pg := replay.get("/replicators"); pg.status != http.StatusSeeOther {
		t.Fatalf("a signed-out session's cookie still opens pages: %d", pg.status)
	}
}

func TestSignInRefusalsDoNotTellWhichAccountsExist(t *testing.T) {
	p := newPortal(t)
	wrong := p.browser().signIn("alpha@example.nl", "not the password")
	unknown := p.browser().signIn("nobody@example.nl", "not the password")
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized {
		t.Fatalf("statuses %d and %d, want 401", wrong.status, unknown.status)
	}
	if !strings.Contains(wrong.body, wrongCredentials) || !strings.Contains(unknown.body, wrongCredentials) {
		t.Fatalf("messages differ or are missing:\n%s\n%s", wrong.text(), unknown.text())
	}
	if pg := p.browser().signIn("alpha@example.nl", ""); pg.status != http.StatusBadRequest {
		t.Fatalf("empty password: %d", pg.status)
	}
}

func TestSignInThrottling(t *testing.T) {
	p := newPortal(t)
	for _, email := range []string{"alpha@example.nl", "nobody@example.nl"} {
		b := p.browser()
		for i := range 5 {
			if pg := b.signIn(email, "guess"); pg.status != http.StatusUnauthorized {
				t.Fatalf("%s attempt %d: %d", email, i+1, pg.status)
			}
		}
		// Now even the right password waits, for a real and an unknown
		// account alike.
		pg := b.signIn(email, adminPassword)
		if pg.status != http.StatusTooManyRequests || !strings.Contains(pg.text(), "Too many failed sign-ins. Wait 15 minutes") || pg.header.Get("Retry-After") != "900" {
			t.Fatalf("%s after 5 failures: %d %q %s", email, pg.status, pg.header.Get("Retry-After"), pg.text())
		}
	}
	p.clock.Advance(15 * time.Minute)
	if pg := p.browser().signIn("alpha@example.nl", adminPassword); pg.status != http.StatusSeeOther {
		t.Fatalf("after the window: %d", pg.status)
	}
}

func TestSignInThrottlingPerAddress(t *testing.T) {
	p := newPortal(t)
	p.site.Throttle.PerIP = 3
	b := p.browser()
	for i, email := range []string{"a@example.nl", "b@example.nl", "c@example.nl"} {
		if pg := b.signIn(email, "guess"); pg.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, pg.status)
		}
	}
	if pg := b.signIn("beta@example.nl", adminPassword); pg.status != http.StatusTooManyRequests {
		t.Fatalf("a fourth account from the same address: %d", pg.status)
	}
}

func TestSessionTimeouts(t *testing.T) {
	p := newPortal(t)
	b := p.admin("Alpha")
	// Active every hour: the idle timeout (2 h) never hits, the absolute
	// one (12 h) does.
	for h := 1; h <= 11; h++ {
		p.clock.Advance(time.Hour)
		if pg := b.get("/replicators"); pg.status != http.StatusOK {
			t.Fatalf("after %d active hours: %d", h, pg.status)
		}
	}
	p.clock.Advance(61 * time.Minute)
	if pg := b.get("/replicators"); pg.status != http.StatusSeeOther {
		t.Fatalf("a session older than 12 hours still works: %d", pg.status)
	}
	idle := p.admin("Alpha")
	p.clock.Advance(2*time.Hour + time.Minute)
	if pg := idle.get("/replicators"); pg.status != http.StatusSeeOther {
		t.Fatalf("a session idle for more than 2 hours still works: %d", pg.status)
	}
}

// TestSignInRedirectStaysOnSite signs in with next parameters as they
// arrive in the sign-in page's address (encoded once more, as the sign-in
// guard sends them) and checks where the browser is sent.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	p := newPortal(t)
	for _, tc := range []struct {
		name, query, want string
	}{
		{"no next", "", "/replicators"},
		{"a page", "next=/replicators/3", "/replicators/3"},
		{"a page with a query", "next=%2Fdirectory%3Fq%3Djan%26page%3D2", "/directory?q=jan&page=2"},
		{"a query with an escaped space", "next=%2Fdirectory%3Fq%3Djan%2520de%2520vries", "/directory?q=jan%20de%20vries"},
		{"tab after the slash", "next=/%09/evil.example/", "/"},
		{"vertical tab", "next=/%0B/evil.example/", "/"},
		{"newline", "next=/%0A/evil.example/", "/"},
		{"carriage return", "next=/%0D/evil.example/", "/"},
		{"NUL", "next=/%00/evil.example/", ""},
		{"line separator", "next=/%E2%80%A8/evil.example/", "/"},
		{"backslash after the slash", "next=/%5Cevil.example/", "/"},
		{"backslash and slash", "next=/%5C/evil.example/", "/"},
		{"two backslashes", "next=%5C%5Cevil.example/", "/"},
		{"backslash inside", "next=/replicators%5C..%5C..%5Cevil", "/"},
		{"scheme-relative", "next=//evil.example/", "/"},
		{"scheme-relative, encoded", "next=%2F%2Fevil.example%2F", "/"},
		{"escaped slashes in the path", "next=/%252F%252Fevil.example", "/"},
		{"escaped backslash in the path", "next=/%255Cevil.example", "/"},
		{"absolute URL", "next=https://evil.example/", "/"},
		{"absolute URL, encoded", "next=https%3A%2F%2Fevil.example%2F", "/"},
		{"scheme without slashes", "next=https:evil.example", "/"},
		{"javascript", "next=javascript:alert(1)", "/"},
		{"relative path", "next=evil.example", "/"},
		{"user info", "next=//user@evil.example", "/"},
		{"invalid UTF-8", "next=/%FF", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"email": {"alpha@example.nl"}, "password": {adminPassword}, "next": {q.Get("next")}}
			resp := roundTrip(t, p, http.MethodPost, "/login", strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded",
				"Sec-Fetch-Site", "same-origin", "Origin", p.srv.URL)
			if tc.want == "" {
				// Bytes no form may hold are refused before sign-in, for
				// this field as for any other: no redirect at all.
				if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusBadRequest || got != "" {
					t.Fatalf("sign-in with ?%s: %d to %q, want 400 and no redirect", tc.query, resp.StatusCode, got)
				}
				return
			}
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
				t.Fatalf("sign-in with ?%s: %d to %q, want %q", tc.query, resp.StatusCode, got, tc.want)
			}
			// Signed in, the sign-in page sends the browser on the same way.
			cookie := resp.Cookies()[0]
			resp = roundTrip(t, p, http.MethodGet, "/login?"+tc.query, nil, "Cookie", cookie.Name+"="+cookie.Value)
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
				t.Fatalf("signed-in GET /login?%s: %d to %q, want %q", tc.query, resp.StatusCode, got, tc.want)
			}
		})
	}
}

// roundTrip sends one request and returns the response as it came,
// without the client's reading of a Location header (which refuses the
// control characters a browser would quietly drop).
func roundTrip(t *testing.T, p *portal, method, path string, body io.Reader, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, p.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			if header[i+1] != "" {
				req.Host = header[i+1]
			}
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := p.srv.Client().Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestCrossOriginStateChangesAreRefused(t *testing.T) {
	p := newPortal(t)
	b := p.admin("Alpha")
	form := url.Values{"name": {"Planted"}, "entity": {"accounts"}, "exact_url": {"https://start.exactonline.nl"}}
	pg := b.do(http.MethodPost, "/replicators", form, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if pg.status != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", pg.status)
	}
	list, _ := p.store.ListReplicators(t.Context(), p.orgA.ID)
	if len(list) != 1 {
		t.Fatalf("a cross-site post created a replicator: %d replicators", len(list))
	}
	if pg := b.post("/replicators", form); pg.status != http.StatusSeeOther {
		t.Fatalf("same-origin post: %d %s", pg.status, pg.text())
	}
}

func TestSecurityHeaders(t *testing.T) {
	p := newPortal(t)
	b := p.admin("Alpha")
	for _, path := range []string{"/login", "/replicators", "/replicators/" + itoa(p.repA.ID)} {
		pg := b.get(path)
		if path == "/login" {
			pg = p.browser().get(path)
		}
		csp := pg.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if pg.header.Get("X-Content-Type-Options") != "nosniff" || pg.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, pg.header)
		}
		if strings.Contains(pg.body, "<script>") || strings.Contains(pg.body, " style=\"") || strings.Contains(pg.body, " onclick=") {
			t.Errorf("%s has inline script or style, which the CSP blocks", path)
		}
	}
}

func TestNoStateChangeOnGET(t *testing.T) {
	p := newPortal(t)
	b := p.admin("Alpha")
	id := itoa(p.repA.ID)
	for _, path := range []string{"/logout", "/replicators/" + id + "/credentials", "/replicators/" + id + "/authorize", "/replicators/" + id + "/settings",
		"/replicators/" + id + "/sync", "/replicators/" + id + "/pause", "/replicators/" + id + "/resume", "/replicators/" + id + "/delete", "/admins/x"} {
		if pg := b.get(path); pg.status != http.StatusMethodNotAllowed && pg.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 405", path, pg.status)
		}
	}
	if _, err := p.store.FindReplicator(t.Context(), p.orgA.ID, p.repA.ID); err != nil {
		t.Fatal("a GET deleted the replicator")
	}
}

func TestSweepSessions(t *testing.T) {
	p := newPortal(t)
	stale := p.admin("Alpha")
	p.clock.Advance(3 * time.Hour)
	fresh := p.admin("Beta")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.site.SweepSessions(ctx, time.Hour); close(done) }()
	// The first sweep runs at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := p.store.FindSession(context.Background(), hashToken(stale.cookie().Value)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweep left a session idle for 3 hours")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if _, err := p.store.FindSession(context.Background(), hashToken(fresh.cookie().Value)); err != nil {
		t.Fatalf("the sweep removed a live session: %v", err)
	}
}

func TestWaitText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   time.Duration
		want string
	}{
		{"seconds", 5 * time.Second, "5 seconds"},
		{"one second", 300 * time.Millisecond, "1 second"},
		{"a minute", 59*time.Second + time.Millisecond, "1 minute"},
		{"minutes rounded up", 14*time.Minute + time.Second, "15 minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := waitText(tc.in); got != tc.want {
				t.Fatalf("waitText(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
