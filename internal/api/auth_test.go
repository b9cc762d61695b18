package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/lookup"
)

// countingKeys knows one key and records the uses written.
type countingKeys struct {
	mu      sync.Mutex
	checks  int
	touches []time.Time
	done    chan struct{}
}

func (k *countingKeys) AuthenticateAPIKey(context.Context, string) (*roger.APIKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.checks++
	return &roger.APIKey{ID: 7, OrgID: 1}, nil
}

func (k *countingKeys) APIKeysRevokedSince(context.Context, time.Time) ([]int64, error) {
	return nil, nil
}

func (k *countingKeys) TouchAPIKey(_ context.Context, _ int64, t time.Time) error {
	k.mu.Lock()
	k.touches = append(k.touches, t)
	k.mu.Unlock()
	k.done <- struct{}{}
	return nil
}

// TestTouchWhileCached: a key kept in the cache for longer than the time
// between two records of its use still has its use recorded on time, and
// not more often.
func TestTouchWhileCached(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	keys := &countingKeys{done: make(chan struct{}, 10)}
	a := newAuthenticator(keys, clk, slog.New(slog.DiscardHandler), 10*time.Minute, time.Minute, 0, 0, nil)
	r := httptest.NewRequest("GET", "/api/v1/lookup?number=1", nil)
	r.Header.Set("Authorization", "Bearer "+testKey)
	use := func() {
		t.Helper()
		if _, err := a.authenticate(r, url.Values{"number": {"1"}}); err != nil {
			t.Fatal(err)
		}
	}
	var want []time.Time
	for _, step := range []struct {
		advance time.Duration
		touched bool
	}{{0, true}, {30 * time.Second, false}, {29 * time.Second, false}, {time.Second, true}, {59 * time.Second, false}, {2 * time.Minute, true}} {
		clk.Advance(step.advance)
		use()
		use()
		if step.touched {
			<-keys.done
			want = append(want, clk.Now())
		}
	}
	keys.mu.Lock()
	defer keys.mu.Unlock()
	if keys.checks != 1 {
		t.Errorf("the key was checked %d times in the cache time; want once", keys.checks)
	}
	if len(keys.touches) != len(want) {
		t.Fatalf("uses recorded at %v; want %v", keys.touches, want)
	}
	for i := range want {
		if !keys.touches[i].Equal(want[i]) {
			t.Errorf("uses recorded at %v; want %v", keys.touches, want)
		}
	}
}

// testKey has the shape of a key NewAPIKey makes.
const testKey = "rgr_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"

// memKeys is a key store in memory that can be taken away, as a database
// in an outage is.
type memKeys struct {
	mu      sync.Mutex
	keys    map[string]*roger.APIKey // by key
	revoked map[int64]time.Time
	down    bool
	checks  int
	clock   roger.Clock
	// gate, when set, holds every check of an unknown key until it is
	// closed; slow holds every check of a known one.
	gate chan struct{}
	slow chan struct{}
}

func newMemKeys(clk roger.Clock) *memKeys {
	return &memKeys{keys: map[string]*roger.APIKey{}, revoked: map[int64]time.Time{}, clock: clk}
}

var errRefused = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (k *memKeys) add(key string, id int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[key] = &roger.APIKey{ID: id, OrgID: 1}
}

func (k *memKeys) revoke(id int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.revoked[id] = k.clock.Now()
}

func (k *memKeys) setDown(down bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.down = down
}

func (k *memKeys) queries() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.checks
}

