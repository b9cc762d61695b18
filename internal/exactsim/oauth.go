package exactsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// codeLifetime is how long an authorization code can be exchanged.
const codeLifetime = 180 * time.Second

type authCode struct {
	clientID    crm.GUID
	user        string
	redirectURI string
	region      string
	expires     time.Time
	used        bool
}

// chainKey identifies a token chain: Exact keeps one per (app, user), which
// is why two integrations must never share one app.
type chainKey struct {
	client crm.GUID
	user   string
}

type chain struct {
	region string
	// refresh is the one refresh token the chain accepts; prev is the one
	// it superseded, still accepted under the grace switch until refresh
	// is first used.
	refresh       string
	prev          string
	refreshIssued time.Time
	// issued is when the chain last issued an access token; refreshes
	// before issued+TooEarlyWindow are refused.
	issued     time.Time
	access     string
	tokenDay   string
	tokenCalls int
}

type accessToken struct {
	chain   chainKey
	region  string
	expires time.Time
}

// refreshToken remembers every refresh token a chain handed out, so that a
// superseded one can be told apart from one that never existed.
type refreshToken struct {
	chain chainKey
}

// tokenError is the OAuth error body of the token endpoint.
type tokenError struct {
	status      int
	code        string
	description string
	reason      string
}

func (s *Simulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		writeTokenError(w, tokenError{status: 400, code: "invalid_request", description: "The request must be form-encoded (application/x-www-form-urlencoded)."})
		return
	}
	s.mu.Lock()
	s.stats.TokenCalls++
	body, terr := s.grant(region(r.Context()), r.PostForm)
	s.mu.Unlock()
	if terr != nil {
		writeTokenError(w, *terr)
		return
	}
	// The headers of the recorded token answer in Exact's Postman
	// collection (yusufkaracaburun/emeq-exact-api
	// OAUTH.postman_collection.json).
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "private")
	w.Header().Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(body)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    string `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

func (s *Simulator) grant(region string, form url.Values) (*tokenResponse, *tokenError) {
	app, terr := s.authenticateClient(form)
	if terr != nil {
		return nil, terr
	}
	now := s.now()
	switch form.Get("grant_type") {
	case "authorization_code":
		return s.exchangeCode(app, region, form, now)
	case "refresh_token":
		return s.refreshGrant(app, region, form, now)
	case "":
		return nil, &tokenError{status: 400, code: "invalid_request", description: "grant_type is missing."}
	default:
		return nil, &tokenError{status: 400, code: "unsupported_grant_type", description: "The grant type is not supported."}
	}
}

func (s *Simulator) authenticateClient(form url.Values) (*App, *tokenError) {
	id, err := crm.ParseGUID(form.Get("client_id"))
	if err != nil {
		return nil, &tokenError{status: 400, code: "invalid_client", description: "Unknown client_id."}
	}
	app, ok := s.apps[id]
	if !ok || form.Get("client_secret") != app.Secret {
		return nil, &tokenError{status: 400, code: "invalid_client", description: "Client authentication failed."}
	}
	return app, nil
}

func (s *Simulator) exchangeCode(app *App, region string, form url.Values, now time.Time) (*tokenResponse, *tokenError) {
	code, ok := s.codes[form.Get("code")]
	switch {
	case !ok || code.clientID != app.ClientID:
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "The authorization code is invalid."}
	case code.used:
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "The authorization code has already been used."}
	case now.After(code.expires):
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "The authorization code has expired."}
	case form.Get("redirect_uri") != code.redirectURI:
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "The redirect_uri does not match the one of the authorization request."}
	case code.region != region:
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "The authorization code was issued by another Exact Online host."}
	}
	code.used = true
	key := chainKey{client: app.ClientID, user: code.user}
	c, ok := s.chains[key]
	if !ok {
		c = &chain{}
		s.chains[key] = c
	}
	if terr := s.countTokenCall(key, now); terr != nil {
		return nil, terr
	}
	// A new consent starts the chain again: whatever refresh token another
	// integration of the same app held is now superseded.
	c.region = region
	c.prev = ""
	return s.issue(key, c, now), nil
}

func (s *Simulator) refreshGrant(app *App, region string, form url.Values, now time.Time) (*tokenResponse, *tokenError) {
	tok := form.Get("refresh_token")
	rt, ok := s.refresh[tok]
	if !ok || rt.chain.client != app.ClientID {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "Token is not allowed, because of invalid or empty chainId"}
	}
	c := s.chains[rt.chain]
	if terr := s.countTokenCall(rt.chain, now); terr != nil {
		return nil, terr
	}
	graced := s.opts.RefreshGrace && tok == c.prev && c.prev != ""
	if tok != c.refresh && !graced {
		return nil, &tokenError{status: s.opts.OldRefreshTokenStatus, code: "unauthorized_client", description: "Old refresh token used."}
	}
	if c.region != region {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "Token is not allowed, because of invalid or empty chainId"}
	}
	if expires := c.refreshIssued.Add(s.opts.RefreshTokenLifetime); now.After(expires) {
		return nil, &tokenError{status: 400, code: "invalid_request", description: "The refresh token expired at " + usTime(expires) + " and it is now " + usTime(now) + "."}
	}
	if now.Before(c.issued.Add(s.opts.TooEarlyWindow)) {
		const msg = "Rate limit exceeded: access_token not expired"
		return nil, &tokenError{status: 400, code: "access_denied", description: msg, reason: "TooEarlyToRefreshTokens: " + msg}
	}
	return s.issue(rt.chain, c, now), nil
}

// issue hands out a new access and refresh token on chain c, superseding
// the chain's previous refresh token (and, unless configured otherwise,
// its previous access token).
func (s *Simulator) issue(key chainKey, c *chain, now time.Time) *tokenResponse {
	if !s.opts.KeepOldAccessToken && c.access != "" {
		delete(s.access, c.access)
	}
	if !s.opts.RefreshGrace && c.prev != "" {
		c.prev = ""
	}
	access := "gAAAAA" + randomToken(240, false)
	refresh := randomToken(180, true)
	s.access[access] = &accessToken{chain: key, region: c.region, expires: now.Add(s.opts.AccessTokenLifetime)}
	s.refresh[refresh] = &refreshToken{chain: key}
	c.access = access
	if s.opts.RefreshGrace {
		c.prev = c.refresh
	}
	c.refresh = refresh
	c.refreshIssued = now
	c.issued = now
	s.dirty = true
	return &tokenResponse{
		AccessToken:  access,
		TokenType:    "bearer",
		ExpiresIn:    strconv.Itoa(int(s.opts.AccessTokenLifetime / time.Second)),
		RefreshToken: refresh,
	}
}

func (s *Simulator) countTokenCall(key chainKey, now time.Time) *tokenError {
	c, ok := s.chains[key]
	if !ok {
		return nil
	}
	day := now.Format(time.DateOnly)
	if c.tokenDay != day {
		c.tokenDay, c.tokenCalls = day, 0
	}
	c.tokenCalls++
	if c.tokenCalls > s.opts.TokenCallsPerDay {
		return &tokenError{status: s.opts.TokenCapStatus, code: "access_denied",
			description: "Rate limit exceeded: the maximum of " + strconv.Itoa(s.opts.TokenCallsPerDay) + " token requests per day has been reached."}
	}
	return nil
}

// usTime formats t the way Exact's refresh-expiry message does.
func usTime(t time.Time) string { return t.UTC().Format("1/2/2006 3:04:05 PM") }

func writeTokenError(w http.ResponseWriter, e tokenError) {
	if e.reason != "" {
		w.Header().Set("Reason", e.reason)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"error": e.code, "error_description": e.description})
	// Exact's serializer escapes slashes, so dates read 10\/11\/2022.
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	_, _ = w.Write(b)
}

// bearer resolves the Authorization header to a live access token.
func (s *Simulator) bearer(r *http.Request) (*accessToken, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, false
	}
	at, ok := s.access[strings.TrimSpace(h[7:])]
	if !ok {
		return nil, false
	}
	return at, true
}

// ExpireTokens ends every access token now (of one app when clientID is
// non-zero), as when Exact drops a token early, and lets the chains refresh
// at once.
func (s *Simulator) ExpireTokens(clientID crm.GUID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, at := range s.access {
		if clientID.IsZero() || at.chain.client == clientID {
			if at.expires.After(now) {
				at.expires = now
				n++
			}
			if c := s.chains[at.chain]; c != nil {
				c.issued = time.Time{}
			}
		}
	}
	return n
}

// SupersedeChain makes a second integration on the same app refresh (or
// consent) behind the first one's back: the chain's current refresh and
// access tokens stop working, and a new pair nobody knows of takes over.
// It reports false when the chain does not exist.
func (s *Simulator) SupersedeChain(clientID crm.GUID, userName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := chainKey{client: clientID, user: strings.ToLower(userName)}
	c, ok := s.chains[key]
	if !ok {
		return false
	}
	c.prev = ""
	s.issue(key, c, s.now())
	return true
}
