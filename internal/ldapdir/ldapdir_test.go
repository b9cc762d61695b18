package ldapdir_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/ldapdir"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// eachDatabase runs fn on SQLite and, when ROGER_TEST_POSTGRES names a
// server, on PostgreSQL.
func eachDatabase(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
		fn(t, s)
	})
	if pg := sqltest.Postgres(t); pg != "" {
		t.Run("postgres", func(t *testing.T) {
			s, _ := storetest.Open(t, sqltest.FreshPostgres(t, pg), clock.System{})
			fn(t, s)
		})
	}
}

// org is an organisation with one replicator of contacts.
type org struct {
	t     testing.TB
	s     *sqlstore.Store
	org   *roger.Organization
	rep   *roger.Replicator
	stamp int64
}

func newOrg(t testing.TB, s *sqlstore.Store, name string) *org {
	t.Helper()
	ctx := context.Background()
	o := &roger.Organization{Name: name, DefaultCountry: "NL"}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	r := &roger.Replicator{OrgID: o.ID, Name: name + " contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", Division: 123456, ClientID: name + "-client",
		ContactURL: "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456", Interval: time.Hour, State: roger.StateActive}
	if err := s.CreateReplicator(ctx, r); err != nil {
		t.Fatal(err)
	}
	return &org{t: t, s: s, org: o, rep: r}
}

// contact is a contact with numbers in the fields Phone, Mobile,
// BusinessPhone, in that order.
func contact(id, name, company string, numbers ...string) roger.Entry {
	e := roger.Entry{Kind: roger.KindContact, SourceID: id, CompanyID: "c-" + company, DisplayName: name, CompanyName: company,
		Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", SourceModified: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	for i, n := range numbers {
		e164, ext, _ := strings.Cut(n, " x")
		e.Numbers = append(e.Numbers, roger.Number{Field: []string{"Phone", "Mobile", "BusinessPhone"}[i%3], Raw: n, E164: e164, Extension: ext, Status: roger.NumberOK})
	}
	return e
}

func account(id, name string, numbers ...string) roger.Entry {
	e := contact(id, name, name, numbers...)
	e.Kind, e.CompanyID, e.Email = roger.KindAccount, "c-"+name, ""
	return e
}

func (o *org) put(entries ...roger.Entry) {
	o.t.Helper()
	for start := 0; start < len(entries); start += 1000 {
		page := entries[start:min(start+1000, len(entries))]
		for i := range page {
			o.stamp++
			page[i].SourceTimestamp = o.stamp
		}
		if _, err := o.s.ApplyPage(context.Background(), roger.Page{ReplicatorID: o.rep.ID, OrgID: o.org.ID, Upserts: page, Cursor: o.stamp}); err != nil {
			o.t.Fatal(err)
		}
	}
}

// key makes an LDAP key of the organisation and returns its bind DN and
// password.
func (o *org) key(national bool) (dn, password string, k *roger.APIKey) {
	o.t.Helper()
	k, password, err := o.s.CreateKey(context.Background(), o.org.ID, "desk phones", roger.APIKeyLDAP, national)
	if err != nil {
		o.t.Fatal(err)
	}
	return ldapdir.BindDN(k), password, k
}

// server starts an LDAP server on loopback over the store's directory,
// loaded, and returns its address.
func server(t testing.TB, s *sqlstore.Store, opts ldapdir.Options) (*ldapdir.Server, string, *dirindex.Index) {
	t.Helper()
	idx := dirindex.New(s, dirindex.Options{})
	if err := idx.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	opts.Keys, opts.Directory, opts.Orgs = s, idx, s
	opts.Numbers = lookup.New(s, lookup.Options{Numbers: idx})
	srv := ldapdir.New(opts)
	addr, err := srv.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, addr, idx
}

func dial(t testing.TB, addr string) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL("ldap://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func bound(t testing.TB, addr, dn, password string) *ldap.Conn {
	t.Helper()
	c := dial(t, addr)
	if err := c.Bind(dn, password); err != nil {
		t.Fatalf("bind as %s: %v", dn, err)
	}
	return c
}

