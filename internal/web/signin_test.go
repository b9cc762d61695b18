package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clientaddr"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/password"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// TestSessionCookieFollowsThePublicURL signs in over plain http, as a
// proxy that ends TLS forwards every request, and checks the cookie's
// name and flags, and that the cookie opens pages afterwards.
func TestSessionCookieFollowsThePublicURL(t *testing.T) {
	p := newPortal(t)
	for _, tc := range []struct {
		name      string
		publicURL string
		proxies   string
		host      string
		header    []string
		secure    bool
	}{
		{"https public URL behind a proxy", "https://roger.example.com", "127.0.0.0/8", "roger.example.com", nil, true},
		{"https public URL, no proxy configured", "https://roger.example.com", "", "roger.example.com", nil, true},
		{"loopback http public URL", "http://127.0.0.1:8080", "", "", nil, true},
		{"localhost http public URL", "http://localhost:8080", "", "", nil, true},
		{"plain http public URL", "http://roger.lan:8080", "", "roger.lan:8080", nil, false},
		{"plain http public URL, proxy says https", "http://roger.lan:8080", "127.0.0.0/8", "roger.lan:8080", []string{"X-Forwarded-Proto", "https"}, false},
		{"no public URL, trusted proxy says https", "", "127.0.0.0/8", "roger.example.com", []string{"X-Forwarded-Proto", "https"}, true},
		{"no public URL, untrusted peer says https", "", "", "roger.example.com", []string{"X-Forwarded-Proto", "https"}, false},
		{"no public URL, loopback host", "", "", "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.site.PublicURL = tc.publicURL
			p.site.Proxies = nil
			if tc.proxies != "" {
				trusted, err := clientaddr.Parse(tc.proxies)
				if err != nil {
					t.Fatal(err)
				}
				p.site.Proxies = clientaddr.New(trusted)
			}
			form := url.Values{"email": {"alpha@example.nl"}, "password": {adminPassword}}
			header := append([]string{"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin", "Host", tc.host}, tc.header...)
			resp := roundTrip(t, p, http.MethodPost, "/login", strings.NewReader(form.Encode()), header...)
			if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
				t.Fatalf("sign-in: %d, cookies %v", resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}
			c := resp.Cookies()[0]
			wantName := plainCookieName
			if tc.secure {
				wantName = secureCookieName
			}
			if c.Name != wantName || c.Secure != tc.secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("cookie %q Secure=%v Path=%q Domain=%q HttpOnly=%v SameSite=%v; want %s Secure=%v", c.Name, c.Secure, c.Path, c.Domain, c.HttpOnly, c.SameSite, wantName, tc.secure)
			}
			get := append([]string{"Cookie", c.Name + "=" + c.Value, "Host", tc.host}, tc.header...)
			if resp := roundTrip(t, p, http.MethodGet, "/replicators", nil, get...); resp.StatusCode != http.StatusOK {
				t.Fatalf("the cookie does not open pages: %d", resp.StatusCode)
			}
			// The other name is not read: a cookie planted under the plain
			// name (by a sibling domain or a plain http page) opens nothing
			// where the __Host- one is used.
			other := secureCookieName
			if tc.secure {
				other = plainCookieName
			}
			get[1] = other + "=" + c.Value
			if resp := roundTrip(t, p, http.MethodGet, "/replicators", nil, get...); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("a cookie named %s opened a page: %d", other, resp.StatusCode)
			}
		})
	}
}