func (k *memKeys) AuthenticateAPIKey(_ context.Context, key string) (*roger.APIKey, error) {
	k.mu.Lock()
	_, known := k.keys[key]
	gate, slow := k.gate, k.slow
	k.mu.Unlock()
	if gate != nil && !known {
		<-gate
	}
	if slow != nil && known {
		<-slow
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.checks++
	if k.down {
		return nil, errRefused
	}
	if got, ok := k.keys[key]; ok {
		if _, gone := k.revoked[got.ID]; !gone {
			c := *got
			return &c, nil
		}
	}
	return nil, errBadKey
}

func (k *memKeys) TouchAPIKey(context.Context, int64, time.Time) error { return nil }

func (k *memKeys) APIKeysRevokedSince(_ context.Context, since time.Time) ([]int64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.down {
		return nil, errRefused
	}
	var ids []int64
	for id, at := range k.revoked {
		if !at.Before(since) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// okLookups answers every lookup with no match.
type okLookups struct{}

func (okLookups) Lookup(_ context.Context, _ int64, input, _ string) (*lookup.Result, error) {
	return &lookup.Result{Number: lookup.Number{Input: input}, Matches: []lookup.Match{}}, nil
}

func (okLookups) Search(context.Context, int64, string, int64, int) (*lookup.Page, error) {
	return &lookup.Page{Entries: []lookup.Entry{}}, nil
}

// caller sends lookups to h as one client address.
type caller struct {
	t    *testing.T
	h    http.Handler
	addr string
}

func (c caller) get(key string) *httptest.ResponseRecorder {
	c.t.Helper()
	r := httptest.NewRequest("GET", "/api/v1/lookup?number=0201234567", nil)
	r.RemoteAddr = c.addr
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

// randomKey is a well-formed key nobody made.
func randomKey(t *testing.T) string {
	t.Helper()
	k, _, err := roger.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestMalformedKeysCostNoQuery: what cannot be a key is refused without
// asking the database, with the message an unknown key gets.
func TestMalformedKeysCostNoQuery(t *testing.T) {
	keys := newMemKeys(clock.System{})
	h := (&Server{Lookup: okLookups{}, Keys: keys}).Handler()
	for _, tc := range []struct{ name, key string }{
		{"too short", "rgr_test"},
		{"one character short", testKey[:len(testKey)-1]},
		{"one character long", testKey + "A"},
		{"no prefix", "xyz_" + testKey[4:]},
		{"padding", testKey[:len(testKey)-1] + "="},
		{"standard base64", testKey[:len(testKey)-1] + "+"},
		{"not ASCII", testKey[:len(testKey)-2] + "é"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := caller{t, h, "192.0.2.1:1234"}.get(tc.key)
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "The API key is not valid") {
				t.Errorf("%q: %d %s", tc.key, w.Code, w.Body)
			}
		})
	}
	if n := keys.queries(); n != 0 {
		t.Errorf("malformed keys cost %d queries; want none", n)
	}
	if w := (caller{t, h, "192.0.2.1:1234"}).get(randomKey(t)); w.Code != http.StatusUnauthorized || keys.queries() != 1 {
		t.Errorf("a well-formed unknown key: %d after %d queries; want 401 after one", w.Code, keys.queries())
	}
}

// TestUnknownKeysAreRememberedBriefly: an unknown key sent again costs no
// second query for a few seconds, and a key made meanwhile works after
// them.
func TestUnknownKeysAreRememberedBriefly(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	keys := newMemKeys(clk)
	h := (&Server{Lookup: okLookups{}, Keys: keys, Clock: clk}).Handler()
	c := caller{t, h, "192.0.2.1:1234"}
	for i := range 3 {
		if w := c.get(testKey); w.Code != http.StatusUnauthorized {
			t.Fatalf("unknown key, try %d: %d %s", i, w.Code, w.Body)
		}
	}
	if n := keys.queries(); n != 1 {
		t.Errorf("an unknown key sent three times cost %d queries; want 1", n)
	}
	keys.add(testKey, 1)
	clk.Advance(DefaultKeyCacheTTL)
	if w := c.get(testKey); w.Code != http.StatusOK {
		t.Errorf("a key made after it was tried: %d %s after %v", w.Code, w.Body, DefaultKeyCacheTTL)
	}
}

// TestFailedAuthenticationsLimitedPerAddress: after failBurst refused keys
// an address gets 429 with Retry-After and no query, while other
// addresses and keys that work from the same address go on; the budget
// comes back with time. IPv6 addresses count per /64.
func TestFailedAuthenticationsLimitedPerAddress(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	keys := newMemKeys(clk)
	keys.add(testKey, 1)
	h := (&Server{Lookup: okLookups{}, Keys: keys, Clock: clk}).Handler()
	for _, tc := range []struct {
		name            string
		attacker, other string
	}{
		{"IPv4", "192.0.2.1:1234", "192.0.2.2:1234"},
		{"IPv6 in one /64", "[2001:db8:1:2::1]:1234", "[2001:db8:1:3::1]:1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attacker, other := caller{t, h, tc.attacker}, caller{t, h, tc.other}
			if w := attacker.get(testKey); w.Code != http.StatusOK {
				t.Fatalf("the good key: %d %s", w.Code, w.Body)
			}
			for i := range failBurst {
				if w := attacker.get(randomKey(t)); w.Code != http.StatusUnauthorized {
					t.Fatalf("guess %d: %d %s", i, w.Code, w.Body)
				}
			}
			before := keys.queries()
			if tc.name != "IPv4" {
				// Another address of the same /64 shares its budget.
				attacker.addr = strings.Replace(tc.attacker, "::1]", "::99]", 1)
			}
			w := attacker.get(randomKey(t))
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "3" || !strings.Contains(w.Body.String(), `"code":"rate_limited"`) {
				t.Errorf("guess past the limit: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
			}
			if w := attacker.get("rgr_short"); w.Code != http.StatusTooManyRequests {
				t.Errorf("a malformed key past the limit: %d", w.Code)
			}
			if keys.queries() != before {
				t.Errorf("guesses past the limit cost %d queries", keys.queries()-before)
			}
			if w := attacker.get(testKey); w.Code != http.StatusOK {
				t.Errorf("the good key from the limited address: %d %s", w.Code, w.Body)
			}
			if w := other.get(randomKey(t)); w.Code != http.StatusUnauthorized {
				t.Errorf("a guess from another address: %d %s", w.Code, w.Body)
			}
			// The budget comes back with time, one guess every
			// failEvery; meanwhile the good key's time in the cache
			// runs out, and its re-check is not held back.
			clk.Advance(DefaultKeyCacheTTL)
			if w := attacker.get(randomKey(t)); w.Code != http.StatusUnauthorized {
				t.Errorf("a guess %v later: %d %s", DefaultKeyCacheTTL, w.Code, w.Body)
			}
			if w := attacker.get(randomKey(t)); w.Code != http.StatusTooManyRequests {
				t.Errorf("a second guess %v later: %d %s", DefaultKeyCacheTTL, w.Code, w.Body)
			}
			if w := attacker.get(testKey); w.Code != http.StatusOK {
				t.Errorf("the good key's re-check from the limited address: %d %s", w.Code, w.Body)
			}
			clk.Advance(failBurst * failEvery)
		})
	}
}

// TestConcurrentGuessesLimited: guesses sent at once cannot all slip
// past the count: each is counted before its query.
func TestConcurrentGuessesLimited(t *testing.T) {
	keys := newMemKeys(clock.System{})
	h := (&Server{Lookup: okLookups{}, Keys: keys}).Handler()
	var wg sync.WaitGroup
	codes := make(chan int, 100)
	for range 100 {
		wg.Go(func() { codes <- (caller{t, h, "192.0.2.1:1234"}).get(randomKey(t)).Code })
	}
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[http.StatusUnauthorized] != failBurst || count[http.StatusTooManyRequests] != 100-failBurst || keys.queries() != failBurst {
		t.Errorf("100 concurrent guesses: %v after %d queries; want %d refused after as many queries, the rest 429", count, keys.queries(), failBurst)
	}
}

// TestClientAddrOption: failures count against the address ClientAddr
// gives, not the connection's.
func TestClientAddrOption(t *testing.T) {
	keys := newMemKeys(clock.System{})
	h := (&Server{Lookup: okLookups{}, Keys: keys, ClientAddr: func(r *http.Request) netip.Addr {
		return netip.MustParseAddr(r.Header.Get("X-Test-Client"))
	}}).Handler()
	send := func(client string) int {
		r := httptest.NewRequest("GET", "/api/v1/lookup?number=1", nil)
		r.RemoteAddr = "127.0.0.1:1" // a proxy's address, the same for everyone
		r.Header.Set("X-Test-Client", client)
		r.Header.Set("Authorization", "Bearer rgr_bad")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for range failBurst {
		send("198.51.100.7")
	}
	if got := send("198.51.100.7"); got != http.StatusTooManyRequests {
		t.Errorf("the guessing client past the limit: %d", got)
	}
	if got := send("198.51.100.8"); got != http.StatusUnauthorized {
		t.Errorf("another client behind the same proxy: %d; want 401, not limited", got)
	}
}

// TestKeyRateLimit: a key gets its rate and a burst of a second's worth,
// then 429 with Retry-After; another key is not held back.
func TestKeyRateLimit(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	keys := newMemKeys(clk)
	other := randomKey(t)
	keys.add(testKey, 1)
	keys.add(other, 2)
	// A cache time shorter than a request's share of the rate: the
	// budget must outlive the key's re-check in the database.
	h := (&Server{Lookup: okLookups{}, Keys: keys, Clock: clk, KeyRateLimit: 10, KeyCacheTTL: 50 * time.Millisecond}).Handler()
	c := caller{t, h, "192.0.2.1:1234"}
	for i := range 10 {
		if w := c.get(testKey); w.Code != http.StatusOK {
			t.Fatalf("request %d of the burst: %d %s", i, w.Code, w.Body)
		}
	}
	w := c.get(testKey)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "more than 10 requests a second") {
		t.Errorf("past the burst: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := c.get(other); w.Code != http.StatusOK {
		t.Errorf("another key: %d", w.Code)
	}
	clk.Advance(100 * time.Millisecond)
	if w := c.get(testKey); w.Code != http.StatusOK {
		t.Errorf("a tenth of a second later: %d", w.Code)
	}
	if w := c.get(testKey); w.Code != http.StatusTooManyRequests {
		t.Errorf("again at once: %d", w.Code)
	}
	clk.Advance(time.Second)
	for i := range 10 {
		if w := c.get(testKey); w.Code != http.StatusOK {
			t.Fatalf("request %d of a burst a second later: %d", i, w.Code)
		}
	}
	if keys.queries() < 3 {
		t.Errorf("the key was checked %d times; the test needs re-checks", keys.queries())
	}
}

// TestKeysDuringAnOutage: while the database cannot be asked, a key it
// confirmed goes on working for the grace period, past the cache time; a
// key seen revoked, whether by its own check or by the look for
// revocations, does not; a key never checked cannot be.
func TestKeysDuringAnOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := newMemKeys(clock.System{})
		used, revokedUsed, revokedIdle, unused := randomKey(t), randomKey(t), randomKey(t), randomKey(t)
		keys.add(used, 1)
		keys.add(revokedUsed, 2)
		keys.add(revokedIdle, 3)
		keys.add(unused, 4)
		h := (&Server{Lookup: okLookups{}, Keys: keys, KeyGrace: time.Hour}).Handler()
		c := caller{t, h, "192.0.2.1:1234"}
		want := func(key string, code int, when string) {
			t.Helper()
			if w := c.get(key); w.Code != code {
				t.Errorf("%s: %d %s; want %d", when, w.Code, w.Body, code)
			}
		}
		for _, k := range []string{used, revokedUsed, revokedIdle} {
			want(k, http.StatusOK, "before")
		}
		// Revoked while the database is up: one key is used again and
		// learns it itself; the other is not used, and learns it from
		// the look for revocations.
		keys.revoke(2)
		keys.revoke(3)
		time.Sleep(DefaultKeyCacheTTL)
		want(revokedUsed, http.StatusUnauthorized, "a revoked key")
		synctest.Wait() // the look for revocations the request started
		keys.setDown(true)
		for _, after := range []time.Duration{DefaultKeyCacheTTL, 50 * time.Minute} {
			time.Sleep(after)
			want(used, http.StatusOK, fmt.Sprintf("a checked key %v into the outage", after))
			synctest.Wait()
		}
		want(revokedUsed, http.StatusServiceUnavailable, "a key seen revoked, in the outage")
		want(revokedIdle, http.StatusServiceUnavailable, "a key whose revocation was looked up, in the outage")
		want(unused, http.StatusServiceUnavailable, "a key never checked, in the outage")
		time.Sleep(10 * time.Minute)
		want(used, http.StatusServiceUnavailable, "a checked key past the grace")
		keys.setDown(false)
		want(used, http.StatusOK, "a checked key once the database is back")
		synctest.Wait()
	})
}

// TestFirstChecksTakeTurns: checks of keys not seen before ask the
// database a few at a time, so guesses from many addresses cannot take
// every connection; one more waits briefly, then gets 503. A known key's
// re-check does not wait.
func TestFirstChecksTakeTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := newMemKeys(clock.System{})
		keys.add(testKey, 1)
		h := (&Server{Lookup: okLookups{}, Keys: keys}).Handler()
		if w := (caller{t, h, "192.0.2.1:1"}).get(testKey); w.Code != http.StatusOK {
			t.Fatalf("the good key: %d", w.Code)
		}
		gate := make(chan struct{})
		keys.mu.Lock()
		keys.gate = gate
		keys.mu.Unlock()
		var wg sync.WaitGroup
		held := make([]int, maxFirstChecks)
		for i := range maxFirstChecks {
			wg.Go(func() { held[i] = (caller{t, h, fmt.Sprintf("198.51.100.%d:1", i)}).get(randomKey(t)).Code })
		}
		synctest.Wait()
		time.Sleep(DefaultKeyCacheTTL)
		if w := (caller{t, h, "192.0.2.1:1"}).get(testKey); w.Code != http.StatusOK {
			t.Errorf("the good key's re-check while the turns are taken: %d %s", w.Code, w.Body)
		}
		start := time.Now()
		w := (caller{t, h, "203.0.113.1:1"}).get(randomKey(t))
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "not seen before") || time.Since(start) != firstCheckWait {
			t.Errorf("one more check: %d after %v %s", w.Code, time.Since(start), w.Body)
		}
		close(gate)
		wg.Wait()
		for i, code := range held {
			if code != http.StatusUnauthorized {
				t.Errorf("held check %d: %d", i, code)
			}
		}
		if w := (caller{t, h, "203.0.113.1:1"}).get(randomKey(t)); w.Code != http.StatusUnauthorized {
			t.Errorf("a check once the turns are free: %d %s", w.Code, w.Body)
		}
		synctest.Wait()
	})
}