// cns searches under base and returns the cn of every entry, sorted.
func cns(t testing.TB, c *ldap.Conn, base, filter string, attrs ...string) []string {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s: %v", filter, err)
	}
	out := []string{}
	for _, e := range res.Entries {
		if cn := e.GetAttributeValue("cn"); cn != "" {
			out = append(out, cn)
		}
	}
	slices.Sort(out)
	return out
}

func resultCode(err error) uint16 {
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode
	}
	return 0
}

// seedVoorbeeld is the directory most tests search.
func seedVoorbeeld(o *org) {
	o.put(
		contact("a", "Jan de Vries", "Voorbeeld B.V.", "+31201234567", "+31612345678"),
		contact("b", "Janneke Bakker", "Bakkerij Janssen", "+31205550101 x12"),
		contact("c", "Piet Jansen", "Voorbeeld B.V.", "+31201234500"),
		contact("d", "Émile Dupont", "Société Générale", "+33142345678"),
		account("e", "Müller GmbH", "+4989123456"),
		contact("f", "Karin Mol", "Mol Techniek", "", "+31687654321"),
	)
}

// The filters phones and PBXs send by default, with % replaced by what
// the phone searches for: as a name search, the text typed so far; as a
// number search, the caller's number as the phone received it. The
// defaults are as documented in the manuals named. Yealink's match its
// T4x administrator guide's ldap.name_filter and ldap.number_filter
// examples (the Directory > LDAP chapter, e.g. the T40G edition); the
// snom and 3CX ones are written from their documentation as remembered
// and should be compared with the current editions when a phone behaves
// differently.
var phoneFilters = []struct {
	source string // where the default is documented
	name   string
	filter string
	want   []string
}{
	{"Yealink SIP-T4x Administrator Guide, LDAP: LDAP Name Filter (|(cn=%)(sn=%)), typed text with *", "yealink name",
		"(|(cn=Jan*)(sn=Jan*))", []string{"Jan de Vries", "Janneke Bakker", "Piet Jansen"}},
	{"Yealink SIP-T4x Administrator Guide, LDAP: LDAP Number Filter (|(telephoneNumber=%)(mobile=%)(ipPhone=%))", "yealink number, national",
		"(|(telephoneNumber=0612345678)(mobile=0612345678)(ipPhone=0612345678))", []string{"Jan de Vries"}},
	{"Yealink SIP-T4x Administrator Guide, as above; the caller ID a Dutch trunk gives", "yealink number, 0031",
		"(|(telephoneNumber=0031201234567)(mobile=0031201234567)(ipPhone=0031201234567))", []string{"Jan de Vries"}},
	{"snom Wiki, ldap_search_filter: (&(telephoneNumber=*)(sn=%))", "snom name",
		"(&(telephoneNumber=*)(sn=Bak*))", []string{"Janneke Bakker"}},
	{"snom Wiki, ldap_number_filter: (&(telephoneNumber=%)(sn=*))", "snom number",
		"(&(telephoneNumber=+31 20 555 0101)(sn=*))", []string{"Janneke Bakker"}},
	{"3CX Administrator Manual, phone provisioning templates: LDAP name filter (|(cn=%)(sn=%)(o=%))", "3cx name",
		"(|(cn=voorb*)(sn=voorb*)(o=voorb*))", []string{"Jan de Vries", "Piet Jansen"}},
	{"3CX Administrator Manual, phone provisioning templates: LDAP number filter (|(telephoneNumber=%)(mobile=%)(homePhone=%))", "3cx number",
		"(|(telephoneNumber=+31687654321)(mobile=+31687654321)(homePhone=+31687654321))", []string{"Karin Mol"}},
	{"the lookup API's rules: a direct dial under a company's main number", "direct dial",
		"(|(telephoneNumber=+49 89 1234 5678)(mobile=+49 89 1234 5678))", []string{"Müller GmbH"}},
	{"RFC 4515 substring, anywhere in the name", "contains",
		"(cn=*jans*)", []string{"Piet Jansen"}},
	{"RFC 4515 negation and presence", "not",
		"(&(objectClass=inetOrgPerson)(!(o=Voorbeeld*))(mobile=*))", []string{"Karin Mol"}},
	{"case and accents as written", "accents",
		"(givenName=émile)", []string{"Émile Dupont"}},
	{"a number nobody has", "unknown number",
		"(telephoneNumber=0301234567)", []string{}},
}