// TestSignInLimitsCountTheClientBehindAProxy: behind a trusted proxy each
// client's failures count against that client, not against the proxy's
// address that every request comes from; headers from anyone else are
// ignored.
func TestSignInLimitsCountTheClientBehindAProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies string
		// otherClient is whether a second client behind the same peer can
		// still sign in after the first used up its address's attempts.
		otherClient bool
	}{
		{"trusted proxy", "127.0.0.1/32", true},
		{"untrusted peer's headers ignored", "", false},
		{"another network trusted", "10.0.0.0/8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPortal(t)
			if tc.proxies != "" {
				trusted, err := clientaddr.Parse(tc.proxies)
				if err != nil {
					t.Fatal(err)
				}
				p.site.Proxies = clientaddr.New(trusted)
			}
			p.site.Throttle.PerIP = 3
			attacker := p.browser()
			for i, email := range []string{"a@example.nl", "b@example.nl", "c@example.nl"} {
				pg := attacker.do(http.MethodPost, "/login", url.Values{"email": {email}, "password": {"guess"}}, "X-Forwarded-For", "198.51.100.1")
				if pg.status != http.StatusUnauthorized {
					t.Fatalf("attempt %d: %d", i+1, pg.status)
				}
			}
			pg := attacker.do(http.MethodPost, "/login", url.Values{"email": {"beta@example.nl"}, "password": {adminPassword}}, "X-Forwarded-For", "198.51.100.1")
			if pg.status != http.StatusTooManyRequests {
				t.Fatalf("the attacker's fourth attempt: %d", pg.status)
			}
			// A spoofed left-most hop does not give the attacker a fresh address.
			pg = attacker.do(http.MethodPost, "/login", url.Values{"email": {"beta@example.nl"}, "password": {adminPassword}}, "X-Forwarded-For", "192.0.2.99, 198.51.100.1")
			if pg.status != http.StatusTooManyRequests {
				t.Fatalf("the attacker's attempt with a spoofed hop: %d", pg.status)
			}
			pg = p.browser().do(http.MethodPost, "/login", url.Values{"email": {"beta@example.nl"}, "password": {adminPassword}}, "X-Forwarded-For", "198.51.100.2")
			if got := pg.status == http.StatusSeeOther; got != tc.otherClient {
				t.Fatalf("another client's sign-in: %d", pg.status)
			}
		})
	}
}

// signInDB is a database the sign-in limits are tested on; dsn makes a
// fresh one.
type signInDB struct {
	name string
	dsn  func(t *testing.T) string
}

// signInDatabases are a SQLite file, and PostgreSQL when
// ROGER_TEST_POSTGRES names a server.
func signInDatabases(t *testing.T) []signInDB {
	dbs := []signInDB{{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "roger.db") }}}
	if admin := sqltest.Postgres(t); admin != "" {
		dbs = append(dbs, signInDB{"postgres", func(t *testing.T) string { return sqltest.FreshPostgres(t, admin) }})
	}
	return dbs
}

// signInSite is a portal on its own store at dsn, hashing at full cost.
func signInSite(t *testing.T, dsn string, hashing *password.Gate, proxies *clientaddr.Resolver) (*httptest.Server, *sqlstore.Store) {
	t.Helper()
	store, ring := storetest.Open(t, dsn, nil)
	site := &Server{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Directory: lookup.New(store, lookup.Options{}),
		Links: ring, Hashing: hashing, Proxies: proxies}
	srv := httptest.NewServer(nil)
	site.PublicURL = srv.URL
	srv.Config.Handler = site.Handler()
	t.Cleanup(srv.Close)
	return srv, store
}

