package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// formToken is the one-time token of the first form on a page, which a
// post of that form carries.
func formToken(t *testing.T, c *http.Client, page string) string {
	t.Helper()
	resp, err := c.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no form token on %s (%d)", page, resp.StatusCode)
	}
	return string(m[1])
}

// signIn posts the sign-in form and reports whether it was accepted.
func signIn(t *testing.T, c *http.Client, portal, email, password string) bool {
	t.Helper()
	resp, err := c.PostForm(portal+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusSeeOther
}

func TestDemoKeepsItsDataAndGivesANewPasswordAtEveryStart(t *testing.T) {
	dir := t.TempDir()
	first := startDemo(t, dir, "--records", "50", "--activity", "0")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if !signIn(t, c, first.portal, first.email, first.password) {
		t.Fatal("the printed password does not sign in")
	}
	resp, err := c.PostForm(first.portal+"/replicators", url.Values{"name": {"Kept"}, "entity": {"contacts"}, "exact_url": {first.sim},
		"form_token": {formToken(t, c, first.portal+"/replicators/new")}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create a replicator: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"roger.db", "secret.key", "exactsim.state"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the demo did not keep %s: %v", f, err)
		}
	}

	second := startDemo(t, dir, "--records", "50", "--activity", "0")
	if second.password == first.password {
		t.Fatal("the password did not change at the restart")
	}
	jar2, _ := cookiejar.New(nil)
	c2 := &http.Client{Jar: jar2, CheckRedirect: c.CheckRedirect}
	if signIn(t, c2, second.portal, first.email, first.password) {
		t.Fatal("the previous start's password still works")
	}
	if !signIn(t, c2, second.portal, second.email, second.password) {
		t.Fatal("the new password does not sign in")
	}
	resp, err = c2.Get(second.portal + "/replicators")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := new(strings.Builder)
	_, _ = io.Copy(body, resp.Body)
	if !strings.Contains(body.String(), "Kept") {
		t.Fatal("the replicator made before the restart is gone")
	}
	// The printed API key answers lookups; the previous start's does not.
	lookup := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, second.portal+"/api/v1/lookup?number=%2B31201234567", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := lookup(second.apiKey); got != http.StatusOK {
		t.Fatalf("lookup with the printed key: %d", got)
	}
	if got := lookup(first.apiKey); got != http.StatusUnauthorized {
		t.Fatalf("lookup with the previous start's key: %d", got)
	}
}