func TestPhoneFilters(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *sqlstore.Store) {
		o := newOrg(t, s, "Voorbeeld")
		seedVoorbeeld(o)
		dn, pw, _ := o.key(false)
		_, addr, _ := server(t, s, ldapdir.Options{})
		c := bound(t, addr, dn, pw)
		for _, tc := range phoneFilters {
			t.Run(tc.name, func(t *testing.T) {
				got := cns(t, c, ldapdir.BaseDN(o.org.ID), tc.filter)
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s (%s): got %q, want %q", tc.filter, tc.source, got, tc.want)
				}
			})
		}
	})
}

func TestEntryAttributes(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *sqlstore.Store) {
		o := newOrg(t, s, "Voorbeeld")
		seedVoorbeeld(o)
		_, addr, _ := server(t, s, ldapdir.Options{})
		for _, tc := range []struct {
			national bool
			phone    string
		}{{false, "+31201234567"}, {true, "0201234567"}} {
			dn, pw, _ := o.key(tc.national)
			c := bound(t, addr, dn, pw)
			res, err := c.Search(ldap.NewSearchRequest(ldapdir.BaseDN(o.org.ID), ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
				"(mobile=06-12345678)", nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Entries) != 1 {
				t.Fatalf("national %v: %d entries", tc.national, len(res.Entries))
			}
			e := res.Entries[0]
			for attr, want := range map[string]string{"cn": "Jan de Vries", "sn": "de Vries", "givenName": "Jan", "o": "Voorbeeld B.V.",
				"telephoneNumber": tc.phone, "description": "contact", "mail": "jan.de.vries@example.com",
				"labeledURI": "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7ba%7d&_Division_=123456 CRM"} {
				if got := e.GetAttributeValue(attr); got != want {
					t.Errorf("national %v: %s = %q, want %q", tc.national, attr, got, want)
				}
			}
			if !slices.Contains(e.GetAttributeValues("objectClass"), "inetOrgPerson") {
				t.Errorf("objectClass %q", e.GetAttributeValues("objectClass"))
			}
			if !strings.HasSuffix(e.DN, ","+ldapdir.BaseDN(o.org.ID)) {
				t.Errorf("DN %q", e.DN)
			}
		}
	})
}

func TestPagedDownloadOf10000Entries(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *sqlstore.Store) {
		o := newOrg(t, s, "Voorbeeld")
		var entries []roger.Entry
		for i := range 10_000 {
			entries = append(entries, contact(fmt.Sprintf("p%05d", i), fmt.Sprintf("Person %05d", i), "Voorbeeld B.V.", fmt.Sprintf("+3120%07d", 1_000_000+i)))
		}
		o.put(entries...)
		dn, pw, _ := o.key(false)
		_, addr, _ := server(t, s, ldapdir.Options{})
		c := bound(t, addr, dn, pw)
		res, err := c.SearchWithPaging(ldap.NewSearchRequest(ldapdir.BaseDN(o.org.ID), ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=inetOrgPerson)", []string{"cn", "telephoneNumber"}, nil), 500)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range res.Entries {
			seen[e.GetAttributeValue("cn")] = true
		}
		if len(res.Entries) != 10_000 || len(seen) != 10_000 {
			t.Fatalf("%d entries, %d distinct; want 10000", len(res.Entries), len(seen))
		}
		// Without paging the server's size limit holds, and says so.
		_, err = c.Search(ldap.NewSearchRequest(ldapdir.BaseDN(o.org.ID), ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=*)", []string{"cn"}, nil))
		if resultCode(err) != ldap.LDAPResultSizeLimitExceeded {
			t.Fatalf("unpaged: %v, want sizeLimitExceeded", err)
		}
		res, err = c.Search(ldap.NewSearchRequest(ldapdir.BaseDN(o.org.ID), ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 7, 0, false,
			"(cn=Person 000*)", []string{"cn"}, nil))
		if resultCode(err) != ldap.LDAPResultSizeLimitExceeded || res == nil || len(res.Entries) != 7 {
			t.Fatalf("size limit 7: %v, %v", err, res)
		}
	})
}

