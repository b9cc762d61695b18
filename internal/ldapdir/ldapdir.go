// Package ldapdir serves the directory read-only over LDAPv3, for desk
// phones, PBXs and SBCs that look callers up there: entries are
// inetOrgPerson under ou=directory,o=<organisation ID>, read from the
// in-memory index (internal/dirindex), with a number in a filter matched
// the way the lookup API matches a caller's number.
//
// A phone binds with a key made for LDAP; an organisation sees only its
// own entries; anonymous binds and every write are refused.
package ldapdir

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
)

// Keys checks the keys phones bind with (*sqlstore.Store).
type Keys interface {
	AuthenticateKey(ctx context.Context, key string, kind roger.APIKeyKind) (*roger.APIKey, error)
	// APIKeysRevokedSince returns the IDs of keys revoked at or after
	// since.
	APIKeysRevokedSince(ctx context.Context, since time.Time) ([]int64, error)
}

// Directory is the in-memory directory (*dirindex.Index).
type Directory interface {
	Ready() bool
	// Holds is false for an organisation another instance's share of the
	// index holds (ROGER_INDEX_SHARD).
	Holds(orgID int64) bool
	EntryIDs(orgID, after int64, limit int) []int64
	NameCandidates(orgID int64, prefix string, limit int) ([]int64, bool)
	NameWalk(orgID int64, prefix string, cursor dirindex.NameCursor, limit int) ([]int64, dirindex.NameCursor, bool)
	Records(orgID int64, ids []int64) []dirindex.Record
}

// Numbers matches a number the way the lookup API does (*lookup.Service).
type Numbers interface {
	Lookup(ctx context.Context, orgID int64, input, country string) (*lookup.Result, error)
}

// Orgs gives an organisation's default country, for the national form
// of numbers (*sqlstore.Store).
type Orgs interface {
	FindOrganizationByID(ctx context.Context, id int64) (*roger.Organization, error)
}

// Observer sees what the server does, for metrics. Outcomes are short
// words (ok, invalid, throttled, …); a nil Observer sees nothing.
type Observer interface {
	ObserveBind(outcome string)
	ObserveSearch(outcome string, entries int, d time.Duration)
	ObserveRefusal(operation string)
}

// Options configure New.
type Options struct {
	Keys      Keys
	Directory Directory
	Numbers   Numbers
	Orgs      Orgs
	// Throttle counts failed binds; nil counts nothing (tests).
	Throttle *Throttle
	Observer Observer
	Log      *slog.Logger
	// TLS, when set, offers StartTLS on plain listeners and serves
	// LDAPS listeners.
	TLS *tls.Config
	// AllowPlain lets phones bind without TLS on a listener that is not
	// on loopback. Off, such a bind is refused with
	// confidentialityRequired: the key would cross the network in clear.
	AllowPlain bool
	// MaxSize bounds the entries of a search, and of a page of a paged
	// one; 0 means 1000.
	MaxSize int
	// MaxTime bounds the time a search takes; 0 means 10 seconds.
	MaxTime time.Duration
	// KeyRecheck is how long a checked key is taken without asking the
	// database again: a revocation reaches phones that stay connected,
	// or bind again, within this time. 0 means 30 seconds; below 0,
	// every search asks.
	KeyRecheck time.Duration
}

// Server is the LDAP server. Create it with New, add listeners with
// Listen, and Close it.
type Server struct {
	opts Options
	ctx  context.Context
	stop context.CancelFunc

	mu        sync.Mutex
	listeners []*gldap.Server
	served    []*listener

	countries countryCache
	keyCache  keyCache
	templates templateCache
}

// New returns a server answering from opts.Directory.
func New(opts Options) *Server {
	if opts.MaxSize <= 0 {
		opts.MaxSize = 1000
	}
	if opts.MaxTime <= 0 {
		opts.MaxTime = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.KeyRecheck == 0 {
		opts.KeyRecheck = 30 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Server{opts: opts, ctx: ctx, stop: stop, countries: countryCache{m: map[int64]cachedCountry{}},
		keyCache: keyCache{m: map[string]cachedKey{}, ttl: max(opts.KeyRecheck, 0)}, templates: templateCache{m: map[string]*roger.ContactURL{}}}
}

// Listen serves LDAP on addr (host:port; port 0 picks a free one), LDAPS
// when ldaps is set, and returns the address it listens on.
func (s *Server) Listen(addr string, ldaps bool) (string, error) {
	if ldaps && s.opts.TLS == nil {
		return "", errors.New("LDAPS needs a certificate: set ROGER_LDAP_TLS_CERT and ROGER_LDAP_TLS_KEY")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("LDAP address %q is not HOST:PORT: %w", addr, err)
	}
	if port == "0" {
		// The server library listens itself and does not tell the
		// port it got, so a free one is found first.
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("listen for LDAP on %s: %w", addr, err)
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	l := &listener{srv: s, sessions: map[int]*session{}, secure: ldaps, plainOK: s.opts.AllowPlain || isLoopback(host)}
	gs, err := gldap.NewServer(gldap.WithLogger(hclog.NewNullLogger()), gldap.WithOnClose(l.closed))
	if err != nil {
		return "", fmt.Errorf("LDAP server: %w", err)
	}
	mux, err := l.routes()
	if err != nil {
		return "", fmt.Errorf("LDAP server: %w", err)
	}
	if err := gs.Router(mux); err != nil {
		return "", fmt.Errorf("LDAP server: %w", err)
	}
	var runOpts []gldap.Option
	if ldaps {
		runOpts = append(runOpts, gldap.WithTLSConfig(s.opts.TLS))
	}
	errc := make(chan error, 1)
	go func() { errc <- gs.Run(addr, runOpts...) }()
	// Run reports a failed listen only by returning; a connection that
	// goes through says it is listening.
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-errc:
			if err == nil {
				err = errors.New("stopped")
			}
			return "", fmt.Errorf("listen for LDAP on %s: %w", addr, err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = gs.Stop()
			return "", fmt.Errorf("listen for LDAP on %s: not accepting connections", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, gs)
	s.served = append(s.served, l)
	s.mu.Unlock()
	go func() {
		if err := <-errc; err != nil {
			s.opts.Log.Error("the LDAP server stopped", "addr", addr, "err", err)
		}
	}()
	return addr, nil
}

// Close stops every listener and ends the searches in progress.
func (s *Server) Close() error {
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, gs := range s.listeners {
		errs = append(errs, gs.Stop())
	}
	s.listeners = nil
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// countryCache keeps organisations' default countries for a while: read
// for every search with the national form, changed perhaps once.
type countryCache struct {
	mu sync.Mutex
	m  map[int64]cachedCountry
}

type cachedCountry struct {
	country string
	until   time.Time
}

const countryTTL = 30 * time.Second

func (s *Server) country(ctx context.Context, orgID int64) (string, error) {
	now := time.Now()
	s.countries.mu.Lock()
	c, ok := s.countries.m[orgID]
	s.countries.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.country, nil
	}
	org, err := s.opts.Orgs.FindOrganizationByID(ctx, orgID)
	if err != nil {
		if ok {
			return c.country, nil
		}
		return "", err
	}
	s.countries.mu.Lock()
	s.countries.m[orgID] = cachedCountry{country: org.DefaultCountry, until: now.Add(countryTTL)}
	s.countries.mu.Unlock()
	return org.DefaultCountry, nil
}
