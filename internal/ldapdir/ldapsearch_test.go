package ldapdir_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/ldapdir"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// needLdapsearch returns the path of OpenLDAP's ldapsearch, or skips the
// test without it; under CI a missing ldapsearch fails it instead.
func needLdapsearch(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("ldapsearch")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run the ldapsearch test, and there is no ldapsearch: .ci/run installs Debian's ldap-utils package")
		}
		t.Skip("no ldapsearch on this machine (apt-get install ldap-utils)")
	}
	return path
}

// ldapsearch runs OpenLDAP's client, the key in a file (-y) so that it is
// not on the process list, and returns the values of attr it printed.
func ldapsearch(t *testing.T, bin, addr, dn, password, base, attr string, args ...string) []string {
	t.Helper()
	pwFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(pwFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-x", "-LLL", "-o", "ldif-wrap=no", "-H", "ldap://" + addr, "-D", dn, "-y", pwFile, "-b", base}, args...)...)
	cmd.Env = append(os.Environ(), "LDAPNOINIT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ldapsearch %q: %v\n%s", args, err, out)
	}
	var values []string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, attr+": "); ok {
			values = append(values, v)
		} else if v, ok := strings.CutPrefix(line, attr+":: "); ok { // LDIF's base64, for text beyond ASCII
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatal(err)
			}
			values = append(values, string(b))
		}
	}
	slices.Sort(values)
	return values
}

func TestLdapsearch(t *testing.T) {
	bin := needLdapsearch(t)
	s, _ := storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clock.System{})
	o := newOrg(t, s, "Voorbeeld")
	seedVoorbeeld(o)
	dn, pw, _ := o.key(false)
	_, addr, _ := server(t, s, ldapdir.Options{})
	base := ldapdir.BaseDN(o.org.ID)
	for _, tc := range phoneFilters {
		t.Run(tc.name, func(t *testing.T) {
			got := ldapsearch(t, bin, addr, dn, pw, base, "cn", tc.filter, "cn")
			if len(got) == 0 {
				got = []string{}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s (%s): got %q, want %q", tc.filter, tc.source, got, tc.want)
			}
		})
	}
	t.Run("paged download", func(t *testing.T) {
		var entries []roger.Entry
		for i := range 10_000 {
			entries = append(entries, contact(fmt.Sprintf("p%05d", i), fmt.Sprintf("Person %05d", i), "Paged B.V.", fmt.Sprintf("+3130%07d", 1_000_000+i)))
		}
		p := newOrg(t, s, "Paged")
		p.put(entries...)
		pdn, ppw, _ := p.key(false)
		_, paddr, _ := server(t, s, ldapdir.Options{})
		got := ldapsearch(t, bin, paddr, pdn, ppw, ldapdir.BaseDN(p.org.ID), "telephoneNumber", "-E", "pr=1000/noprompt", "(objectClass=inetOrgPerson)", "telephoneNumber")
		if len(slices.Compact(got)) != 10_000 {
			t.Fatalf("%d distinct numbers, want 10000", len(slices.Compact(got)))
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		pwFile := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(pwFile, []byte("rgr_wrong"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-x", "-H", "ldap://"+addr, "-D", dn, "-y", pwFile, "-b", base, "(cn=*)").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "Invalid credentials (49)") {
			t.Fatalf("wrong key: %v\n%s", err, out)
		}
	})
}
