package exact

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/exactsim/crm"
)

func (e *env) tokenCalls() int64 { return e.sim.Stats().TokenCalls }

func TestTokenSourceUsesStoredTokenWhileValid(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	first := e.login()
	calls := e.tokenCalls()
	ctx := context.Background()

	for _, at := range []time.Duration{0, 300 * time.Second, 569 * time.Second} {
		e.clk.Set(testStart.Add(at))
		got, err := e.tokens.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != first.AccessToken {
			t.Fatalf("at +%v: a new token although the stored one is valid", at)
		}
	}
	if e.tokenCalls() != calls || e.store.saveCount() != 0 {
		t.Fatalf("token endpoint called %d times, %d saves; want none", e.tokenCalls()-calls, e.store.saveCount())
	}
}

func TestTokenSourceRefreshes(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
	}{
		{"at expiry", 600 * time.Second},
		{"inside the 30 s margin", 575 * time.Second},
		{"long after expiry", 5 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 0, 0)
			first := e.login()
			e.clk.Advance(tc.after)
			got, err := e.tokens.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			stored := e.store.current()
			if got == first.AccessToken || got != stored.AccessToken || stored.RefreshToken == first.RefreshToken {
				t.Fatal("the refreshed pair is not the one handed out and stored")
			}
			if !stored.Obtained.Equal(e.clk.Now()) || !stored.Expiry.Equal(e.clk.Now().Add(600*time.Second)) {
				t.Fatalf("stored obtained %v expiry %v", stored.Obtained, stored.Expiry)
			}
			if e.store.saveCount() != 1 {
				t.Fatalf("%d saves, want 1", e.store.saveCount())
			}
			// And the new token works.
			if _, err := e.client().Me(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRotationStoredBeforeUse checks the order of events: the new pair is
// in the store before its access token is first sent.
func TestRotationStoredBeforeUse(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 3, 0)
	e.login()
	c := e.client()
	ctx := context.Background()
	for range 3 {
		if _, err := c.Me(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.SyncAccounts(ctx, testDivision, 0, "", func([]Account, string) error { return nil }); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(601 * time.Second)
	}
	if bad := e.trace.unstored(); len(bad) > 0 {
		t.Fatalf("access tokens sent while the store held another: %v", bad)
	}
	ev := e.store.eventList()
	for i, x := range ev {
		tok, ok := strings.CutPrefix(x, "send ")
		if !ok {
			continue
		}
		if s := slices.Index(ev, "store "+tok); s > i {
			t.Fatalf("token sent at event %d, stored at %d: %v", i, s, ev)
		}
	}
	if e.store.saveCount() != 2 {
		t.Fatalf("%d refreshes stored, want 2: %v", e.store.saveCount(), ev)
	}
	// Every store follows a token call, and nothing is sent in between.
	for i, x := range ev {
		if strings.HasPrefix(x, "store ") && (i == 0 || ev[i-1] != "token call") {
			t.Fatalf("store at event %d does not follow its token call: %v", i, ev)
		}
	}
}

func TestTokenSourceSingleFlight(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	first := e.login()
	e.clk.Advance(600 * time.Second)
	calls := e.tokenCalls()

	const n = 20
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = e.tokens.Token(context.Background())
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i] != got[0] || got[i] == first.AccessToken {
			t.Fatalf("caller %d got another token", i)
		}
	}
	if d := e.tokenCalls() - calls; d != 1 {
		t.Fatalf("%d refreshes, want 1", d)
	}
	if e.store.saveCount() != 1 {
		t.Fatalf("%d saves, want 1", e.store.saveCount())
	}
}

