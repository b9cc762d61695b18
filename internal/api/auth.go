package api

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roger365io/roger"
)

// Keys is what the API needs of the key store (*sqlstore.Store).
type Keys interface {
	// AuthenticateAPIKey returns the working key, or EUNAUTHORIZED.
	AuthenticateAPIKey(ctx context.Context, key string) (*roger.APIKey, error)
	// TouchAPIKey records a use of the key at t.
	TouchAPIKey(ctx context.Context, id int64, t time.Time) error
	// APIKeysRevokedSince returns the IDs of keys revoked at or after
	// since.
	APIKeysRevokedSince(ctx context.Context, since time.Time) ([]int64, error)
}

// queryKeyNames are query parameters people put keys in. A key there is
// refused even when it is valid: URLs end up in proxy and server logs.
var queryKeyNames = []string{"key", "api_key", "apikey", "api-key", "token", "access_token", "apiKey", "authorization"}

var (
	errNoKey = roger.Errorf(roger.EUNAUTHORIZED,
		"Send an API key in the Authorization header: \"Authorization: Bearer rgr_…\". Keys are made in the portal or with \"roger apikey create\".")
	errNotBearer = roger.Errorf(roger.EUNAUTHORIZED,
		"Only Bearer authorization is accepted: \"Authorization: Bearer rgr_…\".")
	errKeyInURL = roger.Errorf(roger.EINVALID,
		"API keys are accepted only in the Authorization header (\"Authorization: Bearer rgr_…\"), never in the URL, where proxies and logs keep them. Consider this key exposed: revoke it and make a new one.")
	// errBadKey is the answer to a key that is unknown, revoked or not
	// a key at all: one message for all, as the store gives.
	errBadKey = roger.Errorf(roger.EUNAUTHORIZED, "The API key is not valid: it is unknown or has been revoked.")
)

// maxCachedKeys bounds the cache of working keys; keys are few, so
// reaching it means something odd, and starting over is the simple answer.
const maxCachedKeys = 10_000

// Failed authentications are limited per client address: a burst of
// failBurst, then one every failEvery (20 a minute). A client whose key
// works is not held back: only keys that need the database are.
const (
	failBurst = 20
	failEvery = 3 * time.Second
	// maxMisses and maxClients bound what a flood of random keys from
	// many addresses can make the API remember.
	maxMisses  = 10_000
	maxClients = 10_000
	// maxFirstChecks is how many checks of keys not seen before may ask
	// the database at once, and firstCheckWait how long one more waits
	// for a turn. Guesses from many addresses, each within its own
	// budget, then hold at most this many of the database's connections
	// (SQLite reads with four), so lookups and pages still get theirs.
	// Known keys' re-checks do not wait for a turn.
	maxFirstChecks = 2
	firstCheckWait = 100 * time.Millisecond
	// revocationOverlap is how far back each look for revocations
	// reaches before the previous one began: instances' clocks differ a
	// little, and a check that raced a revocation is looked at again.
	revocationOverlap = time.Minute
)

// codeRateLimited is the error code of a request refused by a limit, with
// status 429 and Retry-After.
const codeRateLimited roger.ErrorCode = "rate_limited"

// limitError refuses a request until wait has passed.
type limitError struct {
	wait time.Duration
	err  *roger.Error
}

func (e *limitError) Error() string { return e.err.Error() }
func (e *limitError) Unwrap() error { return e.err }

// retryAfter is wait in whole seconds, at least one, for Retry-After.
func (e *limitError) retryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.wait.Seconds()))))
}

