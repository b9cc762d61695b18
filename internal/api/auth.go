package api

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
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
)

// maxCachedKeys bounds the cache; keys are few, so reaching it means
// something odd, and starting over is the simple answer.
const maxCachedKeys = 10_000

// authenticator checks API keys, keeping checked keys for a short time,
// and records their last use at most every touchEvery.
type authenticator struct {
	keys       Keys
	clock      roger.Clock
	log        *slog.Logger
	ttl        time.Duration
	touchEvery time.Duration

	// cache holds *cachedKey by the key's SHA-256 (the cache keeps no key
	// in the clear). A sync.Map reads without a lock: every request
	// reads it, while a key is written once per ttl.
	cache  sync.Map
	cached atomic.Int64 // entries added to cache since it was last cleared

	mu      sync.Mutex
	touched map[int64]time.Time // last use recorded, by key ID
}

type cachedKey struct {
	key   *roger.APIKey
	until time.Time
	// quietUntil (Unix nanoseconds) is before when a use of key need
	// not be recorded, so that most requests skip the lock of due.
	quietUntil atomic.Int64
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
	// On the stack for a key of the usual length: []byte(token) would
	// be an allocation a request.
	var buf [64]byte
	hash := sha256.Sum256(append(buf[:0], token...))
	var c *cachedKey
	if v, ok := a.cache.Load(hash); ok && now.Before(v.(*cachedKey).until) {
		c = v.(*cachedKey)
	} else {
		key, err := a.keys.AuthenticateAPIKey(r.Context(), token)
		if err != nil {
			if roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
				return nil, &roger.Error{Code: roger.EUNAVAILABLE, Op: "authenticate", Message: "API keys cannot be checked just now; try again.", Err: err}
			}
			return nil, err
		}
		c = &cachedKey{key: key, until: now.Add(a.ttl)}
		if a.ttl > 0 {
			if _, replaced := a.cache.Swap(hash, c); !replaced && a.cached.Add(1) > maxCachedKeys {
				a.cache.Clear()
				a.cached.Store(0)
			}
		}
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