func TestRevokedKeyIsRefused(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *sqlstore.Store) {
		o := newOrg(t, s, "Voorbeeld")
		seedVoorbeeld(o)
		dn, pw, k := o.key(false)
		// A server that checks the key at every search.
		_, addr, _ := server(t, s, ldapdir.Options{KeyRecheck: -1})
		open := bound(t, addr, dn, pw)
		if got := cns(t, open, ldapdir.BaseDN(o.org.ID), "(cn=Jan*)"); len(got) == 0 {
			t.Fatal("nothing found before the revocation")
		}
		if err := s.RevokeAPIKey(context.Background(), o.org.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		// A connection that stays open is refused from its next search.
		_, err := open.Search(ldap.NewSearchRequest(ldapdir.BaseDN(o.org.ID), ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, "(cn=Jan*)", nil, nil))
		if resultCode(err) != ldap.LDAPResultInsufficientAccessRights {
			t.Fatalf("search on a connection bound with a revoked key: %v", err)
		}
		if err := dial(t, addr).Bind(dn, pw); resultCode(err) != ldap.LDAPResultInvalidCredentials {
			t.Fatalf("bind with a revoked key: %v, want invalidCredentials", err)
		}
		// A fresh server has no memory of the key: the revocation is
		// read from the database.
		_, addr2, _ := server(t, s, ldapdir.Options{})
		err = dial(t, addr2).Bind(dn, pw)
		if resultCode(err) != ldap.LDAPResultInvalidCredentials {
			t.Fatalf("bind with a revoked key: %v, want invalidCredentials", err)
		}
		// A key for the lookup API does not open the directory.
		_, apiKey, err := s.CreateAPIKey(context.Background(), o.org.ID, "teams")
		if err != nil {
			t.Fatal(err)
		}
		if err := dial(t, addr2).Bind(dn, apiKey); resultCode(err) != ldap.LDAPResultInvalidCredentials {
			t.Fatalf("bind with an API key: %v", err)
		}
	})
}

func TestOtherOrganisationsEntriesAreNeverReturned(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *sqlstore.Store) {
		a := newOrg(t, s, "Voorbeeld")
		seedVoorbeeld(a)
		b := newOrg(t, s, "Anders")
		b.put(contact("x", "Xander Anders", "Anders B.V.", "+31301234567"))
		dnB, pwB, _ := b.key(false)
		_, addr, _ := server(t, s, ldapdir.Options{})
		c := bound(t, addr, dnB, pwB)
		for _, base := range []string{ldapdir.BaseDN(a.org.ID), fmt.Sprintf("o=%d", a.org.ID), fmt.Sprintf("uid=1,ou=directory,o=%d", a.org.ID), "", "o=roger"} {
			_, err := c.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", nil, nil))
			if resultCode(err) != ldap.LDAPResultNoSuchObject {
				t.Errorf("base %q: %v, want noSuchObject", base, err)
			}
		}
		for _, filter := range []string{"(objectClass=*)", "(telephoneNumber=0201234567)", "(cn=Jan*)", "(uid=1)"} {
			got := cns(t, c, ldapdir.BaseDN(b.org.ID), filter)
			if filter == "(objectClass=*)" && !slices.Equal(got, []string{"Xander Anders"}) || filter != "(objectClass=*)" && len(got) != 0 {
				t.Errorf("%s under B: %q", filter, got)
			}
		}
		// A's entries by their own DNs, from B's session.
		for id := int64(1); id < 10; id++ {
			_, err := c.Search(ldap.NewSearchRequest(fmt.Sprintf("uid=%d,ou=directory,o=%d", id, b.org.ID), ldap.ScopeBaseObject,
				ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", nil, nil))
			if err != nil && resultCode(err) != ldap.LDAPResultNoSuchObject {
				t.Fatal(err)
			}
		}
		// A bind DN of A with B's key.
		dnA, _, _ := a.key(false)
		if err := dial(t, addr).Bind(dnA, pwB); resultCode(err) != ldap.LDAPResultInvalidCredentials {
			t.Fatalf("A's DN with B's key: %v", err)
		}
	})
}