// authenticator checks API keys, keeping working keys for a short time
// and unknown ones for as long; limits failed checks per client address
// and requests per key; and records keys' last use at most every
// touchEvery.
type authenticator struct {
	keys       Keys
	clock      roger.Clock
	log        *slog.Logger
	ttl        time.Duration
	touchEvery time.Duration
	// grace is how long after the database last confirmed a key it is
	// still taken while the database cannot be asked.
	grace time.Duration
	// every and burst are a key's rate limit: a request every `every`
	// on average, burst at once; every 0 is no limit.
	every      time.Duration
	burst      int64
	clientAddr func(*http.Request) netip.Addr

	// cache holds *cachedKey by the key's SHA-256 (the cache keeps no key
	// in the clear). A sync.Map reads without a lock: every request
	// reads it, while a key is written once per ttl.
	cache  sync.Map
	cached atomic.Int64 // entries added to cache since it was last cleared

	misses   missCache
	failures failureLimiter
	// firstChecks holds a token for every check of a key not seen
	// before that is asking the database.
	firstChecks chan struct{}

	// A look for revocations runs in the background every ttl, started
	// by the first request after nextSweep, one at a time.
	sweeping  atomic.Bool
	nextSweep atomic.Int64 // Unix nanoseconds
	sweptAt   atomic.Int64 // when the last successful look began, Unix nanoseconds
	sweepFrom time.Time    // revocations from here on are looked for; only the sweeping goroutine uses it

	mu      sync.Mutex
	touched map[int64]time.Time // last use recorded, by key ID
}

func newAuthenticator(keys Keys, clk roger.Clock, log *slog.Logger, ttl, touchEvery, grace time.Duration, rate int, clientAddr func(*http.Request) netip.Addr) *authenticator {
	a := &authenticator{keys: keys, clock: clk, log: log, ttl: ttl, touchEvery: touchEvery, grace: grace, clientAddr: clientAddr,
		touched: map[int64]time.Time{}, sweepFrom: clk.Now().Add(-revocationOverlap), firstChecks: make(chan struct{}, maxFirstChecks)}
	if rate > 0 {
		a.every, a.burst = time.Second/time.Duration(rate), int64(rate)
	}
	if a.clientAddr == nil {
		a.clientAddr = remoteAddr
	}
	a.misses.until = map[[32]byte]time.Time{}
	a.failures.tat = map[netip.Addr]int64{}
	return a
}

type cachedKey struct {
	key   *roger.APIKey
	until time.Time
	// checked is when the database last said the key works.
	checked time.Time
	// limit is the key's request budget; it outlives re-checks.
	limit *gcra
	// quietUntil (Unix nanoseconds) is before when a use of key need
	// not be recorded, so that most requests skip the lock of due.
	quietUntil atomic.Int64
	// rechecking is set while the key is read again in the background.
	rechecking atomic.Bool
}

func (a *authenticator) authenticate(r *http.Request, q url.Values) (*roger.APIKey, error) {
	// One pass over the few parameters a request has, rather than a
	// look-up of every name a key could hide under.
	for name, vals := range q {
		if slices.Contains(queryKeyNames, name) {
			return nil, errKeyInURL
		}
		for _, v := range vals {
			if roger.LooksLikeAPIKey(strings.TrimSpace(v)) {
				return nil, errKeyInURL
			}
		}
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, errNoKey
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, errNotBearer
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errNoKey
	}
	now := a.clock.Now()
	a.maybeSweep(now)
	// On the stack for a key of the usual length: []byte(token) would
	// be an allocation a request.
	var buf [64]byte
	hash := sha256.Sum256(append(buf[:0], token...))
	var c, stale *cachedKey
	if v, ok := a.cache.Load(hash); ok {
		if c = v.(*cachedKey); !now.Before(c.until) {
			if a.sweptSince(now.Add(-a.ttl)) {
				// A look for revocations that began within the cache
				// time left the key in the cache, so it was not revoked
				// before that look began: the request goes on, and the key is read
				// again in the background. A lookup then never waits
				// for the database, however busy a first load keeps it.
				a.recheck(hash, token, c)
			} else {
				c, stale = nil, c
			}
		}
	}
	if c == nil {
		var err error
		if c, err = a.check(r, token, hash, now, stale); err != nil {
			return nil, err
		}
	}
	if wait, ok := c.limit.take(now, a.every, a.burst); !ok {
		return nil, &limitError{wait: wait, err: &roger.Error{Code: codeRateLimited, Op: "authenticate",
			Message: fmt.Sprintf("This API key has made more than %d requests a second; wait as long as Retry-After says. The limit is the server's ROGER_API_KEY_RATE_LIMIT.", a.burst)}}
	}
	if now.UnixNano() >= c.quietUntil.Load() {
		due, next := a.due(c.key, now)
		c.quietUntil.Store(next.UnixNano())
		if due {
			a.touch(c.key.ID, now)
		}
	}
	return c.key, nil
}

