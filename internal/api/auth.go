package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
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

	mu      sync.Mutex
	cache   map[string]*cachedKey // by the key's hash: the cache keeps no key in the clear
	touched map[int64]time.Time   // last use recorded, by key ID
}

type cachedKey struct {
	key   *roger.APIKey
	until time.Time
}

func (a *authenticator) authenticate(r *http.Request, q url.Values) (*roger.APIKey, error) {
	for _, name := range queryKeyNames {
		if q.Has(name) {
			return nil, errKeyInURL
		}
	}
	for _, vals := range q {
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
	hash := roger.HashAPIKey(token)
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	var key *roger.APIKey
	if ok && now.Before(c.until) {
		key = c.key
	} else {
		var err error
		if key, err = a.keys.AuthenticateAPIKey(r.Context(), token); err != nil {
			if roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
				return nil, &roger.Error{Code: roger.EUNAVAILABLE, Op: "authenticate", Message: "API keys cannot be checked just now; try again.", Err: err}
			}
			return nil, err
		}
		if a.ttl > 0 {
			a.mu.Lock()
			if len(a.cache) >= maxCachedKeys {
				clear(a.cache)
			}
			a.cache[hash] = &cachedKey{key: key, until: now.Add(a.ttl)}
			a.mu.Unlock()
		}
	}
	if a.due(key, now) {
		a.touch(key.ID, now)
	}
	return key, nil
}

// due reports whether a use of key at now should be recorded, and if so
// notes that it is.
func (a *authenticator) due(key *roger.APIKey, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	last, ok := a.touched[key.ID]
	if !ok {
		last = key.LastUsed
	}
	if !last.IsZero() && now.Sub(last) < a.touchEvery {
		return false
	}
	if len(a.touched) >= maxCachedKeys {
		clear(a.touched)
	}
	a.touched[key.ID] = now
	return true
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
