// Package config reads roger's configuration from ROGER_* environment
// variables, with secrets optionally read from files (ROGER_…_FILE).
package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/clientaddr"
)

// Config is roger's configuration.
type Config struct {
	DataDir     string
	DatabaseURL string // a postgres:// URL, or a SQLite file path
	Addr        string
	PublicURL   string
	Workers     int
	// PagesPerCommit is how many pages of records that queued up while the
	// database was busy a sync writes in one transaction (ROGER_SYNC_PAGES_PER_COMMIT).
	PagesPerCommit int
	Instance       string
	// LookupIndex is where lookups find numbers: "memory" (an index in
	// this process, following the database) or "database" (a query each).
	LookupIndex string
	// SecretKey is the inline key material (ROGER_SECRET_KEY); empty when
	// the keys come from a file or are generated into DataDir.
	SecretKey     string
	SecretKeyFile string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (ROGER_TRUSTED_PROXIES); none by
	// default, when the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// APIKeyRateLimit is how many requests a second one API key may make
	// (ROGER_API_KEY_RATE_LIMIT); 0 is no limit.
	APIKeyRateLimit int
	// MetricsToken, when set, is the bearer token /metrics asks for
	// (ROGER_METRICS_TOKEN or ROGER_METRICS_TOKEN_FILE).
	MetricsToken string
	// SMTP is the mail server of e-mail notices (ROGER_SMTP_*).
	SMTP SMTP
	// WebhookSafetyInterval is the time between the increments of a
	// replicator whose Exact webhooks work, when longer than its own
	// interval (ROGER_WEBHOOK_SAFETY_INTERVAL, minutes); 0 keeps it.
	WebhookSafetyInterval time.Duration
	// LDAP is the read-only LDAP directory for phones (ROGER_LDAP_*).
	LDAP LDAP
	// Scale holds the settings of many organisations on one instance and
	// of instances that split the lookup index (scale.go).
	Scale
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Help string
}

