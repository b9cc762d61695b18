// Package exactsim is a local Exact Online: App Center, login and consent,
// OAuth2 with rotating refresh tokens, the CRM REST, bulk and sync
// endpoints, rate limits, webhooks and injectable faults. It behaves like
// the real service as far as public evidence tells, so that roger can be
// built, tested and tried without an Exact account.
//
// One Simulator serves every country host: the root path stands for
// start.exactonline.nl, and /be, /de, /fr, /es, /co.uk and /com stand for the
// other deployments. Tokens are bound to the host that issued them.
package exactsim

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/roger365io/roger/internal/exactsim/crm"
)

// Regions lists the country deployments, by the suffix of their host name.
var Regions = []string{"nl", "be", "de", "fr", "es", "co.uk", "com"}

// User is an Exact Online user who can sign in and consent.
type User struct {
	ID        crm.GUID
	Name      string
	Password  string
	FullName  string
	Email     string
	Divisions []int
	// Current is the division the user last had open in the web UI, which
	// is what current/Me reports.
	Current int
}

// App is an application registered in the App Center.
type App struct {
	Name          string
	ClientID      crm.GUID
	Secret        string
	WebhookSecret string
	RedirectURI   string
	Created       time.Time
}

// Simulator is the simulated Exact Online. Create it with New, add users,
// divisions and apps, then serve Handler.
type Simulator struct {
	opts Options

	mu        sync.RWMutex
	users     map[string]*User // by lower-case name
	apps      map[crm.GUID]*App
	divisions map[int]*division
	sessions  map[string]string // browser session id -> user name
	codes     map[string]*authCode
	chains    map[chainKey]*chain
	access    map[string]*accessToken
	refresh   map[string]*refreshToken
	limits    map[limitKey]*limitCounter
	errBudget map[errorKey]*errorCounter
	hooks     map[crm.GUID]*subscription
	faults    faultSet
	stats     Stats
	dirty     bool

	rnd     *mrand.Rand
	webhook *webhookQueue
}

// Stats counts what the simulator served, for tests and benchmarks.
type Stats struct {
	APICalls   int64 // division-scoped REST calls answered (any status)
	TokenCalls int64
	Rejected   int64 // answered 429
}

// New returns an empty simulator.
func New(opts Options) *Simulator {
	opts = opts.withDefaults()
	s := &Simulator{
		opts:      opts,
		users:     map[string]*User{},
		apps:      map[crm.GUID]*App{},
		divisions: map[int]*division{},
		sessions:  map[string]string{},
		codes:     map[string]*authCode{},
		chains:    map[chainKey]*chain{},
		access:    map[string]*accessToken{},
		refresh:   map[string]*refreshToken{},
		limits:    map[limitKey]*limitCounter{},
		errBudget: map[errorKey]*errorCounter{},
		hooks:     map[crm.GUID]*subscription{},
		rnd:       mrand.New(mrand.NewPCG(opts.Seed, 0xe8ac7)),
	}
	s.webhook = newWebhookQueue(s)
	return s
}

// Close stops background work (webhook deliveries).
func (s *Simulator) Close() { s.webhook.close() }

func (s *Simulator) now() time.Time { return s.opts.Clock.Now().UTC() }

// AddDivision creates an empty division. Adding an existing code is a no-op
// apart from renaming it.
func (s *Simulator) AddDivision(code int, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addDivisionLocked(code, name)
}

func (s *Simulator) addDivisionLocked(code int, name string) *division {
	if d, ok := s.divisions[code]; ok {
		if name != "" {
			d.Name = name
		}
		return d
	}
	if name == "" {
		name = fmt.Sprintf("Company %d", code)
	}
	d := newDivision(code, name, s.opts.Seed)
	s.divisions[code] = d
	s.dirty = true
	return d
}

