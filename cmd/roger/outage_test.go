package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/password"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
	"github.com/roger365io/roger/internal/web"
)

// TestPostgresOutage takes a real PostgreSQL database away from a running
// portal, lookup API and readiness check (connections refused, open ones
// ended), and brings it back. Meanwhile lookups with a key checked before
// go on from the in-memory index, past the key cache's time; a key seen
// revoked and a key never checked do not work; /readyz and a signed-in
// admin's page say the database is unavailable; and afterwards everything
// works again without signing in anew.
func TestPostgresOutage(t *testing.T) {
	admin := sqltest.Postgres(t)
	if admin == "" {
		t.Skip("ROGER_TEST_POSTGRES is not set: an outage is a PostgreSQL server going away")
	}
	ctx := context.Background()
	dsn := sqltest.FreshPostgres(t, admin)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	store, _ := storetest.Open(t, dsn, clk)

	org := &roger.Organization{Name: "Voorbeeld", DefaultCountry: "NL"}
	if err := store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	fast := password.Params{Memory: 64, Time: 1, Threads: 1}
	hash, _ := password.Hash("correct horse battery", fast)
	if err := store.CreateUser(ctx, &roger.User{OrgID: org.ID, Email: "admin@example.nl", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	rep := &roger.Replicator{OrgID: org.ID, Name: "Exact – contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", Division: 123456, ContactURL: goodContactURL, Interval: time.Hour, State: roger.StatePaused}
	if err := store.CreateReplicator(ctx, rep); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ApplyPage(ctx, roger.Page{ReplicatorID: rep.ID, OrgID: org.ID, Cursor: 1, Upserts: []roger.Entry{{
		Kind: roger.KindContact, SourceID: "0000a1b2-0000-4000-8000-000000000001", CompanyID: "c", DisplayName: "Anna de Vries",
		CompanyName: "Bakkerij Brood", SourceTimestamp: 1, SourceModified: clk.Now(),
		Numbers: []roger.Number{{Field: "Phone", Raw: "020 123 4567", E164: "+31201234567", Status: roger.NumberOK}},
	}}}); err != nil {
		t.Fatal(err)
	}
	key := func(name string) (string, int64) {
		k, secret, err := store.CreateAPIKey(ctx, org.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		return secret, k.ID
	}
	good, _ := key("Teams")
	revoked, revokedID := key("old PBX")
	unchecked, _ := key("never used")

	idx := dirindex.New(store, dirindex.Options{})
	if err := idx.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lookups := lookup.New(store, lookup.Options{Clock: clk, Numbers: idx})
	portal := &web.Server{Store: store, Clock: clk, Passwords: fast, Log: log}
	mux := http.NewServeMux()
	mux.Handle("/", portal.Handler())
	mux.Handle("/api/v1/", (&api.Server{Lookup: lookups, Keys: store, Clock: clk, Log: log}).Handler())
	mux.Handle("GET /readyz", readyz(store, func() bool { return idx.Stats().Ready }, log))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	lookUp := func(key string) (int, string) {
		return getWithKey(t, srv.URL, "/api/v1/lookup?number=020+123+4567", key)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	adminPage := func() (int, string, string) {
		resp, err := browser.Get(srv.URL + "/replicators")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(url.Values{"email": {"admin@example.nl"}, "password": {"correct horse battery"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status, _, body := adminPage(); resp.StatusCode != http.StatusSeeOther || status != http.StatusOK {
		t.Fatalf("sign-in %d, then the replicators page %d:\n%s", resp.StatusCode, status, body)
	}

	for _, k := range []string{good, revoked} {
		if status, body := lookUp(k); status != http.StatusOK || !strings.Contains(body, "Anna de Vries") {
			t.Fatalf("lookup before the outage: %d %s", status, body)
		}
	}
	// Revoked while the database is up: the API learns it.
	if err := store.RevokeAPIKey(ctx, org.ID, revokedID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(api.DefaultKeyCacheTTL)
	if status, body := lookUp(revoked); status != http.StatusUnauthorized {
		t.Fatalf("a revoked key: %d %s", status, body)
	}

	pg, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	setConnections := func(allow bool) {
		t.Helper()
		if _, err := pg.Exec(`ALTER DATABASE ` + dbName + ` ALLOW_CONNECTIONS ` + map[bool]string{true: "true", false: "false"}[allow]); err != nil {
			t.Fatal(err)
		}
		if allow {
			return
		}
		if _, err := pg.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName); err != nil {
			t.Fatal(err)
		}
	}
	setConnections(false)
	defer setConnections(true)
	if err := store.Ping(ctx); err == nil {
		t.Fatal("the database still answers")
	}

	// Past the key cache and the organisation's country cache.
	clk.Advance(10 * time.Minute)
	if status, body := lookUp(good); status != http.StatusOK || !strings.Contains(body, "Anna de Vries") {
		t.Errorf("a checked key in the outage: %d %s", status, body)
	}
	if status, body := lookUp(revoked); status != http.StatusServiceUnavailable {
		t.Errorf("a revoked key in the outage: %d %s; want 503", status, body)
	}
	if status, body := lookUp(unchecked); status != http.StatusServiceUnavailable {
		t.Errorf("a key never checked, in the outage: %d %s; want 503", status, body)
	}
	if status, body := getWithKey(t, srv.URL, "/readyz", ""); status != http.StatusOK || !strings.Contains(body, "database unavailable") {
		t.Errorf("readyz in the outage: %d %q", status, body)
	}
	if status, location, body := adminPage(); status != http.StatusServiceUnavailable || location != "" || !strings.Contains(body, "Database unavailable") {
		t.Errorf("the replicators page in the outage: %d Location %q\n%s", status, location, body)
	}

	setConnections(true)
	if status, body := getWithKey(t, srv.URL, "/readyz", ""); status != http.StatusOK || body != "ready\n" {
		t.Errorf("readyz after the outage: %d %q", status, body)
	}
	if status, _, body := adminPage(); status != http.StatusOK {
		t.Errorf("the replicators page after the outage: %d\n%s", status, body)
	}
	if status, body := lookUp(unchecked); status != http.StatusOK {
		t.Errorf("a key never checked, after the outage: %d %s", status, body)
	}
}