func TestAnonymousAndWritesAreRefused(t *testing.T) {
	s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
	o := newOrg(t, s, "Voorbeeld")
	seedVoorbeeld(o)
	dn, pw, _ := o.key(false)
	_, addr, _ := server(t, s, ldapdir.Options{})
	c := dial(t, addr)
	if err := c.UnauthenticatedBind(""); resultCode(err) != ldap.LDAPResultInappropriateAuthentication {
		t.Errorf("anonymous bind: %v", err)
	}
	if err := c.UnauthenticatedBind(dn); resultCode(err) != ldap.LDAPResultUnwillingToPerform {
		t.Errorf("unauthenticated bind: %v", err)
	}
	_, err := c.Search(ldap.NewSearchRequest(ldapdir.BaseDN(o.org.ID), ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, "(cn=*)", nil, nil))
	if resultCode(err) != ldap.LDAPResultInsufficientAccessRights {
		t.Errorf("search without bind: %v", err)
	}
	if err := c.Bind(dn, pw); err != nil {
		t.Fatal(err)
	}
	entry := fmt.Sprintf("uid=1,ou=directory,o=%d", o.org.ID)
	add := ldap.NewAddRequest(fmt.Sprintf("uid=999,ou=directory,o=%d", o.org.ID), nil)
	add.Attribute("cn", []string{"Mallory"})
	mod := ldap.NewModifyRequest(entry, nil)
	mod.Replace("cn", []string{"Mallory"})
	for name, err := range map[string]error{
		"add":    c.Add(add),
		"modify": c.Modify(mod),
		"delete": c.Del(ldap.NewDelRequest(entry, nil)),
	} {
		if resultCode(err) != ldap.LDAPResultUnwillingToPerform {
			t.Errorf("%s: %v, want unwillingToPerform", name, err)
		}
	}
	if got := cns(t, c, ldapdir.BaseDN(o.org.ID), "(cn=Mallory)"); len(got) != 0 {
		t.Errorf("after writes: %q", got)
	}
}

func TestFailedBindsAreThrottled(t *testing.T) {
	s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
	o := newOrg(t, s, "Voorbeeld")
	dn, pw, _ := o.key(false)
	th := ldapdir.NewThrottle(s)
	th.PerDN = 3
	_, addr, _ := server(t, s, ldapdir.Options{Throttle: th})
	for i := range 3 {
		if err := dial(t, addr).Bind(dn, "rgr_wrong"); resultCode(err) != ldap.LDAPResultInvalidCredentials {
			t.Fatalf("wrong key %d: %v", i, err)
		}
	}
	err := dial(t, addr).Bind(dn, pw)
	if resultCode(err) != ldap.LDAPResultUnwillingToPerform || !strings.Contains(err.Error(), "Too many failed binds") {
		t.Fatalf("after 3 failures: %v, want throttled", err)
	}
	// Another key's DN is not held back by this one's failures.
	dn2, pw2, _ := o.key(false)
	bound(t, addr, dn2, pw2)
}

