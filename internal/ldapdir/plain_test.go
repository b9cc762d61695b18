package ldapdir

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// Off loopback a key is not taken in clear: the bind is refused until
// the connection is encrypted. Tests listen on loopback only, so the
// listener is told it is not.
func TestPlainBindOffLoopbackIsRefused(t *testing.T) {
	s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
	org := &roger.Organization{Name: "Voorbeeld", DefaultCountry: "NL"}
	if err := s.CreateOrganization(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	k, key, err := s.CreateKey(context.Background(), org.ID, "phones", roger.APIKeyLDAP, false)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Keys: s, Orgs: s})
	defer srv.Close()
	addr, err := srv.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	srv.served[0].plainOK = false
	srv.mu.Unlock()
	c, err := ldap.DialURL("ldap://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Bind(BindDN(k), key)
	if !ldap.IsErrorWithCode(err, ldap.LDAPResultConfidentialityRequired) {
		t.Fatalf("bind in clear off loopback: %v, want confidentialityRequired", err)
	}
	if isLoopback("10.0.0.1") || !isLoopback("127.0.0.1") || !isLoopback("::1") || !isLoopback("localhost") {
		t.Error("isLoopback")
	}
}
