package exact

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/roger365io/roger"
)

const (
	// tooEarlyWindow is Exact's rule: no refresh within 570 s of the
	// previous token.
	tooEarlyWindow = 570 * time.Second
	// expiryMargin keeps a token that expires during a request from being
	// sent: a 30 s page read must not end in a 401.
	expiryMargin = 30 * time.Second
	// tooEarlyHold is how long a refresh Exact refused as too early is not
	// tried again when the stored token does not say when it may be.
	tooEarlyHold = 60 * time.Second
	// refreshTimeout bounds a refresh that no caller waits for any more.
	refreshTimeout = 2 * time.Minute
)

// TokenSource hands out a valid access token for one replicator. Exact's
// refresh tokens are single-use and rotate, so a refresh is serialised
// through the store's UpdateToken (which serialises across goroutines and
// instances and re-reads the token once it is this caller's turn), and the
// new pair is stored before anybody sends it. A failed refresh never
// touches the stored token.
type TokenSource struct {
	cfg   Config
	store roger.TokenStore

	mu     sync.Mutex
	cached *roger.Token
	// rejected is the access token Exact last answered 401 to.
	rejected string
	// hold, when set, forbids refreshing holdRefresh until holdUntil:
	// Exact said it was too early, or an early refresh of a rejected token
	// was tried once already.
	holdRefresh string
	holdUntil   time.Time
	flight      *flight
}

// flight is one load-or-refresh shared by every caller that needs a token
// while it runs.
type flight struct {
	done   chan struct{}
	access string
	err    error
}

// NewTokenSource returns the token source of the replicator whose token
// store is given. cfg names the host and app the token belongs to.
func NewTokenSource(cfg Config, store roger.TokenStore) *TokenSource {
	return &TokenSource{cfg: cfg.withDefaults(), store: store}
}

