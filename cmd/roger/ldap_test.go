package main

import (
	"context"
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
