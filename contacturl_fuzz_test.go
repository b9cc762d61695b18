package roger

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseContactURL: whatever an admin pastes, ParseContactURL never
// panics, and a template it accepts renders, for any record, a URL that
// parses, on the template's own host, with the record's values escaped so
// that they add no query parameter, path segment or fragment.
func FuzzParseContactURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, tmpl, sourceID, companyID string, division int) {
		c, err := ParseContactURL(tmpl)
		if err != nil {
			if ErrorCodeOf(err) != EINVALID || ErrorMessage(err) == "" {
				t.Fatalf("a refusal without a message for the admin: %v", err)
			}
			return
		}
		if c.Template != strings.TrimSpace(tmpl) {
			t.Fatalf("Template %q is not the trimmed input %q", c.Template, tmpl)
		}
		again, err := ParseContactURL(c.Template)
		if err != nil || *again != *c {
			t.Fatalf("the accepted template parses differently again: %+v %v, first %+v", again, err, c)
		}
		probe := c.Render("x", "x", 1)
		rendered := c.Render(sourceID, companyID, division)
		p, err := url.Parse(probe)
		if err != nil {
			t.Fatalf("the template with plain values is no URL: %q: %v", probe, err)
		}
		u, err := url.Parse(rendered)
		if err != nil {
			t.Fatalf("the link for a record is no URL: %q: %v", rendered, err)
		}
		if got := u.Scheme + "://" + u.Host; got != c.Host {
			t.Fatalf("the link for a record goes to %s, not the template's %s: %q", got, c.Host, rendered)
		}
		if p.Scheme+"://"+p.Host != c.Host {
			t.Fatalf("the template with plain values goes to %s://%s, not %s", p.Scheme, p.Host, c.Host)
		}
		for _, sep := range "/?#&=@:;" {
			if strings.Count(rendered, string(sep)) != strings.Count(probe, string(sep)) {
				t.Fatalf("a record's values added a %q to the link: %q, with plain values %q", sep, rendered, probe)
			}
		}
	})
}