// Token returns an access token valid for at least 30 more seconds,
// refreshing it when needed and allowed. Errors a person must act on are
// *roger.Error with code EREAUTHORIZE; EUNAVAILABLE means Exact cannot
// give a token now (down, or too early) and a later call may succeed.
func (ts *TokenSource) Token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	if t := ts.cached; t != nil && ts.freshLocked(t, ts.cfg.Clock.Now()) {
		ts.mu.Unlock()
		return t.AccessToken, nil
	}
	f := ts.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		ts.flight = f
		go ts.run(ctx, f)
	}
	ts.mu.Unlock()
	select {
	case <-f.done:
		return f.access, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate reports that Exact answered 401 to access. The next Token
// call does not hand it out again but refreshes: at once if 570 s have
// passed since it was obtained, and otherwise once, since Exact lets a
// chain whose token it dropped early refresh at once; should Exact say it
// is too early, its answer is honoured.
func (ts *TokenSource) Invalidate(access string) {
	if access == "" {
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rejected = access
	if ts.cached != nil && ts.cached.AccessToken == access {
		ts.cached = nil
	}
}

// freshLocked reports whether t may be handed out as it is.
func (ts *TokenSource) freshLocked(t *roger.Token, now time.Time) bool {
	return t != nil && t.AccessToken != "" && t.AccessToken != ts.rejected && now.Add(expiryMargin).Before(t.Expiry)
}

func (ts *TokenSource) run(ctx context.Context, f *flight) {
	// Once Exact has rotated the chain the new pair must reach the store,
	// or the chain is lost: the work outlives a caller who gives up.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	tok, err := ts.obtain(ctx)
	if err == nil {
		f.access = tok.AccessToken
	}
	f.err = err
	ts.mu.Lock()
	ts.flight = nil
	if err == nil {
		ts.cached = tok
	}
	ts.mu.Unlock()
	close(f.done)
}

// obtain returns the stored token when it is fresh (another goroutine or
// instance may have refreshed it) and refreshes it through the store's
// UpdateToken otherwise.
func (ts *TokenSource) obtain(ctx context.Context) (*roger.Token, error) {
	cur, err := ts.store.LoadToken(ctx)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, notAuthorized()
	}
	ts.mu.Lock()
	fresh := ts.freshLocked(cur, ts.cfg.Clock.Now())
	ts.mu.Unlock()
	if fresh {
		return cur, nil
	}
	var got, from *roger.Token
	err = ts.store.UpdateToken(ctx, func(cur *roger.Token) (*roger.Token, error) {
		from = cur
		tok, store, err := ts.decide(ctx, cur)
		if err != nil {
			return nil, err
		}
		got = tok
		if store {
			return tok, nil
		}
		return nil, nil // nothing to store
	})
	if err != nil {
		if tok := ts.successor(ctx, from, err); tok != nil {
			return tok, nil
		}
		return nil, err
	}
	if got == nil {
		return nil, &roger.Error{Code: roger.EINTERNAL, Op: "exact.Token", Message: "The token store did not run the token update: try again."}
	}
	return got, nil
}

// successor returns the token stored in place of from when Exact refused
// from's refresh token as already used: another holder refreshed the chain
// meanwhile (it took over a refresh whose holder stalled past its lease)
// and stored the new pair, so the chain is intact and nobody needs to
// authorize again. It returns nil otherwise.
func (ts *TokenSource) successor(ctx context.Context, from *roger.Token, err error) *roger.Token {
	var terr *TokenError
	if from == nil || !errors.As(err, &terr) || terr.Kind != OldTokenUsed {
		return nil
	}
	stored, lerr := ts.store.LoadToken(ctx)
	if lerr != nil || stored == nil || stored.RefreshToken == from.RefreshToken {
		return nil
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !ts.freshLocked(stored, ts.cfg.Clock.Now()) {
		return nil
	}
	return stored
}

// decide runs in the store's UpdateToken with the token as stored now. It
// returns the token to use and whether it is a new one to store.
func (ts *TokenSource) decide(ctx context.Context, cur *roger.Token) (*roger.Token, bool, error) {
	if cur == nil || cur.RefreshToken == "" {
		return nil, false, notAuthorized()
	}
	now := ts.cfg.Clock.Now()
	ts.mu.Lock()
	fresh := ts.freshLocked(cur, now)
	rejected := cur.AccessToken != "" && cur.AccessToken == ts.rejected
	held := ts.holdRefresh == cur.RefreshToken && now.Before(ts.holdUntil)
	holdUntil := ts.holdUntil
	ts.mu.Unlock()
	if fresh {
		return cur, false, nil
	}
	valid := !rejected && cur.AccessToken != "" && now.Before(cur.Expiry)

	earliest := cur.Obtained.Add(tooEarlyWindow)
	if held && holdUntil.After(earliest) {
		earliest = holdUntil
	}
	if now.Before(earliest) {
		if !rejected || held {
			// Exact would refuse the refresh. A token that has not
			// expired yet still works; it only lacks our safety margin.
			if valid {
				return cur, false, nil
			}
			return nil, false, retryLater(earliest, nil)
		}
		// Rejected inside the window: Exact lets a chain whose token it
		// dropped refresh at once, so try. Should Exact say it is too
		// early after all, the hold below stops further tries.
	}

	tok, terr := refreshCall(ctx, ts.cfg, cur.RefreshToken)
	if terr == nil {
		return tok, true, nil
	}
	if terr.Kind == TooEarly {
		until := now.Add(tooEarlyHold)
		if w := cur.Obtained.Add(tooEarlyWindow); w.After(until) {
			until = w
		}
		ts.setHold(cur.RefreshToken, until)
		// Exact just said the access token has not expired, which
		// outweighs a 401 that may have been a fluke.
		if cur.AccessToken != "" && now.Before(cur.Expiry) {
			ts.mu.Lock()
			if ts.rejected == cur.AccessToken {
				ts.rejected = ""
			}
			ts.mu.Unlock()
			return cur, false, nil
		}
		return nil, false, retryLater(until, terr)
	}
	return nil, false, tokenFailure(terr)
}

func (ts *TokenSource) setHold(refresh string, until time.Time) {
	ts.mu.Lock()
	ts.holdRefresh, ts.holdUntil = refresh, until
	ts.mu.Unlock()
}

func notAuthorized() error {
	return &roger.Error{Code: roger.EREAUTHORIZE, Op: "exact.Token",
		Message: "The Exact Online authorization is no longer valid (no token is stored): authorize the application again."}
}

// retryLater is the error for "Exact will not give a token before at".
func retryLater(at time.Time, cause *TokenError) error {
	e := &roger.Error{Code: roger.EUNAVAILABLE, Op: "exact.Token",
		Message: "Exact Online does not issue a new access token before " + at.UTC().Format("2006-01-02 15:04:05") +
			" UTC (no refresh within 570 seconds of the previous one): try again after that."}
	if cause != nil {
		e.Err = cause
	}
	return e
}

// tokenFailure turns a failed refresh into the error callers act on.
func tokenFailure(terr *TokenError) error {
	e := &roger.Error{Op: "exact.Token", Err: terr}
	if terr.NeedsReauthorization() {
		var why string
		switch terr.Kind {
		case OldTokenUsed:
			why = "Exact Online refused a refresh token that was already replaced, which happens when another integration or a copy of roger uses the same app and Exact user"
		case RefreshExpired:
			why = "the refresh token expired because it was not used for too long"
		case InvalidClient:
			why = "Exact Online no longer accepts the client ID or secret; check them in the Exact App Center"
		default:
			why = "Exact Online no longer accepts the token chain"
		}
		e.Code = roger.EREAUTHORIZE
		e.Message = "The Exact Online authorization is no longer valid (" + why + "): authorize the application again."
		return e
	}
	switch terr.Kind {
	case RateLimited:
		e.Code = roger.EUNAVAILABLE
		e.Message = "Exact Online refuses more token requests for this app and user today (" + terr.summary() + "): roger tries again after midnight UTC."
	case Transient:
		e.Code = roger.EUNAVAILABLE
		e.Message = "Exact Online's token service is not available (" + terr.summary() + "): roger tries again later."
	default:
		e.Code = roger.EINTERNAL
		e.Message = "Exact Online's token service gave an unexpected answer (" + terr.summary() + "): roger tries again later; report the problem if it persists."
	}
	return e
}
