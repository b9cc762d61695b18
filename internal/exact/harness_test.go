package exact

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
)

// The client is tested against the simulator over real HTTP, with a fake
// clock shared by both and a Sleep that moves that clock instead of
// waiting.

const (
	testDivision  = 123456
	testDivision2 = 234567
	testUser      = "anna"
	testPassword  = "geheim"
	testRedirect  = "https://portal.example.com/oauth/exact/r1/callback"
)

// testStart is a summer afternoon, 14:24 UTC (16:24 in Amsterdam).
var testStart = time.Date(2026, 6, 25, 14, 24, 0, 0, time.UTC)

// env is one simulator with its server, clock, app, and a roger side:
// token store, token source and budget registry.
type env struct {
	t      *testing.T
	sim    *exactsim.Simulator
	srv    *httptest.Server
	clk    *clock.Fake
	app    *exactsim.App
	cfg    Config
	sleeps *clock.Sleeper
	store  *memStore
	tokens *TokenSource
	reg    *BudgetRegistry
	trace  *tracer
}

// newEnv starts a simulator with one user on two divisions (the first
// seeded with accounts and contacts) and one registered app. prefix picks
// the country host ("" for .nl, "/be", …).
func newEnv(t *testing.T, opts exactsim.Options, prefix string, accounts, contacts int) *env {
	t.Helper()
	clk := clock.NewFake(testStart)
	opts.Clock = clk
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	sim := exactsim.New(opts)
	if _, err := sim.AddUser(testUser, testPassword, testDivision, testDivision2); err != nil {
		t.Fatal(err)
	}
	if accounts > 0 {
		sim.Seed(testDivision, accounts, contacts)
	}
	app, err := sim.RegisterApp("roger test", testRedirect, "", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	e := &env{t: t, sim: sim, srv: srv, clk: clk, app: app, sleeps: &clock.Sleeper{Clock: clk}, store: &memStore{}, reg: NewBudgetRegistry(clk)}
	e.trace = &tracer{store: e.store, next: http.DefaultTransport}
	e.cfg = Config{
		BaseURL:      srv.URL + prefix,
		ClientID:     app.ClientID.String(),
		ClientSecret: app.Secret,
		RedirectURL:  testRedirect,
		HTTPClient:   &http.Client{Timeout: 10 * time.Second, Transport: e.trace},
		Clock:        clk,
		Sleep:        e.sleeps.Sleep,
		jitter:       func(d time.Duration) time.Duration { return d },
	}
	e.tokens = NewTokenSource(e.cfg, e.store)
	return e
}

// code signs in and consents, starting at AuthCodeURL, and returns the
// code Exact redirects back with.
func (e *env) code() string {
	e.t.Helper()
	loc, err := exactsim.Consent(context.Background(), nil, AuthCodeURL(e.cfg, "st-1", false), testUser, testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != "st-1" {
		e.t.Fatalf("state came back as %q", got)
	}
	code := loc.Query().Get("code")
	if code == "" {
		e.t.Fatalf("redirect without code: %s", loc)
	}
	return code
}

// login runs the whole OAuth flow and stores the token, as the portal's
// callback does.
func (e *env) login() *roger.Token {
	e.t.Helper()
	tok, err := Exchange(context.Background(), e.cfg, e.code())
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	e.store.set(tok)
	return tok
}

// client returns a client on the env's token source and shared budget.
func (e *env) client() *Client {
	return NewClient(e.cfg, e.tokens, e.reg.Get(e.cfg.ClientID, testDivision))
}

// fault arms a simulator fault or fails the test.
func (e *env) fault(f exactsim.Fault) {
	e.t.Helper()
	if _, err := e.sim.AddFault(f); err != nil {
		e.t.Fatal(err)
	}
}

// memStore is an in-memory roger.TokenStore: UpdateToken holds one lock
// across fn, as the SQL store's refresh lease does across instances, and
// stores nothing when fn fails or returns nil.
type memStore struct {
	update sync.Mutex // held across fn

	mu     sync.Mutex
	tok    *roger.Token
	saves  int
	events []string
}

func (m *memStore) LoadToken(ctx context.Context) (*roger.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return nil, roger.Errorf(roger.EREAUTHORIZE, "not authorized yet")
	}
	cp := *m.tok
	return &cp, nil
}

func (m *memStore) UpdateToken(ctx context.Context, fn func(*roger.Token) (*roger.Token, error)) error {
	m.update.Lock()
	defer m.update.Unlock()
	cur := m.current()
	next, err := fn(cur)
	if err != nil || next == nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *next
	m.tok = &cp
	m.saves++
	m.events = append(m.events, "store "+short(next.AccessToken))
	return nil
}

func (m *memStore) set(t *roger.Token) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *t
	m.tok = &cp
}

func (m *memStore) current() *roger.Token {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return nil
	}
	cp := *m.tok
	return &cp
}

func (m *memStore) saveCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.saves
}

func (m *memStore) log(ev string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, ev)
}

func (m *memStore) eventList() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.events...)
}

func short(tok string) string {
	if len(tok) > 24 {
		return tok[len(tok)-16:]
	}
	return tok
}

// tracer sits between the client and the simulator. It logs every REST
// call with its bearer token into the store's event log, checks that the
// token sent is the one stored at that moment, and can rewrite the Host
// header to make the simulator write links to another host.
type tracer struct {
	store *memStore
	next  http.RoundTripper

	mu        sync.Mutex
	notStored []string // bearer tokens sent while the store held another
	accepts   []string
	spoofHost string
}

func (tr *tracer) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/api/v1/") {
		bearer := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
		tr.store.log("send " + short(bearer))
		tr.mu.Lock()
		if cur := tr.store.current(); cur == nil || cur.AccessToken != bearer {
			tr.notStored = append(tr.notStored, short(bearer))
		}
		tr.accepts = append(tr.accepts, req.Header.Get("Accept"))
		if tr.spoofHost != "" {
			req = req.Clone(req.Context())
			req.Host = tr.spoofHost
		}
		tr.mu.Unlock()
	}
	if strings.HasSuffix(req.URL.Path, "/api/oauth2/token") {
		tr.store.log("token call")
	}
	return tr.next.RoundTrip(req)
}

func (tr *tracer) unstored() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.notStored...)
}

// wantCode fails the test unless err is a *roger.Error with code.
func wantCode(t *testing.T, err error, code roger.ErrorCode) *roger.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got none", code)
	}
	var re *roger.Error
	if !errors.As(err, &re) {
		t.Fatalf("want *roger.Error %s, got %T %v", code, err, err)
	}
	if re.Code != code {
		t.Fatalf("want code %s, got %s: %v", code, re.Code, err)
	}
	return re
}

// wantTokenKind fails the test unless err carries a TokenError of kind.
func wantTokenKind(t *testing.T, err error, kind TokenErrorKind) *TokenError {
	t.Helper()
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("want a TokenError %s, got %T %v", kind, err, err)
	}
	if te.Kind != kind {
		t.Fatalf("want TokenError kind %s, got %s (%v)", kind, te.Kind, te)
	}
	return te
}

// noSecrets fails the test if msg contains a token, the secret or a code.
func (e *env) noSecrets(msg string, extra ...string) {
	e.t.Helper()
	secrets := append([]string{e.cfg.ClientSecret}, extra...)
	if t := e.store.current(); t != nil {
		secrets = append(secrets, t.AccessToken, t.RefreshToken)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			e.t.Fatalf("message leaks a secret: %q", msg)
		}
	}
}
