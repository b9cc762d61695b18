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
