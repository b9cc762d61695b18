package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// The demo serves LDAP and prints an ldapsearch line whose DN, key file
// and base work.
func TestDemoServesLDAP(t *testing.T) {
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	m0 := &Main{Stdout: out, Stderr: out, Ready: func(addr string) { ready <- addr }, Getenv: func(string) string { return "" }}
	done := make(chan error, 1)
	go func() {
		done <- m0.Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--exactsim-addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--records", "10", "--activity", "0"})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("roger demo ended with %v", err)
		}
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("roger demo ended before it listened: %v\n%s", err, out)
	case <-time.After(60 * time.Second):
		t.Fatalf("roger demo did not start within 60 s\n%s", out)
	}
	m := regexp.MustCompile(`ldapsearch -x -H ldap://(\S+) -D '([^']+)' -y (\S+) -b '([^']+)'`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo banner has no ldapsearch line:\n%s", out)
	}
	key, err := os.ReadFile(m[3])
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(m[3]); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", info.Mode(), err)
	}
	c, err := ldap.DialURL("ldap://" + m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(m[2], string(key)); err != nil {
		t.Fatalf("bind as the demo prints: %v", err)
	}
	res, err := c.Search(ldap.NewSearchRequest(m[4], ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", nil, nil))
	if err != nil || len(res.Entries) != 1 || !strings.EqualFold(res.Entries[0].DN, m[4]) {
		t.Fatalf("base search: %v %v", res, err)
	}
	if strings.Contains(out.String(), string(key)) {
		t.Error("the demo printed the LDAP key")
	}
}

// TestLDAPJourney: roger serve with ROGER_LDAP_ADDR answers a phone's
// number search with a key made on the command line, with the number in
// national notation, and counts binds and searches in /metrics.
func TestLDAPJourney(t *testing.T) {
	simAddr, _, stopSim := startSim(t, "--records", "100", "--user", "demo:demo:123456")
	defer stopSim()
	env := testEnv(t, "127.0.0.1:0")
	getenv := func(k string) string {
		if k == "ROGER_LDAP_ADDR" {
			return "127.0.0.1:0"
		}
		return env(k)
	}
	addContactsReplicator(t, getenv, simAddr)
	base, out, _ := serveInstance(t, getenv)
	getenv = servedAt(t, getenv, simAddr, base)
	authorizeReplicator(t, getenv)
	m := regexp.MustCompile(`serves LDAP for phones on (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("serve does not say where LDAP is:\n%s", out)
	}
	ldapAddr := m[1]

	deadline := time.Now().Add(60 * time.Second)
	var number, name string
	for number == "" {
		if time.Now().After(deadline) {
			t.Fatal("no parsed number in the directory within 60 s")
		}
		time.Sleep(200 * time.Millisecond)
		number, name = exportedNumber(t, getenv)
	}
	keyOut, err := run(t, getenv, "apikey", "create", "--ldap", "--name", "Yealink")
	if err != nil {
		t.Fatalf("apikey create --ldap: %v\n%s", err, keyOut)
	}
	key := strings.SplitN(keyOut, "\n", 2)[0]
	dn := regexp.MustCompile(`bind DN (\S+),`).FindStringSubmatch(keyOut)
	baseDN := regexp.MustCompile(`base DN (\S+)\.`).FindStringSubmatch(keyOut)
	if dn == nil || baseDN == nil {
		t.Fatalf("apikey create --ldap printed %q", keyOut)
	}
	// The key is not one for the lookup API.
	if status, _ := getWithKey(t, base, "/api/v1/lookup?number="+url.QueryEscape(number), key); status != 401 {
		t.Errorf("a phone key opened the lookup API: %d", status)
	}
	c, err := ldap.DialURL("ldap://" + ldapAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(dn[1], key); err != nil {
		t.Fatal(err)
	}
	// A Dutch number as a Dutch phone shows it; others as exported.
	national := number
	if rest, ok := strings.CutPrefix(number, "+31"); ok {
		national = "0" + rest
	}
	// The index follows the sync within a second or so.
	for {
		res, err := c.Search(ldap.NewSearchRequest(baseDN[1], ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 5, 0, false,
			fmt.Sprintf("(|(telephoneNumber=%s)(mobile=%s))", national, national), []string{"cn"}, nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entries) > 0 {
			if got := res.Entries[0].GetAttributeValue("cn"); got != name {
				t.Fatalf("%s is %q over LDAP, %q in the directory", national, got, name)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not found over LDAP", national)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A search is counted once its answer is sent, so the count may trail
	// the answer the client already has by a moment.
	counted := time.Now().Add(10 * time.Second)
	wants := []string{`roger_ldap_binds_total{outcome="ok"} 1`, `roger_ldap_searches_total{outcome="ok"}`, "roger_ldap_search_entries_total"}
	for {
		_, metrics := getWithKey(t, base, "/metrics", "")
		var missing []string
		for _, want := range wants {
			if !strings.Contains(metrics, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(counted) {
			t.Fatalf("metrics lack %s", strings.Join(missing, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
