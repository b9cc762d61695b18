package exact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// AuthCodeURL returns the address to send a person's browser to so that
// they sign in to Exact Online and let the app read their data. Exact
// redirects back to cfg.RedirectURL with code and state. forceLogin shows
// the login screen even when the browser has an Exact session, so a person
// can pick another Exact user than the one signed in.
func AuthCodeURL(cfg Config, state string, forceLogin bool) string {
	cfg = cfg.withDefaults()
	// Built by hand to keep the documented parameter order; url.Values
	// would sort them.
	var b strings.Builder
	b.WriteString(cfg.BaseURL)
	b.WriteString("/api/oauth2/auth?client_id=")
	b.WriteString(url.QueryEscape(cfg.ClientID))
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(cfg.RedirectURL))
	b.WriteString("&response_type=code&state=")
	b.WriteString(url.QueryEscape(state))
	if forceLogin {
		b.WriteString("&force_login=1")
	}
	return b.String()
}

// Exchange trades an authorization code for the first token pair. code is
// passed exactly as received: the caller's URL parsing has decoded it once,
// which is what Exact requires (its codes contain '!'). A code works once
// and for three minutes.
func Exchange(ctx context.Context, cfg Config, code string) (*roger.Token, error) {
	cfg = cfg.withDefaults()
	const op = "exact.Exchange"
	if code == "" {
		return nil, &roger.Error{Code: roger.EINVALID, Op: op, Message: "Exact Online sent no authorization code: authorize the application again."}
	}
	tok, terr := tokenCall(ctx, cfg, url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {cfg.RedirectURL},
	})
	if terr == nil {
		return tok, nil
	}
	e := &roger.Error{Op: op, Err: terr}
	switch terr.Kind {
	case InvalidGrant, OldTokenUsed, RefreshExpired:
		e.Code = roger.EINVALID
		e.Message = "Exact Online did not accept the authorization code (" + terr.summary() + "): codes work once and for three minutes, so authorize the application again."
	case InvalidClient:
		e.Code = roger.EINVALID
		e.Message = "Exact Online did not accept the client ID or secret (" + terr.summary() + "): copy both again from the Exact App Center and authorize the application again."
	case Transient, RateLimited, TooEarly:
		e.Code = roger.EUNAVAILABLE
		e.Message = "Exact Online could not complete the authorization (" + terr.summary() + "): try again in a few minutes."
	default:
		e.Code = roger.EINTERNAL
		e.Message = "Exact Online gave an unexpected answer to the authorization (" + terr.summary() + "): try again, and report the problem if it persists."
	}
	return nil, e
}

// TokenErrorKind classifies a failed token call by what can be done about
// it.
type TokenErrorKind string

// The kinds of token failures.
const (
	// OldTokenUsed: the refresh token was superseded, nearly always by a
	// second integration (or a copy of a database) using the same app and
	// Exact user. The chain is gone.
	OldTokenUsed TokenErrorKind = "old_token_used"
	// RefreshExpired: the refresh token went unused for too long (30 days).
	RefreshExpired TokenErrorKind = "refresh_expired"
	// InvalidGrant: Exact does not know the refresh token or code at all.
	InvalidGrant TokenErrorKind = "invalid_grant"
	// InvalidClient: the client ID or secret is wrong or was changed.
	InvalidClient TokenErrorKind = "invalid_client"
	// TooEarly: Exact refuses a refresh within 570 s of the previous one.
	TooEarly TokenErrorKind = "too_early"
	// RateLimited: the daily cap on token calls is reached.
	RateLimited TokenErrorKind = "rate_limited"
	// Transient: the token endpoint is down or unreachable.
	Transient TokenErrorKind = "transient"
	// Unexpected: an answer that fits none of the above, such as a 200
	// without a refresh token.
	Unexpected TokenErrorKind = "unexpected"
)

// TokenError classifies a failed call to Exact's token endpoint.
type TokenError struct {
	Kind        TokenErrorKind
	Status      int    // HTTP status; 0 when no answer came
	Code        string // the OAuth error code, such as invalid_grant
	Description string // Exact's error_description
	// Reason is Exact's Reason header, as sent with TooEarlyToRefreshTokens.
	Reason string

	err error // the transport error, when no answer came
}

// Error describes the failure without any token or secret: Exact's
// descriptions name tokens only by kind.
func (e *TokenError) Error() string { return "Exact Online token request failed: " + e.summary() }

func (e *TokenError) summary() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, "HTTP "+strconv.Itoa(e.Status))
	}
	if e.Code != "" {
		parts = append(parts, e.Code)
	}
	s := strings.Join(parts, " ")
	switch {
	case e.Description != "":
		if s != "" {
			s += ": "
		}
		s += strings.TrimSuffix(clip(e.Description, 300), ".")
	case e.err != nil:
		if s != "" {
			s += ": "
		}
		s += transportText(e.err)
	case s == "":
		s = string(e.Kind)
	}
	return s
}

// Unwrap returns the transport error, if any, so context cancellation can
// be recognised.
func (e *TokenError) Unwrap() error { return e.err }