// check asks the database about a key that is not in the cache, or whose
// time there is up (stale). A key that cannot be one, or was unknown a
// moment ago, is refused without a query; every refusal counts against
// the client's address, which is refused for a while once it has too
// many. While the database cannot be asked, a key it confirmed within
// grace is still taken.
func (a *authenticator) check(r *http.Request, token string, hash [32]byte, now time.Time, stale *cachedKey) (*cachedKey, error) {
	// The failure is counted before the query and given back when the
	// key works: concurrent guesses cannot all pass a count taken after.
	// A key that worked a moment ago is not counted, so that a client
	// whose address is shared with a flood of guesses keeps working.
	counted := stale == nil
	addr := clientKey(a.clientAddr(r))
	refunded := false
	refund := func() {
		if counted && !refunded {
			refunded = true
			a.failures.refund(addr)
		}
	}
	if counted {
		if wait, ok := a.failures.takeWhenSettled(r.Context(), addr, a.clock.Now); !ok {
			return nil, &limitError{wait: wait, err: &roger.Error{Code: codeRateLimited, Op: "authenticate",
				Message: "Too many requests with API keys that are not valid came from this address; wait as long as Retry-After says, and send a valid key."}}
		}
		defer func() {
			if !refunded {
				a.failures.settle(addr)
			}
		}()
	}
	if !roger.WellFormedAPIKey(token) || a.misses.has(hash, now) {
		return nil, errBadKey
	}
	if counted {
		if !a.takeTurn(r.Context()) {
			refund()
			return nil, &roger.Error{Code: roger.EUNAVAILABLE, Op: "authenticate",
				Message: "Too many API keys not seen before are being checked just now; try again in a moment."}
		}
		defer func() { <-a.firstChecks }()
	}
	key, err := a.keys.AuthenticateAPIKey(r.Context(), token)
	if err == nil {
		refund()
		c := &cachedKey{key: key, until: now.Add(a.ttl), checked: now, limit: new(gcra)}
		if stale != nil {
			c.limit = stale.limit
		}
		if a.ttl > 0 {
			if _, replaced := a.cache.Swap(hash, c); !replaced && a.cached.Add(1) > maxCachedKeys {
				a.cache.Clear()
				a.cached.Store(0)
			}
		}
		return c, nil
	}
	if roger.ErrorCodeOf(err) == roger.EUNAUTHORIZED {
		// A revocation seen: the key is not taken again, outage or not.
		if stale != nil {
			a.cache.CompareAndDelete(hash, stale)
		}
		if a.ttl > 0 {
			a.misses.add(hash, now.Add(a.ttl))
		}
		return nil, err
	}
	// The database did not answer: not the client's failure.
	refund()
	if stale != nil && a.grace > 0 && now.Sub(a.confirmed(stale)) <= a.grace {
		// Asked again after another ttl rather than at every request,
		// each of which would wait for the database to fail.
		c := &cachedKey{key: stale.key, until: now.Add(a.ttl), checked: stale.checked, limit: stale.limit}
		a.cache.CompareAndSwap(hash, stale, c)
		return c, nil
	}
	return nil, &roger.Error{Code: roger.EUNAVAILABLE, Op: "authenticate", Message: "API keys cannot be checked just now; try again.", Err: err}
}

// sweptSince says a look for revocations that began after t has ended. A
// look that began at the very moment of a revocation may have missed it.
func (a *authenticator) sweptSince(t time.Time) bool {
	swept := a.sweptAt.Load()
	return swept != 0 && swept > t.UnixNano()
}

