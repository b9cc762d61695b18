// Package web is roger's admin portal: sign-in, replicators and the Exact
// Online setup guide, the directory, admins and the audit log, plus the
// OAuth callback an Exact Online authorization returns to. Pages are
// rendered on the server; the little script there is serves /static.
package web

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clientaddr"
	"github.com/roger365io/roger/internal/password"
)

// The pages depend on a few small interfaces, each what one group of
// pages reads or writes; *sqlstore.Store has them all. Every change to a
// replicator goes through the replicator service (Server.Replicators),
// not through these.

// ReplicatorReader is what the replicator pages read: the replicators, their
// authorization, their entries and their runs.
type ReplicatorReader interface {
	FindReplicator(ctx context.Context, orgID, id int64) (*roger.Replicator, error)
	ListReplicators(ctx context.Context, orgID int64) ([]*roger.Replicator, error)
	TokenStore(id int64) roger.TokenStore
	CountEntries(ctx context.Context, replicatorID int64) (entries, unparseable int, err error)
	ForEachEntry(ctx context.Context, f roger.EntryFilter, fn func(*roger.Entry) error) error
	ListSyncRuns(ctx context.Context, replicatorID int64, limit int) ([]*roger.SyncRun, error)
	ListSetAside(ctx context.Context, replicatorID int64, limit int) ([]roger.SetAsideRecord, error)
	APICallsSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error)
	RunDays(ctx context.Context, replicatorID int64, since time.Time) ([]roger.RunDay, error)
}

// SessionStore keeps the admins' sign-in sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, sess *roger.Session) error
	FindSession(ctx context.Context, idHash string) (*roger.Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	DeleteStaleSessions(ctx context.Context, idleBefore, startedBefore time.Time) (int, error)
}

