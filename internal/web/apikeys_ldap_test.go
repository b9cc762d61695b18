package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

func TestPhoneKeyShowsTheLDAPSettingsOnce(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	made := a.post("/integrations/keys", url.Values{"name": {"Yealink phones"}, "kind": {"ldap"}, "national": {"1"}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("creating a phone key: %d, want a redirect to the page that shows it once", made.status)
	}
	pg := a.get(made.location)
	key := regexpFind(t, pg.body, `id="new-key-value" value="([^"]+)"`)
	bindDN := regexpFind(t, pg.body, `id="ldap-bind-dn" value="([^"]+)"`)
	if !strings.HasPrefix(bindDN, "cn="+key[:12]+",ou=phones,o=") || !strings.Contains(pg.body, "ou=directory,o=") {
		t.Fatalf("bind DN %q, page:\n%s", bindDN, pg.text())
	}
	k, err := p.store.AuthenticateKey(context.Background(), key, roger.APIKeyLDAP)
	if err != nil || k.OrgID != p.orgA.ID || !k.NationalForm || k.Kind != roger.APIKeyLDAP {
		t.Fatalf("the phone key: %+v, %v", k, err)
	}
	if _, err := p.store.AuthenticateAPIKey(context.Background(), key); roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
		t.Fatalf("a phone key opens the lookup API: %v", err)
	}
	list := a.get("/integrations")
	if strings.Contains(list.body, key) || !strings.Contains(list.text(), "phones (LDAP), national numbers") {
		t.Fatalf("the list shows the key, or not its kind:\n%s", list.text())
	}
	if pg := a.post("/integrations/keys", url.Values{"name": {"x"}, "kind": {"fax"}}); pg.status != http.StatusBadRequest {
		t.Fatalf("unknown kind: %d", pg.status)
	}
}
