package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "roger-data" || c.DatabaseURL != filepath.Join("roger-data", "roger.db") || c.Addr != "127.0.0.1:8080" ||
		c.PublicURL != "http://127.0.0.1:8080" || c.Workers != 4 || c.PagesPerCommit != 8 || c.LookupIndex != "memory" || c.IsPostgres() {
		t.Fatalf("defaults: %+v", c)
	}
	if got := c.RedirectURL(7); got != "http://127.0.0.1:8080/oauth/exact/7/callback" {
		t.Fatalf("redirect URL %s", got)
	}
}

func TestLoadRefusesBadValues(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db")
	if err := os.WriteFile(file, []byte("postgres://roger:pw@db/roger\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"addr", map[string]string{"ROGER_ADDR": "8080"}, "ROGER_ADDR \"8080\" is not HOST:PORT"},
		{"public URL", map[string]string{"ROGER_PUBLIC_URL": "roger.example.com"}, "ROGER_PUBLIC_URL"},
		{"workers", map[string]string{"ROGER_WORKERS": "many"}, "ROGER_WORKERS \"many\" must be a number from 0 (never sync here) to 64"},
		{"negative workers", map[string]string{"ROGER_WORKERS": "-1"}, "ROGER_WORKERS \"-1\" must be a number from 0"},
		{"lookup index", map[string]string{"ROGER_LOOKUP_INDEX": "disk"}, "ROGER_LOOKUP_INDEX \"disk\" must be memory or database"},
		{"pages per commit", map[string]string{"ROGER_SYNC_PAGES_PER_COMMIT": "0"}, "ROGER_SYNC_PAGES_PER_COMMIT \"0\" must be a number from 1 (every page commits alone) to 64"},
		{"both value and file", map[string]string{"ROGER_DATABASE_URL": "x", "ROGER_DATABASE_URL_FILE": file}, "both ROGER_DATABASE_URL and ROGER_DATABASE_URL_FILE are set"},
		{"missing file", map[string]string{"ROGER_SECRET_KEY_FILE": "", "ROGER_DATABASE_URL_FILE": filepath.Join(dir, "nope")}, "ROGER_DATABASE_URL_FILE: cannot read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.vars))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
	c, err := Load(env(map[string]string{"ROGER_DATABASE_URL_FILE": file, "ROGER_PUBLIC_URL": "https://roger.example.com/"}))
	if err != nil || !c.IsPostgres() || c.PublicURL != "https://roger.example.com" {
		t.Fatalf("from file: %+v %v", c, err)
	}
	if d := c.Describe(); strings.Contains(d, "pw") || !strings.Contains(d, "xxxxx") {
		t.Fatalf("Describe shows the database password: %s", d)
	}
}

func TestLoadTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        []string
		err         string
	}{
		{"unset trusts nobody", "", nil, ""},
		{"CIDRs and an address", "10.0.0.0/8, fd00::/8,192.0.2.7", []string{"10.0.0.0/8", "fd00::/8", "192.0.2.7/32"}, ""},
		{"a host name", "proxy.internal", nil, `ROGER_TRUSTED_PROXIES: "proxy.internal" is not an address or a CIDR`},
		{"a bad CIDR", "10.0.0.0/99", nil, `ROGER_TRUSTED_PROXIES: "10.0.0.0/99" is not a CIDR`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{"ROGER_TRUSTED_PROXIES": tc.value}))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.TrustedProxies) != len(tc.want) {
				t.Fatalf("trusted proxies %v, want %v", c.TrustedProxies, tc.want)
			}
			for i, p := range c.TrustedProxies {
				if p.String() != tc.want[i] {
					t.Errorf("trusted proxy %d: %s, want %s", i, p, tc.want[i])
				}
			}
		})
	}
	var documented bool
	for _, v := range Vars {
		documented = documented || v.Name == "ROGER_TRUSTED_PROXIES"
	}
	if !documented {
		t.Error("ROGER_TRUSTED_PROXIES is missing from --help")
	}
}

// TestLoadRefusesMistypedDatabaseURL: a database URL that names neither a
// PostgreSQL server nor a SQLite file in an existing directory is refused
// with the forms accepted, never with its password.
func TestLoadRefusesMistypedDatabaseURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url, want string
	}{
		{"unknown scheme", "mysql://roger:hunter2@db/roger", `roger does not know the scheme "mysql"`},
		{"file URL", "file:roger.db", `roger does not know the scheme "file"`},
		{"colons only", "::::", "neither a postgres:// URL nor a file path"},
		{"URL without scheme", "roger:hunter2@db/roger", `roger does not know the scheme "roger"`},
		{"colon in a file name", filepath.Join(dir, "a:b.db"), "neither a postgres:// URL nor a file path"},
		{"missing directory", "/no/such/dir/x.db", "the directory /no/such/dir does not exist"},
		{"relative missing directory", filepath.Join("no-such-dir", "x.db"), "the directory no-such-dir does not exist"},
		{"a directory", dir, "is a directory: name the SQLite file in it"},
		{"keyword connection string", "host=db user=roger password=hunter2", "key=value connection string"},
		{"postgres URL that does not parse", "postgres://roger:hunter2@[db/roger", "is not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{"ROGER_DATABASE_URL": tc.url}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
			if !strings.Contains(err.Error(), "use postgres://USER:PASSWORD@HOST:5432/DATABASE") && tc.name != "a directory" {
				t.Errorf("the error does not say what is accepted: %v", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	for _, good := range []string{filepath.Join(dir, "roger.db"), "roger.db", "postgres://roger:pw@db:5432/roger?sslmode=disable", "postgresql://roger@db/roger"} {
		if c, err := Load(env(map[string]string{"ROGER_DATABASE_URL": good})); err != nil || c.DatabaseURL != good {
			t.Errorf("%s: %v", good, err)
		}
	}
}

// TestRedactDatabaseURL: a password in the user part or in a query
// parameter never reaches a log line.
func TestRedactDatabaseURL(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"user part", "postgres://roger:hunter2@db/roger", "postgres://roger:xxxxx@db/roger"},
		{"query parameter", "postgres://roger@db/roger?sslmode=require&password=hunter2", "postgres://roger@db/roger?password=xxxxx&sslmode=require"},
		{"both, mixed case", "postgresql://roger:hunter2@db/roger?Password=hunter2&sslpassword=hunter2", "postgresql://roger:xxxxx@db/roger?Password=xxxxx&sslpassword=xxxxx"},
		{"no password", "postgres://roger@db/roger?sslmode=disable", "postgres://roger@db/roger?sslmode=disable"},
		{"does not parse", "postgres://roger:hunter2@[db/roger", "postgres://… (not shown: it is not a valid URL)"},
		{"keyword string", "host=db password=hunter2 user=roger", "host=db password=xxxxx user=roger"},
		{"scheme missing", "roger:hunter2@db/roger", "roger:xxxxx@db/roger"},
		{"file path", "/var/lib/roger/roger.db", "/var/lib/roger/roger.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RedactDatabaseURL(tc.url); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	c, err := Load(env(map[string]string{"ROGER_DATABASE_URL": "postgres://roger@db/roger?password=hunter2"}))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Describe(); strings.Contains(d, "hunter2") || !strings.Contains(d, "password=xxxxx") {
		t.Errorf("Describe shows the password of the query: %s", d)
	}
}