func TestTLS(t *testing.T) {
	s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
	o := newOrg(t, s, "Voorbeeld")
	seedVoorbeeld(o)
	dn, pw, _ := o.key(false)
	cert := selfSigned(t)
	srv, addr, _ := server(t, s, ldapdir.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	clientTLS := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the test's own certificate
	c := dial(t, addr)
	if err := c.StartTLS(clientTLS); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := c.Bind(dn, pw); err != nil {
		t.Fatal(err)
	}
	if got := cns(t, c, ldapdir.BaseDN(o.org.ID), "(cn=Jan de*)"); !slices.Equal(got, []string{"Jan de Vries"}) {
		t.Errorf("over StartTLS: %q", got)
	}
	ldaps, err := srv.Listen("127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ldap.DialURL("ldaps://"+ldaps, ldap.DialWithTLSConfig(clientTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Bind(dn, pw); err != nil {
		t.Fatal(err)
	}
	if got := cns(t, c2, ldapdir.BaseDN(o.org.ID), "(mobile=+31612345678)"); !slices.Equal(got, []string{"Jan de Vries"}) {
		t.Errorf("over LDAPS: %q", got)
	}
}

func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestBasesScopesAndPagedNames(t *testing.T) {
	s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
	o := newOrg(t, s, "Voorbeeld")
	seedVoorbeeld(o)
	dn, pw, _ := o.key(false)
	_, addr, _ := server(t, s, ldapdir.Options{})
	c := bound(t, addr, dn, pw)
	search := func(base string, scope int, filter string, size int) []string {
		t.Helper()
		res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, size, 0, false, filter, []string{"cn"}, nil))
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			t.Fatalf("%s %d %s: %v", base, scope, filter, err)
		}
		var dns []string
		for _, e := range res.Entries {
			dns = append(dns, e.DN)
		}
		return dns
	}
	org := fmt.Sprintf("o=%d", o.org.ID)
	dir := ldapdir.BaseDN(o.org.ID)
	if got := search(org, ldap.ScopeBaseObject, "(objectClass=*)", 0); !slices.Equal(got, []string{org}) {
		t.Errorf("base of the organisation: %q", got)
	}
	if got := search(org, ldap.ScopeSingleLevel, "(objectClass=*)", 0); !slices.Equal(got, []string{dir}) {
		t.Errorf("one level under the organisation: %q", got)
	}
	if got := search(org, ldap.ScopeWholeSubtree, "(objectClass=*)", 0); len(got) != 8 {
		t.Errorf("the whole tree: %d entries, want 2 containers and 6 entries", len(got))
	}
	jan := search(dir, ldap.ScopeSingleLevel, "(cn=Jan de Vries)", 0)
	if len(jan) != 1 {
		t.Fatalf("Jan: %q", jan)
	}
	if got := search(jan[0], ldap.ScopeBaseObject, "(objectClass=*)", 0); !slices.Equal(got, jan) {
		t.Errorf("an entry by its DN: %q", got)
	}
	if got := search(jan[0], ldap.ScopeBaseObject, "(cn=Piet*)", 0); len(got) != 0 {
		t.Errorf("an entry by its DN, filter not matching: %q", got)
	}
	// The root DSE says what the server offers, and where the bound
	// organisation's entries are.
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"*"}, nil))
	if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("namingContexts") != org ||
		!slices.Contains(res.Entries[0].GetAttributeValues("supportedControl"), ldap.ControlTypePaging) {
		t.Fatalf("root DSE: %v %v", res, err)
	}
	// A paged name search pages through the name index's entries.
	paged, err := c.SearchWithPaging(ldap.NewSearchRequest(dir, ldap.ScopeSingleLevel, ldap.NeverDerefAliases, 0, 0, false,
		"(|(cn=jan*)(sn=jan*)(o=voorbeeld*))", []string{"cn"}, nil), 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range paged.Entries {
		names = append(names, e.GetAttributeValue("cn"))
	}
	slices.Sort(names)
	if want := []string{"Jan de Vries", "Janneke Bakker", "Piet Jansen"}; !slices.Equal(names, want) {
		t.Errorf("paged names: %q, want %q", names, want)
	}
	// A size limit on a name search.
	if got := search(dir, ldap.ScopeSingleLevel, "(cn=j*)", 1); len(got) != 1 {
		t.Errorf("size limit 1: %q", got)
	}
}