// TestManyValidKeysFromOneAddress: a client holding the keys of many
// organisations (a PBX or gateway serving several) sends more new keys
// at once than the failure budget, all valid: none is refused, however
// the checks interleave.
func TestManyValidKeysFromOneAddress(t *testing.T) {
	keys := newMemKeys(clock.System{})
	var sent []string
	for i := range 5 * failBurst {
		k := randomKey(t)
		keys.add(k, int64(i+1))
		sent = append(sent, k)
	}
	h := (&Server{Lookup: okLookups{}, Keys: keys}).Handler()
	codes := make([]int, len(sent))
	var wg sync.WaitGroup
	for i, k := range sent {
		wg.Go(func() { codes[i] = (caller{t, h, "192.0.2.7:1234"}).get(k).Code })
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("valid key %d of %d sent at once from one address: %d", i+1, len(sent), c)
		}
	}
	// The budget is whole again: guesses are limited as before.
	count := map[int]int{}
	for range failBurst + 5 {
		count[(caller{t, h, "192.0.2.7:1234"}).get(randomKey(t)).Code]++
	}
	if count[http.StatusUnauthorized] != failBurst || count[http.StatusTooManyRequests] != 5 {
		t.Errorf("guesses after the valid keys: %v; want %d refused and 5 limited", count, failBurst)
	}
}