// TestTwoInstancesOneStore: two token sources (two roger instances) share
// one store; the second finds the refreshed token inside the lock.
func TestTwoInstancesOneStore(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	e.login()
	a := NewTokenSource(e.cfg, e.store)
	b := NewTokenSource(e.cfg, e.store)
	ctx := context.Background()
	for _, ts := range []*TokenSource{a, b} {
		if _, err := ts.Token(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Advance(600 * time.Second)
	calls := e.tokenCalls()
	var wg sync.WaitGroup
	var ta, tb string
	var ea, eb error
	wg.Go(func() { ta, ea = a.Token(ctx) })
	wg.Go(func() { tb, eb = b.Token(ctx) })
	wg.Wait()
	if ea != nil || eb != nil {
		t.Fatal(ea, eb)
	}
	if ta != tb {
		t.Fatal("the instances hold different tokens: one refreshed behind the other's back")
	}
	if d := e.tokenCalls() - calls; d != 1 {
		t.Fatalf("%d refreshes, want 1", d)
	}
	// A sequential pair: the second must not call Exact either.
	e.clk.Advance(600 * time.Second)
	if _, err := a.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if d := e.tokenCalls() - calls; d != 2 {
		t.Fatalf("%d refreshes after two expiries, want 2", d)
	}
}

// TestFailedRefreshKeepsStoredToken runs every failure the simulator can
// give a refresh and checks its classification and that the stored token
// is untouched.
func TestFailedRefreshKeepsStoredToken(t *testing.T) {
	tests := []struct {
		name    string
		opts    exactsim.Options
		prepare func(e *env)
		advance time.Duration
		code    roger.ErrorCode
		kind    TokenErrorKind
	}{
		{"503 on the token endpoint", exactsim.Options{}, func(e *env) {
			e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Path: "/api/oauth2/token"})
		}, 600 * time.Second, roger.EUNAVAILABLE, Transient},
		{"superseded chain", exactsim.Options{}, func(e *env) {
			e.sim.SupersedeChain(e.app.ClientID, testUser)
		}, 600 * time.Second, roger.EREAUTHORIZE, OldTokenUsed},
		{"superseded chain, answered 400", exactsim.Options{OldRefreshTokenStatus: 400}, func(e *env) {
			e.sim.SupersedeChain(e.app.ClientID, testUser)
		}, 600 * time.Second, roger.EREAUTHORIZE, OldTokenUsed},
		{"refresh token unused for 31 days", exactsim.Options{}, nil, 31 * 24 * time.Hour, roger.EREAUTHORIZE, RefreshExpired},
		{"wrong client secret", exactsim.Options{}, func(e *env) {
			e.cfg.ClientSecret = "changed-in-the-app-center"
			e.tokens = NewTokenSource(e.cfg, e.store)
		}, 600 * time.Second, roger.EREAUTHORIZE, InvalidClient},
		{"unknown refresh token", exactsim.Options{}, func(e *env) {
			tok := e.store.current()
			tok.RefreshToken = "Stbp!IAAAAnot-a-token"
			e.store.set(tok)
		}, 600 * time.Second, roger.EREAUTHORIZE, InvalidGrant},
		{"too early, token expired", exactsim.Options{TooEarlyWindow: 20 * time.Minute}, nil, 600 * time.Second, roger.EUNAVAILABLE, TooEarly},
		{"daily token cap", exactsim.Options{TokenCallsPerDay: 1}, nil, 600 * time.Second, roger.EUNAVAILABLE, RateLimited},
		{"malformed token answer", exactsim.Options{}, func(e *env) {
			e.fault(exactsim.Fault{Kind: exactsim.FaultMalformed, Path: "/api/oauth2/token"})
		}, 600 * time.Second, roger.EINTERNAL, Unexpected},
		{"truncated token answer", exactsim.Options{}, func(e *env) {
			e.fault(exactsim.Fault{Kind: exactsim.FaultTruncate, Path: "/api/oauth2/token"})
		}, 600 * time.Second, roger.EINTERNAL, Unexpected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts, "", 0, 0)
			e.login()
			if tc.prepare != nil {
				tc.prepare(e)
			}
			before := e.store.current()
			e.clk.Advance(tc.advance)
			_, err := e.tokens.Token(context.Background())
			re := wantCode(t, err, tc.code)
			wantTokenKind(t, err, tc.kind)
			if !reflect.DeepEqual(e.store.current(), before) || e.store.saveCount() != 0 {
				t.Fatal("a failed refresh changed the stored token")
			}
			e.noSecrets(re.Error(), "changed-in-the-app-center")
			if tc.code == roger.EREAUTHORIZE && !strings.Contains(re.Message, "authorize the application again") {
				t.Fatalf("message does not say what to do: %q", re.Message)
			}
			if tc.kind == TooEarly && !strings.Contains(re.Message, "UTC") {
				t.Fatalf("message does not say when to retry: %q", re.Message)
			}
		})
	}
}