// AddUser adds a user with access to the given divisions, creating those
// divisions when they do not exist yet. The first division is the user's
// current one.
func (s *Simulator) AddUser(name, password string, divisions ...int) (*User, error) {
	if name == "" || password == "" {
		return nil, fmt.Errorf("exactsim: a user needs a name and a password")
	}
	if len(divisions) == 0 {
		return nil, fmt.Errorf("exactsim: user %q needs at least one division", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name)
	if _, ok := s.users[key]; ok {
		return nil, fmt.Errorf("exactsim: user %q exists already", name)
	}
	for _, d := range divisions {
		s.addDivisionLocked(d, "")
	}
	u := &User{
		ID:        crm.RandomGUID(s.rnd),
		Name:      name,
		Password:  password,
		FullName:  titleName(name),
		Email:     strings.ToLower(name) + "@example.com",
		Divisions: append([]int(nil), divisions...),
		Current:   divisions[0],
	}
	s.users[key] = u
	s.dirty = true
	return u, nil
}

// RegisterApp registers an app as the App Center does. Empty clientID or
// secret are generated.
func (s *Simulator) RegisterApp(name, redirectURI, clientID, secret string) (*App, error) {
	if err := s.checkRedirectURI(redirectURI); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &App{Name: name, RedirectURI: redirectURI, Created: s.now(), Secret: secret}
	if clientID == "" {
		a.ClientID = crm.RandomGUID(s.rnd)
	} else {
		id, err := crm.ParseGUID(clientID)
		if err != nil {
			return nil, fmt.Errorf("exactsim: client id %q is not a GUID", clientID)
		}
		a.ClientID = id
	}
	if _, ok := s.apps[a.ClientID]; ok {
		return nil, fmt.Errorf("exactsim: an app with client id %s exists already", a.ClientID)
	}
	if a.Secret == "" {
		a.Secret = randomToken(12, false)
	}
	a.WebhookSecret = randomToken(12, false)
	if a.Name == "" {
		a.Name = "App " + a.ClientID.String()[:8]
	}
	s.apps[a.ClientID] = a
	s.dirty = true
	return a, nil
}

func (s *Simulator) checkRedirectURI(raw string) error {
	if raw == "" {
		return fmt.Errorf("a redirect URI is required")
	}
	if !strings.HasPrefix(raw, "https://") {
		if s.opts.RequireHTTPS || !isLoopbackURL(raw) {
			return fmt.Errorf("the redirect URI %q must use https", raw)
		}
	}
	return nil
}

// Users returns the users sorted by name.
func (s *Simulator) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Apps returns the registered apps, oldest first.
func (s *Simulator) Apps() []App {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.appsLocked()
}

func (s *Simulator) appsLocked() []App {
	out := make([]App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Stats returns the counters.
func (s *Simulator) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stats
}

// randomToken returns an opaque token of n random bytes in URL-safe
// base64. With bang it has the shape of Exact's authorization codes and
// refresh tokens: four characters, "!IAAAA", then the rest, as the code
// "lyqb!IAAAA…" and the refresh token "4dCx!IAAAAA…" recorded in Exact's
// Postman collection (yusufkaracaburun/emeq-exact-api
// OAUTH.postman_collection.json). The '!' reaches a redirect URI as %21,
// so a client must decode the code exactly once.
func randomToken(n int, bang bool) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	if bang {
		t = t[:4] + "!IAAAA" + t[4:]
	}
	return t
}

func titleName(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// Handler returns the HTTP handler serving every simulated host.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, rest := splitRegion(r.URL.Path)
		r2 := r.Clone(withHost(r.Context(), h))
		r2.URL.Path = rest
		r2.URL.RawPath = ""
		mux.ServeHTTP(w, r2)
	})
}

// splitRegion strips a leading /be, /de, … from path. The root stands for
// the Dutch host.
func splitRegion(path string) (hostInfo, string) {
	for _, reg := range Regions {
		p := "/" + reg
		if path == p {
			return hostInfo{region: reg, prefix: p}, "/"
		}
		if strings.HasPrefix(path, p+"/") {
			return hostInfo{region: reg, prefix: p}, path[len(p):]
		}
	}
	return hostInfo{region: "nl"}, path
}

func lower(s string) string { return strings.ToLower(s) }
