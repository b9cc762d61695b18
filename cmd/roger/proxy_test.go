package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBehindAnHTTPSProxy runs "roger serve" as it runs behind a
// proxy that ends TLS: the requests come over plain http from 127.0.0.1,
// the public URL is https and the proxy is trusted. The session cookie is
// Secure and __Host-, and the failed sign-ins of one client behind the
// proxy do not lock out another.
func TestServeBehindAnHTTPSProxy(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"ROGER_DATA_DIR": filepath.Join(dir, "data"), "ROGER_ADDR": "127.0.0.1:0",
		"ROGER_PUBLIC_URL": "https://roger.example.com", "ROGER_TRUSTED_PROXIES": "127.0.0.1/32, ::1"}
	getenv := func(k string) string { return vars[k] }
	if out, err := run(t, getenv, "migrate"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := run(t, getenv, "user", "add", "--email", "anna@example.nl", "--create-org", "--password-file", writeFile(t, "a long enough password\n")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	base, _, _ := serveInstance(t, getenv)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn := func(email, pw, forwardedFor string) *http.Response {
		t.Helper()
		form := url.Values{"email": {email}, "password": {pw}}
		req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "roger.example.com"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := signIn("anna@example.nl", "a long enough password", "198.51.100.2")
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("sign-in: %d %v", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	if c := resp.Cookies()[0]; c.Name != "__Host-roger_session" || !c.Secure {
		t.Fatalf("cookie %s, Secure %v: want __Host-roger_session, Secure", c.Name, c.Secure)
	}
	for i := range 20 {
		if resp := signIn(fmt.Sprintf("guess%d@example.nl", i), "wrong", "198.51.100.1"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %d", i+1, resp.StatusCode)
		}
	}
	if resp := signIn("anna@example.nl", "a long enough password", "198.51.100.1"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the client with 20 failures: %d, want 429", resp.StatusCode)
	}
	if resp := signIn("anna@example.nl", "a long enough password", "198.51.100.2"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another client behind the same proxy: %d, want a sign-in", resp.StatusCode)
	}
}