// Vars lists the variables roger reads, for --help.
var Vars = []Var{
	{"ROGER_DATA_DIR", "./roger-data", "directory for the SQLite database and the generated secret key"},
	{"ROGER_DATABASE_URL", "$ROGER_DATA_DIR/roger.db", "postgres://… to share one PostgreSQL between instances, or a SQLite file path (also ROGER_DATABASE_URL_FILE)"},
	{"ROGER_ADDR", "127.0.0.1:8080", "address the HTTP server listens on"},
	{"ROGER_PUBLIC_URL", "http://ROGER_ADDR", "the URL people and Exact reach roger at; Redirect URLs are built from it"},
	{"ROGER_TRUSTED_PROXIES", "none", "comma-separated addresses or CIDRs (10.0.0.0/8, ::1) of the reverse proxies in front of roger: their X-Forwarded-For names the client that sign-in limits count, their X-Forwarded-Proto is believed; nobody else's"},
	{"ROGER_SECRET_KEY", "(generated into the data dir)", "AES-256 key(s) sealing client secrets and tokens (also ROGER_SECRET_KEY_FILE)"},
	{"ROGER_WORKERS", "4", "syncs this instance works on at once (fetching from Exact, parsing, writing): it bounds CPU and database load, not how many replicators progress, since a replicator waiting for Exact's rate limit holds no worker and is taken up again at the reset; 0: this instance never syncs (it serves the portal and lookups while other instances sync)"},
	{"ROGER_SYNC_PAGES_PER_COMMIT", "8", "pages of 1000 records a sync may write in one transaction when the database falls behind Exact; 1: every page commits alone, so a crash re-reads at most one page"},
	{"ROGER_INSTANCE", "host name and process id", "this instance's name in sync leases"},
	{"ROGER_LOOKUP_INDEX", "memory", "memory: lookups answer from an in-process copy of the numbers (about 200 MB per million numbers); database: a query per lookup, no copy"},
	{"ROGER_INDEX_SHARD", "all", "K/N (such as 2/4): keep only share K of N of the organisations, by a stable hash of each one's id, in the in-memory lookup index, for directories too large for one instance's memory; lookups of the other organisations query the database (see docs/SCALE.md)"},
	{"ROGER_SYNC_CORES", "40 % of GOMAXPROCS", "cores (a decimal, such as 0.5) this instance's syncs and its lookup index following them may keep busy on average, so that they leave the rest to lookups"},
	{"ROGER_SYNC_PACE", "even", "even: spread each division's API calls across the minute (one a second at Exact's 60 a minute); burst: spend the minute's calls as fast as the answers come"},
	{"ROGER_API_KEY_RATE_LIMIT", "20000", "requests a second one API key may make, in bursts of a second's worth; beyond it 429 with Retry-After; 0: no limit"},
	{"ROGER_METRICS_TOKEN", "none: /metrics is open", "bearer token /metrics asks for (\"Authorization: Bearer …\") (also ROGER_METRICS_TOKEN_FILE)"},
	{"ROGER_SMTP_HOST", "none: no e-mail notices", "the SMTP server that sends e-mail notices when a replicator breaks or goes stale"},
	{"ROGER_SMTP_PORT", "587 (465 with ROGER_SMTP_TLS=tls)", "its port"},
	{"ROGER_SMTP_USERNAME", "none: no sign-in", "the user roger signs in to the SMTP server as"},
	{"ROGER_SMTP_PASSWORD", "none", "that user's password (also ROGER_SMTP_PASSWORD_FILE)"},
	{"ROGER_SMTP_FROM", "required with ROGER_SMTP_HOST", "the sender of the notices, such as roger@example.com"},
	{"ROGER_SMTP_TLS", "starttls", "starttls: STARTTLS is required; tls: TLS from the first byte (port 465); none: plain text, only to a server on loopback"},
	{"ROGER_WEBHOOK_SAFETY_INTERVAL", "120", "minutes between the safety syncs of a replicator whose Exact webhooks work (the events bring its changes; the sync finds what an event missed); a replicator's own longer interval wins; 0: every replicator keeps its own interval"},
	{"ROGER_LDAP_ADDR", "none: no LDAP", "address of the read-only LDAP directory for desk phones and PBXs (for example 0.0.0.0:389); StartTLS when a certificate is set"},
	{"ROGER_LDAPS_ADDR", "none", "address serving LDAPS (TLS from the first byte, for example 0.0.0.0:636); needs the certificate"},
	{"ROGER_LDAP_TLS_CERT", "none", "PEM certificate (chain) file for StartTLS and LDAPS"},
	{"ROGER_LDAP_TLS_KEY", "none", "PEM private key file of that certificate"},
	{"ROGER_LDAP_ALLOW_PLAIN", "false", "true: phones may bind without TLS on a non-loopback ROGER_LDAP_ADDR, their key crossing the network in clear; only for a network nobody else can read"},
	{"ROGER_LDAP_MAX_RESULTS", "1000", "most entries one LDAP search, or one page of a paged search, returns"},
}

