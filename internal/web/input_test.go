package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Text no database of roger's can store, in any form or query of the
// portal, is a 400 that says which field holds what, never a 500 and
// never stored; the value itself is not repeated.
func TestUnstorableInputIsRefused(t *testing.T) {
	p := newPortal(t)
	admin := p.admin("Alpha")
	rep := "/replicators/" + itoa(p.repA.ID)
	cases := []struct {
		name     string
		signedIn bool
		method   string
		path     string
		form     url.Values
		want     string
	}{
		{"replicator name with NUL", true, http.MethodPost, "/replicators",
			url.Values{"name": {"Nul\x00Byte"}, "entity": {"contacts"}, "exact_url": {"https://start.exactonline.nl"}}, `field “name” holds a NUL character`},
		{"admin e-mail with NUL", true, http.MethodPost, "/admins", url.Values{"email": {"anna\x00@example.nl"}}, `field “email” holds a NUL character`},
		{"API key name with NUL", true, http.MethodPost, "/integrations/keys", url.Values{"name": {"key\x00"}}, `field “name” holds a NUL character`},
		{"Contact URL not UTF-8", true, http.MethodPost, rep + "/settings",
			url.Values{"contact_url": {"https://start.exactonline.nl/\xff"}, "country": {"NL"}, "interval": {"5"}}, `field “contact_url” holds bytes that are not UTF-8 text`},
		{"search with NUL", true, http.MethodGet, "/directory?q=Jan%00", nil, `query parameter “q” holds a NUL character`},
		{"search not UTF-8", true, http.MethodGet, "/directory?q=%FF%FE", nil, `query parameter “q” holds bytes that are not UTF-8 text`},
		{"Contact URL check with NUL", true, http.MethodGet, rep + "/contact-url?template=%00", nil, `query parameter “template” holds a NUL character`},
		{"field name with NUL", true, http.MethodPost, "/integrations/keys", url.Values{"na\x00me": {"key"}}, `The name of a field holds a NUL character`},
		{"sign-in password with NUL", false, http.MethodPost, "/login", url.Values{"email": {"alpha@example.nl"}, "password": {"secret\x00pass"}}, `field “password” holds a NUL character`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := p.browser()
			if c.signedIn {
				b = admin
			}
			pg := b.do(c.method, c.path, c.form)
			if pg.status != http.StatusBadRequest {
				t.Fatalf("status %d; want 400:\n%s", pg.status, pg.text())
			}
			if !strings.Contains(pg.text(), c.want) {
				t.Errorf("the page does not say %q:\n%s", c.want, pg.text())
			}
			for _, vs := range c.form {
				for _, v := range vs {
					if unstorable(v) != "" && strings.Contains(pg.body, v) {
						t.Errorf("the page repeats the value %q", v)
					}
				}
			}
		})
	}
	// Nothing was stored on the way.
	keys, err := p.store.ListAPIKeys(t.Context(), p.orgA.ID)
	if err != nil || len(keys) != 0 {
		t.Errorf("API keys after the refusals: %v %v", keys, err)
	}
	reps, err := p.store.ListReplicators(t.Context(), p.orgA.ID)
	if err != nil || len(reps) != 1 {
		t.Errorf("replicators after the refusals: %d %v", len(reps), err)
	}
}