// TestTransientRefreshRecovers: after the token endpoint comes back the
// stored (untouched) refresh token still works.
func TestTransientRefreshRecovers(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	e.login()
	e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Path: "/api/oauth2/token", Count: 1})
	e.clk.Advance(600 * time.Second)
	if _, err := e.tokens.Token(context.Background()); roger.ErrorCodeOf(err) != roger.EUNAVAILABLE {
		t.Fatalf("want EUNAVAILABLE, got %v", err)
	}
	if _, err := e.tokens.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestExpiredEarlyByExact: Exact drops tokens before their expiry
// (sim.ExpireTokens) and lets the chain refresh at once; the client sees
// a 401, invalidates, refreshes inside the 570 s window and retries once.
func TestExpiredEarlyByExact(t *testing.T) {
	for _, html := range []bool{false, true} {
		t.Run(map[bool]string{false: "empty 401", true: "Object moved 401"}[html], func(t *testing.T) {
			e := newEnv(t, exactsim.Options{UnauthorizedHTML: html}, "", 2, 0)
			first := e.login()
			c := e.client()
			e.clk.Advance(100 * time.Second)
			e.sim.ExpireTokens(crm.GUID{})
			calls := e.tokenCalls()
			var n int
			if err := c.SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error { n += len(rows); return nil }); err != nil {
				t.Fatal(err)
			}
			if n != 2 || c.Calls() != 2 {
				t.Fatalf("%d rows in %d calls, want 2 rows in 2 calls (one 401, one retry)", n, c.Calls())
			}
			if e.tokenCalls()-calls != 1 || e.store.current().AccessToken == first.AccessToken {
				t.Fatal("the retry did not use a refreshed token")
			}
		})
	}
}

// TestTooEarlyKeepsValidToken: a 401 on a token Exact still considers
// valid (a fluke) leads to one refresh attempt; Exact answers too early,
// and the current token is used again. A second 401 on it is not followed
// by another token call before the window ends.
func TestTooEarlyKeepsValidToken(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	first := e.login()
	ctx := context.Background()
	e.clk.Advance(100 * time.Second)
	calls := e.tokenCalls()

	e.tokens.Invalidate(first.AccessToken)
	got, err := e.tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != first.AccessToken {
		t.Fatal("want the current token back after Exact said it is too early")
	}
	if e.tokenCalls()-calls != 1 {
		t.Fatalf("%d token calls, want 1", e.tokenCalls()-calls)
	}

	e.tokens.Invalidate(first.AccessToken)
	_, err = e.tokens.Token(ctx)
	re := wantCode(t, err, roger.EUNAVAILABLE)
	if !strings.Contains(re.Message, testStart.Add(570*time.Second).Format("15:04:05")) {
		t.Fatalf("message does not name the end of the window: %q", re.Message)
	}
	if e.tokenCalls()-calls != 1 {
		t.Fatal("asked Exact again inside the window")
	}

	// After the window the refresh goes through.
	e.clk.Set(testStart.Add(571 * time.Second))
	got, err = e.tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got == first.AccessToken {
		t.Fatal("no refresh after the window")
	}
}