// Load reads the configuration from getenv (os.Getenv in production).
// Every error names the variable and says what it accepts.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{
		DataDir:       getenv("ROGER_DATA_DIR"),
		Addr:          getenv("ROGER_ADDR"),
		PublicURL:     strings.TrimRight(getenv("ROGER_PUBLIC_URL"), "/"),
		SecretKeyFile: getenv("ROGER_SECRET_KEY_FILE"),
		Instance:      getenv("ROGER_INSTANCE"),
	}
	if c.DataDir == "" {
		c.DataDir = "roger-data"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("ROGER_ADDR %q is not HOST:PORT (for example 127.0.0.1:8080)", c.Addr)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("ROGER_PUBLIC_URL %q is not an absolute http(s) URL such as https://roger.example.com", c.PublicURL)
	}
	var err error
	if c.TrustedProxies, err = clientaddr.Parse(getenv("ROGER_TRUSTED_PROXIES")); err != nil {
		return nil, fmt.Errorf("ROGER_TRUSTED_PROXIES: %w", err)
	}
	if c.DatabaseURL, err = valueOrFile(getenv, "ROGER_DATABASE_URL"); err != nil {
		return nil, err
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "roger.db")
	} else if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	if c.SecretKey, err = valueOrFile(getenv, "ROGER_SECRET_KEY"); err != nil {
		return nil, err
	}
	if c.Workers, err = intVar(getenv, "ROGER_WORKERS", 4, 0, "0 (never sync here)", 64); err != nil {
		return nil, err
	}
	safety, err := intVar(getenv, "ROGER_WEBHOOK_SAFETY_INTERVAL", 120, 0, "0 (the replicator's own interval)", 1440)
	if err != nil {
		return nil, err
	}
	c.WebhookSafetyInterval = time.Duration(safety) * time.Minute
	if c.PagesPerCommit, err = intVar(getenv, "ROGER_SYNC_PAGES_PER_COMMIT", 8, 1, "1 (every page commits alone)", 64); err != nil {
		return nil, err
	}
	if c.APIKeyRateLimit, err = intVar(getenv, "ROGER_API_KEY_RATE_LIMIT", 20_000, 0, "0 (no limit)", 1_000_000); err != nil {
		return nil, err
	}
	if c.MetricsToken, err = valueOrFile(getenv, "ROGER_METRICS_TOKEN"); err != nil {
		return nil, err
	}
	if c.SMTP, err = loadSMTP(getenv); err != nil {
		return nil, err
	}
	if c.LDAP, err = loadLDAP(getenv); err != nil {
		return nil, err
	}
	switch c.LookupIndex = getenv("ROGER_LOOKUP_INDEX"); c.LookupIndex {
	case "":
		c.LookupIndex = "memory"
	case "memory", "database":
	default:
		return nil, fmt.Errorf("ROGER_LOOKUP_INDEX %q must be memory or database", c.LookupIndex)
	}
	if c.Scale, err = loadScale(getenv, c.LookupIndex); err != nil {
		return nil, err
	}
	if c.Instance == "" {
		host, _ := os.Hostname()
		c.Instance = fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano()%100000)
	}
	return c, nil
}

// intVar reads a whole number from name, def when unset; the error says
// the range, its low end explained by lowMeans.
func intVar(getenv func(string) string, name string, def, low int, lowMeans string, high int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < low || n > high {
		return 0, fmt.Errorf("%s %q must be a number from %s to %d", name, v, lowMeans, high)
	}
	return n, nil
}

// valueOrFile reads NAME, or the file named by NAME_FILE; both set is an
// error, since one would silently win.
func valueOrFile(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if v != "" && file != "" {
		return "", fmt.Errorf("both %s and %s_FILE are set: keep one", name, name)
	}
	if file == "" {
		return v, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: cannot read %s: %v", name, file, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// RedirectURL is a replicator's OAuth Redirect URL, unique to it.
func (c *Config) RedirectURL(replicatorID int64) string {
	return c.PublicURL + "/oauth/exact/" + strconv.FormatInt(replicatorID, 10) + "/callback"
}

// IsPostgres reports whether DatabaseURL names a PostgreSQL server.
func (c *Config) IsPostgres() bool { return isPostgres(c.DatabaseURL) }

// Describe is the configuration for a start-up log line: the database URL
// without its passwords, never a key.
func (c *Config) Describe() string {
	return fmt.Sprintf("data dir %s, database %s, listening on %s, public URL %s, %d workers, lookups from %s", c.DataDir, RedactDatabaseURL(c.DatabaseURL), c.Addr, c.PublicURL,
		c.Workers, c.LookupIndex)
}