// AccountStore keeps organisations and their admins.
type AccountStore interface {
	FindOrganizationByID(ctx context.Context, id int64) (*roger.Organization, error)
	CreateUser(ctx context.Context, u *roger.User) error
	FindUserByEmail(ctx context.Context, email string) (*roger.User, error)
	ListUsers(ctx context.Context, orgID int64) ([]*roger.User, error)
	FindUser(ctx context.Context, orgID, id int64) (*roger.User, error)
	RecordSignIn(ctx context.Context, userID int64) error
	DeleteUser(ctx context.Context, orgID, id int64) (*roger.User, error)
	SetUserRole(ctx context.Context, orgID, id int64, role roger.Role) (*roger.User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	CreatePasswordReset(ctx context.Context, orgID, userID int64, expires time.Time) (string, error)
	FindPasswordReset(ctx context.Context, token string) (*roger.User, error)
	UsePasswordReset(ctx context.Context, token, hash string) (*roger.User, error)
	DeleteExpiredPasswordResets(ctx context.Context) (int, error)
}

// AuditLog is the organisation's record of who changed what.
type AuditLog interface {
	AppendAudit(ctx context.Context, orgID int64, actor, action, target, detail string) error
	ListAudit(ctx context.Context, orgID int64, limit int) ([]roger.AuditEvent, error)
	FindAudit(ctx context.Context, f roger.AuditFilter) ([]roger.AuditEvent, error)
	AuditActors(ctx context.Context, orgID int64) ([]string, error)
}

// IntegrationStore keeps what the telephony uses: API keys and the
// screen-pop links' generation.
type IntegrationStore interface {
	CreateAPIKey(ctx context.Context, orgID int64, name string) (*roger.APIKey, string, error)
	// CreateKey makes a key of a kind (lookup API, or phones' LDAP).
	CreateKey(ctx context.Context, orgID int64, name string, kind roger.APIKeyKind, nationalForm bool) (*roger.APIKey, string, error)
	ListAPIKeys(ctx context.Context, orgID int64) ([]*roger.APIKey, error)
	RevokeAPIKey(ctx context.Context, orgID, id int64) error
	PopLinkGeneration(ctx context.Context, orgID int64) (int64, error)
	RenewPopLinks(ctx context.Context, orgID int64) (int64, error)
}

// Store is all the pages read and write besides the replicator service.
type Store interface {
	ReplicatorReader
	SessionStore
	AccountStore
	AuditLog
	IntegrationStore
	QualityReader
	FormStore
}

// ExactHost is an Exact Online deployment an admin can pick for a
// replicator.
type ExactHost struct {
	URL   string
	Label string
}

// DefaultExactHosts are Exact's country deployments.
var DefaultExactHosts = []ExactHost{
	{"https://start.exactonline.nl", "Netherlands (start.exactonline.nl)"},
	{"https://start.exactonline.be", "Belgium (start.exactonline.be)"},
	{"https://start.exactonline.de", "Germany (start.exactonline.de)"},
	{"https://start.exactonline.fr", "France (start.exactonline.fr)"},
	{"https://start.exactonline.es", "Spain (start.exactonline.es)"},
	{"https://start.exactonline.co.uk", "United Kingdom (start.exactonline.co.uk)"},
	{"https://start.exactonline.com", "United States (start.exactonline.com)"},
}

// Server serves the portal.
type Server struct {
	Store Store
	// Replicators is the replicator service: every change to a
	// replicator, and the OAuth callback, goes through it. Required.
	Replicators roger.ReplicatorService
	// Exact makes the Exact clients of the pages' own reads (the example
	// record for a Contact URL), on the process's shared rate budget.
	// Required.
	Exact ExactClients
	// RedirectURL is a replicator's Redirect URL; the callback is served
	// at its path and Exact wants it again in the code exchange.
	RedirectURL func(id int64) string
	HTTPClient  *http.Client
	Clock       roger.Clock
	Log         *slog.Logger
	// ExactHosts are offered when a replicator is created; the first is
	// the default. nil means DefaultExactHosts.
	ExactHosts []ExactHost
	// PublicURL is where roger is reached, for the addresses the portal
	// hands out (screen-pop links, the API).
	PublicURL string
	// LDAPURL is where phones reach the LDAP directory (ldap://host:port),
	// "" when it is off; the API keys page shows it with a phone key.
	LDAPURL string
	// Notifications keeps the alert channels and sends test notices;
	// nil leaves the Notifications page out.
	Notifications Notifications
	// Links seals screen-pop links (*secret.Keyring).
	Links Sealer
	// Directory answers the directory page's searches.
	Directory Directory
	// Pop answers the screen pop, the telephony's question; nil means
	// Directory.
	Pop Directory
	// Passwords are the argon2id costs of new password hashes; zero means
	// password.Default.
	Passwords password.Params
	// IdleTimeout and MaxAge end sessions; zero means 2 hours and 12 hours.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// Throttle limits sign-in attempts; nil means a NewThrottle with the
	// default limits, counting in Store when it implements SignInCounter.
	Throttle *Throttle
	// Hashing bounds the password hashes computed at once; nil means one
	// per CPU core, each caller queueing up to 2 seconds.
	Hashing *password.Gate
	// Proxies finds a request's client address (and whether it came over
	// https) behind the trusted reverse proxies; nil trusts none, and the
	// connection's peer is the client.
	Proxies *clientaddr.Resolver

	pages *pageSet
	// patterns are the routes Handler registered, for the tests that
	// walk every one of them.
	patterns []string
	// examples caches a record read from Exact per replicator and
	// division for the Contact URL example.
	countsMu   sync.Mutex
	counts     map[[2]int64]runCounts
	examplesMu sync.Mutex
	examples   map[exampleKey]*exampleRecord
	dummyOnce  sync.Once
	dummy      string
	// previews holds the one country dry run computed at a time.
	previewOnce sync.Once
	previews    chan struct{}
}

//go:embed static
var staticFS embed.FS

// Handler returns the portal's routes. It fails when a page template does
// not parse, so a broken template stops start-up rather than a page.
func (s *Server) Handler() http.Handler {
	if s.pages == nil {
		p, err := loadPages()
		if err != nil {
			panic(err) // templates are embedded: a parse error is a build defect
		}
		s.pages = p
	}
	// A Store that cannot count sign-in attempts (a test's fake) leaves
	// Throttle nil, and sign-in refuses to run without limits.
	if counter, ok := s.Store.(SignInCounter); ok && s.Throttle == nil {
		s.Throttle = NewThrottle(counter, s.Clock)
	}
	if s.Hashing == nil {
		s.Hashing = password.NewGate(runtime.NumCPU(), 2*time.Second)
	}
	mux := &routeMux{ServeMux: http.NewServeMux()}
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(http.FileServerFS(static))))
	mux.Handle("GET /favicon.ico", http.RedirectHandler("/static/favicon.svg", http.StatusMovedPermanently))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /oauth/exact/{id}/callback", s.handleCallback)

	mux.HandleFunc("GET /login", s.handleLoginForm)
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("POST /logout", s.handleLogout)

	mux.HandleFunc("GET /{$}", s.signedIn(s.handleHome))
	mux.HandleFunc("GET /replicators", s.signedIn(s.handleReplicatorList))
	mux.HandleFunc("GET /replicators/new", s.signedIn(s.handleReplicatorNew))
	mux.HandleFunc("POST /replicators", s.signedIn(s.handleReplicatorCreate))
	mux.HandleFunc("GET /replicators/{id}", s.signedIn(s.handleReplicatorShow))
	mux.HandleFunc("POST /replicators/{id}/credentials", s.signedIn(s.handleReplicatorCredentials))
	mux.HandleFunc("POST /replicators/{id}/authorize", s.signedIn(s.handleReplicatorAuthorize))
	mux.HandleFunc("POST /replicators/{id}/settings", s.signedIn(s.handleReplicatorSettings))
	mux.HandleFunc("GET /replicators/{id}/contact-url", s.signedIn(s.handleContactURLCheck))
	mux.HandleFunc("GET /replicators/{id}/country-preview", s.signedIn(s.handleCountryPreview))
	mux.HandleFunc("GET /replicators/{id}/quality", s.signedIn(s.handleQuality))
	mux.HandleFunc("GET /replicators/{id}/quality.csv", s.signedIn(s.handleQualityCSV))
	mux.HandleFunc("POST /replicators/{id}/sync", s.signedIn(s.handleReplicatorSync))
	mux.HandleFunc("POST /replicators/{id}/pause", s.signedIn(s.handleReplicatorPause))
	mux.HandleFunc("POST /replicators/{id}/resume", s.signedIn(s.handleReplicatorResume))
	mux.HandleFunc("POST /replicators/{id}/delete", s.signedIn(s.handleReplicatorDelete))
	mux.HandleFunc("GET /replicators/{id}/status", s.signedIn(s.handleReplicatorStatus))
	mux.HandleFunc("GET /directory", s.signedIn(s.handleDirectory))
	mux.HandleFunc("GET /admins", s.signedIn(s.handleAdmins))
	mux.HandleFunc("POST /admins", s.signedIn(s.handleAdminCreate))
	mux.HandleFunc("GET /audit", s.signedIn(s.handleAudit))
	mux.HandleFunc("GET /integrations", s.signedIn(s.handleIntegrations))
	mux.HandleFunc("POST /integrations/keys", s.signedIn(s.handleAPIKeyCreate))
	mux.HandleFunc("POST /integrations/keys/{id}/revoke", s.signedIn(s.handleAPIKeyRevoke))
	mux.HandleFunc("POST /integrations/pop-links/renew", s.signedIn(s.handlePopLinksRenew))
	mux.HandleFunc("GET /notifications", s.signedIn(s.handleNotifications))
	mux.HandleFunc("POST /notifications/channels", s.signedIn(s.handleChannelCreate))
	mux.HandleFunc("POST /notifications/channels/{id}/test", s.signedIn(s.handleChannelTest))
	mux.HandleFunc("POST /notifications/channels/{id}/delete", s.signedIn(s.handleChannelDelete))
	mux.HandleFunc("GET /pop", s.handlePop)
	mux.HandleFunc("POST /admins/{id}/delete", s.signedIn(s.handleAdminDelete))
	mux.HandleFunc("POST /admins/{id}/role", s.signedIn(s.handleAdminRole))
	mux.HandleFunc("POST /admins/{id}/reset", s.signedIn(s.handleAdminReset))
	mux.HandleFunc("POST /account/password", s.signedIn(s.handlePasswordChange))
	mux.HandleFunc("GET /reset/{token}", s.handleResetForm)
	mux.HandleFunc("POST /reset/{token}", s.handleReset)
	mux.HandleFunc("GET /audit.csv", s.signedIn(s.handleAuditCSV))
	s.patterns = mux.patterns

	// Every state change is a POST checked for a same-origin request
	// (Sec-Fetch-Site / Origin), which stops cross-site form posts; the
	// forms' one-time tokens are there to act once, not for this.
	return securityHeaders(s.withCookieMode(http.NewCrossOriginProtection().Handler(s.validInput(mux))))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func staticHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now().UTC()
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Server) exactHosts() []ExactHost {
	if len(s.ExactHosts) == 0 {
		return DefaultExactHosts
	}
	return s.ExactHosts
}