// TestTooEarlyByOwnRule: with tokens that live less than 570 s (a
// simulator switch), the client neither refreshes too early nor hands out
// an expired token.
func TestTooEarlyByOwnRule(t *testing.T) {
	e := newEnv(t, exactsim.Options{AccessTokenLifetime: 300 * time.Second}, "", 0, 0)
	first := e.login()
	calls := e.tokenCalls()
	e.clk.Advance(290 * time.Second) // 10 s left: inside the margin, but too early to refresh
	got, err := e.tokens.Token(context.Background())
	if err != nil || got != first.AccessToken {
		t.Fatalf("want the still valid token, got %v", err)
	}
	e.clk.Advance(20 * time.Second) // expired, still too early
	_, err = e.tokens.Token(context.Background())
	wantCode(t, err, roger.EUNAVAILABLE)
	if e.tokenCalls() != calls {
		t.Fatal("called Exact although the 570 s rule forbids it")
	}
}

func TestTokenSourceNotAuthorized(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	_, err := e.tokens.Token(context.Background())
	wantCode(t, err, roger.EREAUTHORIZE)
}

func TestTokenCallerGivesUp(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	e.login()
	e.clk.Advance(600 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.tokens.Token(ctx); !errors.Is(err, context.Canceled) {
		// The refresh may also have finished first; either is fine as
		// long as the chain survives.
		if err != nil {
			t.Fatal(err)
		}
	}
	// Whatever happened to the caller, the stored chain still works.
	if _, err := e.tokens.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client().Me(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestTokenErrorKindsDirect provokes each kind with a raw refresh call.
func TestTokenErrorKindsDirect(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	tok := e.login()
	_, terr := refreshCall(context.Background(), e.cfg, tok.RefreshToken)
	if terr == nil || terr.Kind != TooEarly || !strings.Contains(terr.Reason, "TooEarlyToRefreshTokens") || terr.Status != 400 {
		t.Fatalf("want TooEarly with its Reason, got %+v", terr)
	}
	e.clk.Advance(600 * time.Second)
	next, terr := refreshCall(context.Background(), e.cfg, tok.RefreshToken)
	if terr != nil {
		t.Fatal(terr)
	}
	e.clk.Advance(600 * time.Second)
	_, terr = refreshCall(context.Background(), e.cfg, tok.RefreshToken)
	if terr == nil || terr.Kind != OldTokenUsed || terr.Status != 401 {
		t.Fatalf("want OldTokenUsed 401, got %+v", terr)
	}
	_ = next
}

// overtakenStore is a token store in which another holder refreshes the
// chain, and stores the new pair, between the moment fn is given the
// stored token and fn's own call to Exact: what happens when a refresh
// stalls past its lease and another instance takes the refresh over.
type overtakenStore struct {
	*memStore
	overtake func(cur *roger.Token)
}

func (s *overtakenStore) UpdateToken(ctx context.Context, fn func(*roger.Token) (*roger.Token, error)) error {
	return s.memStore.UpdateToken(ctx, func(cur *roger.Token) (*roger.Token, error) {
		s.overtake(cur)
		return fn(cur)
	})
}

// TestOvertakenRefreshUsesTheSuccessor: Exact refuses the overtaken
// refresh as "Old refresh token used", but the chain lives on in the
// stored successor, which is handed out; nobody is asked to authorize
// again.
func TestOvertakenRefreshUsesTheSuccessor(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 0, 0)
	e.login()
	e.clk.Advance(600 * time.Second)
	var successor *roger.Token
	store := &overtakenStore{memStore: e.store, overtake: func(cur *roger.Token) {
		tok, terr := refreshCall(context.Background(), e.cfg, cur.RefreshToken)
		if terr != nil {
			t.Fatal(terr)
		}
		successor = tok
		e.store.set(tok)
	}}
	calls := e.tokenCalls()
	got, err := NewTokenSource(e.cfg, store).Token(context.Background())
	if err != nil {
		t.Fatalf("an overtaken refresh: %v; want the successor", err)
	}
	if successor == nil || got != successor.AccessToken {
		t.Fatal("the token handed out is not the one the other holder stored")
	}
	if d := e.tokenCalls() - calls; d != 2 {
		t.Fatalf("%d token calls, want 2 (the other holder's and the refused one)", d)
	}
	if e.store.current().RefreshToken != successor.RefreshToken {
		t.Fatal("the stored successor was replaced")
	}
}