// TestWaitingForUnsettledChecks: a check over the budget waits for the
// checks under way: a refund lets it in, settled failures refuse it.
func TestWaitingForUnsettledChecks(t *testing.T) {
	f := failureLimiter{tat: map[netip.Addr]int64{}}
	addr := netip.MustParseAddr("192.0.2.9")
	now := time.Now
	for range failBurst {
		if _, ok := f.take(addr, now()); !ok {
			t.Fatal("the budget refused a take within it")
		}
	}
	done := make(chan bool)
	go func() {
		_, ok := f.takeWhenSettled(context.Background(), addr, now)
		done <- ok
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case ok := <-done:
		t.Fatalf("a take over the budget with checks under way ended at once (ok %v); want it to wait", ok)
	default:
	}
	f.refund(addr)
	if ok := <-done; !ok {
		t.Error("a refunded check did not let the waiting one in")
	}
	go func() {
		_, ok := f.takeWhenSettled(context.Background(), addr, now)
		done <- ok
	}()
	for range failBurst {
		f.settle(addr)
	}
	if ok := <-done; ok {
		t.Error("with every check settled as a failure, the waiting one was let in")
	}
}

// TestKnownKeysAreReadAgainInTheBackground: a working key whose time in
// the cache is up is read again in the background while the request goes
// on, when a look for revocations that began since its last check has
// ended; a key revoked at the moment of the last look is refused once
// its time is up, as before.
func TestKnownKeysAreReadAgainInTheBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := newMemKeys(clock.System{})
		other := randomKey(t)
		keys.add(testKey, 1)
		keys.add(other, 2)
		h := (&Server{Lookup: okLookups{}, Keys: keys}).Handler()
		c := caller{t, h, "192.0.2.1:1"}
		if w := c.get(testKey); w.Code != http.StatusOK {
			t.Fatalf("the key: %d", w.Code)
		}
		time.Sleep(DefaultKeyCacheTTL)
		// Another key's request starts the next look for revocations.
		if w := c.get(other); w.Code != http.StatusOK {
			t.Fatalf("the other key: %d", w.Code)
		}
		synctest.Wait()
		time.Sleep(time.Millisecond)
		slow := make(chan struct{})
		keys.mu.Lock()
		keys.slow = slow
		keys.mu.Unlock()
		checks := keys.queries()
		if w := c.get(testKey); w.Code != http.StatusOK {
			t.Errorf("a known key past its cache time while the database is slow: %d %s", w.Code, w.Body)
		}
		close(slow)
		synctest.Wait()
		if n := keys.queries() - checks; n != 1 {
			t.Errorf("%d reads of the key in the background; want 1", n)
		}

	})
	synctest.Test(t, func(t *testing.T) {
		// Revoked at the very moment a look for revocations began (the
		// look the key's first request started): refused once the
		// key's time is up.
		keys := newMemKeys(clock.System{})
		keys.add(testKey, 1)
		c := caller{t, (&Server{Lookup: okLookups{}, Keys: keys}).Handler(), "192.0.2.1:1"}
		if w := c.get(testKey); w.Code != http.StatusOK {
			t.Fatalf("the key: %d", w.Code)
		}
		synctest.Wait()
		keys.revoke(1)
		time.Sleep(DefaultKeyCacheTTL)
		if w := c.get(testKey); w.Code != http.StatusUnauthorized {
			t.Errorf("a key revoked as the last look began, after its cache time: %d", w.Code)
		}
		synctest.Wait()
	})
}