// addAdmin adds an organisation with an admin whose password is hashed at
// the default cost.
func addAdmin(t *testing.T, store *sqlstore.Store, email string) {
	t.Helper()
	ctx := context.Background()
	org := &roger.Organization{Name: email, DefaultCountry: "NL"}
	if err := store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	hash, err := password.Hash(adminPassword, password.Default)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, &roger.User{OrgID: org.ID, Email: email, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
}

// burst posts n sign-ins at once and returns how many got each status.
// forwardedFor, when set, gives each request its X-Forwarded-For.
func burst(t *testing.T, srv *httptest.Server, n int, email func(i int) string, forwardedFor func(i int) string) map[int]int {
	t.Helper()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		start    = make(chan struct{})
	)
	client := srv.Client()
	for i := range n {
		wg.Go(func() {
			form := url.Values{"email": {email(i)}, "password": {"a wrong guess"}}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			if forwardedFor != nil {
				req.Header.Set("X-Forwarded-For", forwardedFor(i))
			}
			<-start
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("a 429 without Retry-After")
			}
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// heapPeak samples the heap in use until stop is closed and returns its
// peak through the returned function.
func heapPeak(stop <-chan struct{}) func() uint64 {
	var (
		peak uint64
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { <-done; return peak }
}

const mib = 1 << 20

// TestConcurrentSignInsAreCountedBeforeHashing sends 100 wrong passwords
// for one account at once through the real handler. Every attempt is
// counted before its hash, so no more than the account's limit of 5 are
// checked; the rest are refused with 429 and Retry-After, and the heap
// stays within a few hashes' memory (19 MiB each at the default cost).
func TestConcurrentSignInsAreCountedBeforeHashing(t *testing.T) {
	for _, db := range signInDatabases(t) {
		t.Run(db.name, func(t *testing.T) {
			gate := password.NewGate(runtime.NumCPU(), time.Minute)
			srv, store := signInSite(t, db.dsn(t), gate, nil)
			addAdmin(t, store, "anna@example.nl")
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			stop := make(chan struct{})
			peak := heapPeak(stop)
			statuses := burst(t, srv, 100, func(int) string { return "anna@example.nl" }, nil)
			close(stop)
			grew := float64(peak()-min(peak(), before.HeapInuse)) / mib
			stats := gate.Stats()
			t.Logf("%s: statuses %v, %d hashed, at most %d at once, heap in use %.0f MiB before, peak %.0f MiB above it",
				db.name, statuses, stats.Hashes, stats.Peak, float64(before.HeapInuse)/mib, grew)
			if statuses[http.StatusUnauthorized] != 5 || statuses[http.StatusTooManyRequests] != 95 {
				t.Fatalf("statuses %v: want 5 checked (401) and 95 refused (429)", statuses)
			}
			if stats.Hashes != 5 || stats.Peak > runtime.NumCPU() {
				t.Fatalf("%d hashes, %d at once; want 5, at most %d at once", stats.Hashes, stats.Peak, runtime.NumCPU())
			}
			// Five hashes of 19 MiB, even if none was collected yet, and
			// room for the requests; all 100 at once took 1.9 GB.
			if grew > 5*19+64 {
				t.Fatalf("the heap grew by %.0f MiB", grew)
			}
		})
	}
}

// TestHashingGateBoundsMemory sends 100 wrong passwords at once for 100
// accounts from 100 clients behind a trusted proxy, so that no limit
// refuses them: the gate lets one hash per core run at once, queues the
// others for up to its wait and turns the rest away with 429.
func TestHashingGateBoundsMemory(t *testing.T) {
	gate := password.NewGate(runtime.NumCPU(), 300*time.Millisecond)
	srv, store := signInSite(t, filepath.Join(t.TempDir(), "roger.db"), gate, clientaddr.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}))
	addAdmin(t, store, "anna@example.nl")
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := heapPeak(stop)
	statuses := burst(t, srv, 100,
		func(i int) string { return fmt.Sprintf("user%d@example.nl", i) },
		func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) })
	close(stop)
	grew := float64(peak()-min(peak(), before.HeapInuse)) / mib
	stats := gate.Stats()
	t.Logf("statuses %v, %d hashed, %d turned away, at most %d at once, heap peak %.0f MiB above %.0f MiB",
		statuses, stats.Hashes, stats.Refused, stats.Peak, grew, float64(before.HeapInuse)/mib)
	if stats.Peak > runtime.NumCPU() {
		t.Fatalf("%d hashes ran at once on %d cores", stats.Peak, runtime.NumCPU())
	}
	if statuses[http.StatusUnauthorized] != int(stats.Hashes) || statuses[http.StatusTooManyRequests] != int(stats.Refused) || stats.Hashes+stats.Refused != 100 {
		t.Fatalf("statuses %v, gate %+v: every request is checked (401) or turned away (429)", statuses, stats)
	}
	if grew > 8*19+64 {
		t.Fatalf("the heap grew by %.0f MiB", grew)
	}
}

// TestSignInLimitsAreSharedByInstances signs in wrongly through two
// portals on one database, as two instances behind a load balancer: the
// account's limit of 5 is for both together.
func TestSignInLimitsAreSharedByInstances(t *testing.T) {
	for _, db := range signInDatabases(t) {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn(t)
			gate := password.NewGate(runtime.NumCPU(), time.Minute)
			one, store := signInSite(t, dsn, gate, nil)
			two, _ := signInSite(t, dsn, gate, nil)
			addAdmin(t, store, "anna@example.nl")
			post := func(srv *httptest.Server, pw string) *http.Response {
				form := url.Values{"email": {"anna@example.nl"}, "password": {pw}}
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				resp, err := srv.Client().Transport.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			for i := range 5 {
				srv := []*httptest.Server{one, two}[i%2]
				if resp := post(srv, "a wrong guess"); resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
				}
			}
			for name, srv := range map[string]*httptest.Server{"first": one, "second": two} {
				if resp := post(srv, adminPassword); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
					t.Fatalf("the %s instance after 5 failures on both: %d", name, resp.StatusCode)
				}
			}
		})
	}
}