// recheck reads the key of c again in the background, once however many
// requests find it due, and puts what the database says in the cache: a
// new time there, or, for a key revoked or gone, nothing. While the
// database does not answer, c stays, and requests after the next look for
// revocations is overdue check the key themselves (check, with its
// grace).
func (a *authenticator) recheck(hash [32]byte, token string, c *cachedKey) {
	if !c.rechecking.CompareAndSwap(false, true) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		key, err := a.keys.AuthenticateAPIKey(ctx, token)
		now := a.clock.Now()
		switch {
		case err == nil:
			next := &cachedKey{key: key, until: now.Add(a.ttl), checked: now, limit: c.limit}
			next.quietUntil.Store(c.quietUntil.Load())
			a.cache.CompareAndSwap(hash, c, next)
		case roger.ErrorCodeOf(err) == roger.EUNAUTHORIZED:
			a.cache.CompareAndDelete(hash, c)
			a.misses.add(hash, now.Add(a.ttl))
		default:
			c.rechecking.Store(false)
		}
	}()
}

// takeTurn waits up to firstCheckWait for one of the maxFirstChecks turns
// to ask the database about a key not seen before.
func (a *authenticator) takeTurn(ctx context.Context) bool {
	select {
	case a.firstChecks <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(firstCheckWait)
	defer t.Stop()
	select {
	case a.firstChecks <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// confirmed is when the key of c was last known to work: when the
// database said so, or when a look for revocations last found it was not
// among them, whichever is later.
func (a *authenticator) confirmed(c *cachedKey) time.Time {
	if swept := time.Unix(0, a.sweptAt.Load()); a.sweptAt.Load() != 0 && swept.After(c.checked) {
		return swept
	}
	return c.checked
}

// maybeSweep starts a look for revocations when one is due: a key revoked
// while the database is up then leaves the cache within ttl even if it is
// not used meanwhile, so it is not taken during a later outage.
func (a *authenticator) maybeSweep(now time.Time) {
	if a.ttl <= 0 || now.UnixNano() < a.nextSweep.Load() || !a.sweeping.CompareAndSwap(false, true) {
		return
	}
	a.nextSweep.Store(now.Add(a.ttl).UnixNano())
	go a.sweep(now)
}

func (a *authenticator) sweep(start time.Time) {
	defer a.sweeping.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids, err := a.keys.APIKeysRevokedSince(ctx, a.sweepFrom)
	if err != nil {
		return // the database is away; the next request after ttl tries again
	}
	if len(ids) > 0 {
		a.cache.Range(func(hash, v any) bool {
			if slices.Contains(ids, v.(*cachedKey).key.ID) {
				a.cache.CompareAndDelete(hash, v)
			}
			return true
		})
	}
	a.sweepFrom = start.Add(-revocationOverlap)
	a.sweptAt.Store(start.UnixNano())
}

// due reports whether a use of key at now should be recorded, and if so
// notes that it is; next is when the next use may have to be.
func (a *authenticator) due(key *roger.APIKey, now time.Time) (due bool, next time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	last, ok := a.touched[key.ID]
	if !ok {
		last = key.LastUsed
	}
	if !last.IsZero() && now.Sub(last) < a.touchEvery {
		return false, last.Add(a.touchEvery)
	}
	if len(a.touched) >= maxCachedKeys {
		clear(a.touched)
	}
	a.touched[key.ID] = now
	return true, now.Add(a.touchEvery)
}

// touch records a use in the background: the lookup must not wait for a
// write, which on SQLite queues behind any sync page being committed.
func (a *authenticator) touch(id int64, at time.Time) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.keys.TouchAPIKey(ctx, id, at); err != nil {
			a.log.Warn("record API key use", "key", id, "err", err)
		}
	}()
}

// gcra is a token bucket kept as one number (the generic cell rate
// algorithm): the time at which the bucket would be full again. Taking
// from it is a compare-and-swap, so requests with one key never queue on
// a lock.
type gcra struct{ tat atomic.Int64 }

// take spends one request of a budget of one every `every`, burst at
// once, or says how long to wait for one.
func (g *gcra) take(now time.Time, every time.Duration, burst int64) (time.Duration, bool) {
	if every <= 0 {
		return 0, true
	}
	n := now.UnixNano()
	for {
		old := g.tat.Load()
		next := max(old, n) + int64(every)
		if over := next - n - burst*int64(every); over > 0 {
			return time.Duration(over), false
		}
		if g.tat.CompareAndSwap(old, next) {
			return 0, true
		}
	}
}

// failureLimiter counts failed authentications per client address, as a
// gcra each, in a map of bounded size.
type failureLimiter struct {
	mu  sync.Mutex
	tat map[netip.Addr]int64
	// unsettled counts, by address, the failures taken for checks that
	// have not yet ended: each is refunded (the key works) or settled
	// (it does not).
	unsettled map[netip.Addr]int
}

// settleWait is the longest a check waits for the address's unsettled
// checks to end before it is refused: one client with the keys of many
// organisations (a PBX or a gateway serving several), starting cold,
// sends more new keys at once than the failure budget, and they are
// valid.
const settleWait = 2 * time.Second

// takeWhenSettled takes as take does; when the budget is spent only by
// checks still under way, which mostly turn out to be valid keys, it
// waits for them to end and tries again, for up to settleWait.
func (f *failureLimiter) takeWhenSettled(ctx context.Context, addr netip.Addr, now func() time.Time) (time.Duration, bool) {
	deadline := time.Now().Add(settleWait)
	for {
		wait, ok := f.take(addr, now())
		if ok {
			return 0, true
		}
		f.mu.Lock()
		unsettled := f.unsettled[addr]
		f.mu.Unlock()
		if unsettled == 0 || time.Now().After(deadline) {
			return wait, false
		}
		t := time.NewTimer(2 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return wait, false
		case <-t.C:
		}
	}
}

// settle ends a check whose failure, taken before it, happened.
func (f *failureLimiter) settle(addr netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unsettle(addr)
}

func (f *failureLimiter) unsettle(addr netip.Addr) {
	if f.unsettled[addr] <= 1 {
		delete(f.unsettled, addr)
		return
	}
	f.unsettled[addr]--
}

// take counts a failure against addr before it happens, or says how long
// addr must wait.
func (f *failureLimiter) take(addr netip.Addr, now time.Time) (time.Duration, bool) {
	n := now.UnixNano()
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.tat[addr]
	if !ok && len(f.tat) >= maxClients {
		// Addresses whose budget is whole again carry nothing worth
		// keeping; if every one is still counting, start over.
		for a, t := range f.tat {
			if t <= n {
				delete(f.tat, a)
			}
		}
		if len(f.tat) >= maxClients {
			clear(f.tat)
		}
	}
	next := max(old, n) + int64(failEvery)
	if over := next - n - failBurst*int64(failEvery); over > 0 {
		return time.Duration(over), false
	}
	f.tat[addr] = next
	if f.unsettled == nil {
		f.unsettled = map[netip.Addr]int{}
	}
	f.unsettled[addr]++
	return 0, true
}

// refund gives back a failure counted by take that did not happen.
func (f *failureLimiter) refund(addr netip.Addr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.tat[addr]; ok {
		f.tat[addr] = t - int64(failEvery)
	}
	f.unsettle(addr)
}

// missCache remembers keys the database did not know, until a time, in a
// map of bounded size.
type missCache struct {
	mu    sync.Mutex
	until map[[32]byte]time.Time
}

func (m *missCache) has(hash [32]byte, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.until[hash]
	return ok && now.Before(until)
}

func (m *missCache) add(hash [32]byte, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.until) >= maxMisses {
		// Random keys are never sent twice, so a full cache holds
		// little worth keeping.
		clear(m.until)
	}
	m.until[hash] = until
}

// clientKey is the address failures are counted against: the address
// itself for IPv4, its /64 for IPv6, since one host commonly holds a whole
// /64.
func clientKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return a
}

// remoteAddr is the address of the connection a request came on.
func remoteAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr()
	}
	a, _ := netip.ParseAddr(r.RemoteAddr)
	return a
}