// NeedsReauthorization reports whether only a person authorizing the
// application again can fix the failure.
func (e *TokenError) NeedsReauthorization() bool {
	switch e.Kind {
	case OldTokenUsed, RefreshExpired, InvalidGrant, InvalidClient:
		return true
	}
	return false
}

// maxTokenBody bounds what is read of a token answer; real ones are under
// 2 KB.
const maxTokenBody = 1 << 20

// refreshCall spends refresh for a new pair. Exact rotates the refresh
// token on every success, so the caller must store the result before
// anything else happens.
func refreshCall(ctx context.Context, cfg Config, refresh string) (*roger.Token, *TokenError) {
	return tokenCall(ctx, cfg, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
}

// tokenCall posts a grant to the token endpoint. The client credentials go
// in the form body, as Exact expects, never in Basic auth.
func tokenCall(ctx context.Context, cfg Config, form url.Values) (*roger.Token, *TokenError) {
	form.Set("client_id", cfg.ClientID)
	form.Set("client_secret", cfg.ClientSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.BaseURL+"/api/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &TokenError{Kind: Unexpected, Description: "the Exact Online URL is not valid", err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// The pair may have been issued at any moment between sending and
	// receiving: expiry counts from the send (never trust a token too
	// long), the too-early window from the receipt (never refresh early).
	sent := cfg.Clock.Now()
	resp, err := cfg.httpClient().Do(req)
	if err != nil {
		return nil, &TokenError{Kind: Transient, err: err}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	resp.Body.Close()
	if err != nil {
		return nil, &TokenError{Kind: Transient, Status: resp.StatusCode, err: err}
	}
	received := cfg.Clock.Now()
	if resp.StatusCode == http.StatusOK {
		tok, err := parseTokenResponse(body, sent, received)
		if err != nil {
			return nil, &TokenError{Kind: Unexpected, Status: resp.StatusCode, Description: err.Error()}
		}
		return tok, nil
	}
	return nil, classifyTokenError(resp.StatusCode, body, resp.Header.Get("Reason"))
}

// parseTokenResponse reads {"access_token","token_type","expires_in",
// "refresh_token"}. expires_in is the string "600" in Exact's recordings;
// a number is accepted too. Anything incomplete is refused, so a half
// answer can never replace a working token in the store.
func parseTokenResponse(body []byte, sent, received time.Time) (*roger.Token, error) {
	var raw struct {
		AccessToken  string          `json:"access_token"`
		TokenType    string          `json:"token_type"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		RefreshToken string          `json:"refresh_token"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("the token answer is not the expected JSON")
	}
	if raw.AccessToken == "" {
		return nil, errors.New("the token answer has no access_token")
	}
	if raw.RefreshToken == "" {
		return nil, errors.New("the token answer has no refresh_token")
	}
	if raw.TokenType != "" && !strings.EqualFold(raw.TokenType, "bearer") {
		return nil, fmt.Errorf("the token type %.20q is not bearer", raw.TokenType)
	}
	var exp flexInt
	if len(raw.ExpiresIn) == 0 || json.Unmarshal(raw.ExpiresIn, &exp) != nil || !exp.Valid || exp.V <= 0 || exp.V > 366*24*3600 {
		return nil, errors.New("the token answer has no valid expires_in")
	}
	return &roger.Token{
		AccessToken:  raw.AccessToken,
		RefreshToken: raw.RefreshToken,
		Expiry:       sent.Add(time.Duration(exp.V) * time.Second).UTC(),
		Obtained:     received.UTC(),
	}, nil
}

// classifyTokenError reads an OAuth error answer. Exact's codes alone do
// not tell the cases apart (access_denied is both "too early" and "too
// many calls"), so descriptions and the Reason header are read too.
func classifyTokenError(status int, body []byte, reason string) *TokenError {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e)
	te := &TokenError{Status: status, Code: clip(e.Error, 60), Description: clip(e.Description, 300), Reason: clip(reason, 200)}
	desc := strings.ToLower(e.Description)
	switch {
	case strings.Contains(strings.ToLower(reason), "tooearlytorefreshtokens") ||
		e.Error == "access_denied" && strings.Contains(desc, "not expired"):
		te.Kind = TooEarly
	case strings.Contains(desc, "old refresh token"):
		te.Kind = OldTokenUsed
	case status == http.StatusTooManyRequests ||
		e.Error == "access_denied" && (strings.Contains(desc, "rate limit") || strings.Contains(desc, "per day") || strings.Contains(desc, "maximum")):
		te.Kind = RateLimited
	case status >= 500 || status == http.StatusRequestTimeout:
		te.Kind = Transient
	case e.Error == "invalid_client" || e.Error == "unauthorized_client":
		te.Kind = InvalidClient
	case e.Error == "invalid_grant":
		te.Kind = InvalidGrant
	case e.Error == "invalid_request" && strings.Contains(desc, "expired"):
		te.Kind = RefreshExpired
	default:
		te.Kind = Unexpected
	}
	return te
}

// transportText describes a transport error without its URL; the error
// chain keeps the details for logs.
func transportText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "the request timed out"
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return "the request timed out"
	}
	return clip(err.Error(), 200)
}
