// Package api is roger's JSON API for machines: the caller lookup the
// telephony calls on every incoming call, a directory search, and the
// OpenAPI description of both. Every call but the description needs an
// organisation's API key in the Authorization header; errors come back as
// {"error":{"code","message"}} with the status from one table.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/httpstatus"
	"github.com/roger365io/roger/internal/lookup"
)

// Lookups is what the API needs of the directory (*lookup.Service).
type Lookups interface {
	Lookup(ctx context.Context, orgID int64, input, country string) (*lookup.Result, error)
	Search(ctx context.Context, orgID int64, q string, after int64, limit int) (*lookup.Page, error)
}

var _ Lookups = (*lookup.Service)(nil)

// StatusReader tells how an organisation's replicators are doing
// (*notify.Status).
type StatusReader interface {
	Replicators(ctx context.Context, orgID int64) ([]roger.ReplicatorStatus, error)
}

// Server serves the API. Set its fields, then call Handler once.
type Server struct {
	Lookup Lookups
	Keys   Keys
	// Status answers GET /api/v1/status; nil answers it "not found".
	Status StatusReader
	// Clock tells the time for the key cache; nil means the system clock.
	Clock roger.Clock
	Log   *slog.Logger
	// Observe, when set, sees every request's route ("lookup", "entries",
	// "status", "openapi", "other") and status (metrics).
	Observe func(route string, status int)
	// KeyCacheTTL is how long a key, once checked, is trusted without
	// asking the database again; 0 means DefaultKeyCacheTTL and a
	// negative value turns the cache off. A revoked key keeps working
	// at most this long.
	KeyCacheTTL time.Duration
	// TouchEvery is the least time between two records of a key's last
	// use; 0 means DefaultTouchEvery.
	TouchEvery time.Duration
	// KeyGrace is how long a key the database confirmed keeps working
	// while the database cannot be reached, so that lookups answered
	// from memory go on through an outage; 0 means DefaultKeyGrace and a
	// negative value turns it off. A key seen revoked is never taken.
	KeyGrace time.Duration
	// KeyRateLimit is how many requests a second one key may make, in
	// bursts of up to a second's worth; beyond it a request is answered
	// 429 with Retry-After. 0 means DefaultKeyRateLimit and a negative
	// value no limit. Without the key cache (KeyCacheTTL < 0) there is
	// no limit either.
	KeyRateLimit int
	// ClientAddr is the address a request comes from, which failed
	// authentications are counted against (per /64 for IPv6); nil means
	// the address of the connection.
	ClientAddr func(*http.Request) netip.Addr
}

// DefaultKeyGrace carries lookups through an outage of the database of up
// to an hour: long enough for a restart or a fail-over, short enough that
// a key whose revocation was missed does not live on.
const DefaultKeyGrace = time.Hour

// DefaultKeyRateLimit is generous: above what one instance answers, so
// that it only stops a runaway client from starving the other
// organisations' lookups when an operator sets it lower.
const DefaultKeyRateLimit = 20_000

// DefaultKeyCacheTTL keeps the key check off the database on almost every
// call at thousands of lookups a second, while a revoked key stops
// working within seconds on every instance.
const DefaultKeyCacheTTL = 5 * time.Second

// DefaultTouchEvery: "last used" is for people ("used 3 minutes ago"); a
// write per lookup would put the lookup rate on the database's write path.
const DefaultTouchEvery = time.Minute

//go:embed openapi.json
var openAPI []byte

// Handler returns the routes, all under /api/v1/.
func (s *Server) Handler() http.Handler {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := s.Clock
	if clk == nil {
		clk = clock.System{}
	}
	ttl, touch := s.KeyCacheTTL, s.TouchEvery
	if ttl == 0 {
		ttl = DefaultKeyCacheTTL
	}
	if touch == 0 {
		touch = DefaultTouchEvery
	}
	grace, rate := s.KeyGrace, s.KeyRateLimit
	if grace == 0 {
		grace = DefaultKeyGrace
	}
	if rate == 0 {
		rate = DefaultKeyRateLimit
	}
	h := &handler{lookup: s.Lookup, status: s.Status, log: log, observe: s.Observe,
		auth: newAuthenticator(s.Keys, clk, log, ttl, touch, grace, rate, s.ClientAddr)}
	mux := http.NewServeMux()
	mux.Handle("/api/v1/lookup", h.route("lookup", h.authed(h.handleLookup)))
	mux.Handle("/api/v1/entries", h.route("entries", h.authed(h.handleEntries)))
	mux.Handle("/api/v1/status", h.route("status", h.authed(h.handleStatus)))
	mux.Handle("/api/v1/openapi.json", h.route("openapi", h.handleOpenAPI))
	mux.Handle("/", h.route("other", func(w http.ResponseWriter, r *http.Request) error {
		return roger.Errorf(roger.ENOTFOUND, "There is no API call %s; see /api/v1/openapi.json.", r.URL.Path)
	}))
	return mux
}

type handler struct {
	lookup  Lookups
	status  StatusReader
	auth    *authenticator
	log     *slog.Logger
	observe func(route string, status int)
}

// errMethod is a request with a method the API does not take.
var errMethod = roger.Errorf(roger.EINVALID, "Only GET is supported.")

// statusWriters saves an allocation a request.
var statusWriters = sync.Pool{New: func() any { return new(httpstatus.Writer) }}

// route turns a handler that returns an error into an http.Handler that
// writes the error envelope, refuses other methods than GET and HEAD, and
// reports the outcome.
func (h *handler) route(name string, fn func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := statusWriters.Get().(*httpstatus.Writer)
		w.ResponseWriter, w.Status = rw, 0
		defer func() {
			// Nothing keeps the writer past the handler: net/http is
			// done with it when ServeHTTP returns.
			w.ResponseWriter = nil
			statusWriters.Put(w)
		}()
		// Set without Header.Set: the keys are canonical already, and
		// one backing array for both values is one allocation, not two.
		vals := make([]string, 2)
		vals[0], vals[1] = "no-store", "nosniff"
		hdr := w.Header()
		hdr["Cache-Control"], hdr["X-Content-Type-Options"] = vals[0:1:1], vals[1:2:2]
		var err error
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			h.writeError(w, r, http.StatusMethodNotAllowed, errMethod)
		} else if err = fn(w, r); err != nil {
			h.writeError(w, r, 0, err)
		}
		if h.observe != nil {
			h.observe(name, w.Status)
		}
	})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    roger.ErrorCode `json:"code"`
	Message string          `json:"message"`
}

// writeError writes the envelope. Only the user-safe message of a
// *roger.Error is shown; anything else is logged and answered with a
// generic message.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, status int, err error) {
	code := roger.ErrorCodeOf(err)
	if lim, ok := errors.AsType[*limitError](err); ok && status == 0 {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", lim.retryAfter())
	}
	if status == 0 {
		status = roger.HTTPStatus(code)
	}
	msg := roger.ErrorMessage(err)
	switch {
	case code == roger.EINTERNAL:
		msg = "An internal error occurred; it has been logged."
		h.log.Error("api", "path", r.URL.Path, "err", err)
	case status >= 500:
		h.log.Warn("api", "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roger"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"An internal error occurred."}}`)
	}
	writeBody(w, status, append(b, '\n'))
}

// writeBody writes b, a JSON document with its newline, with status.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	vals := make([]string, 2)
	vals[0], vals[1] = "application/json", strconv.Itoa(len(b))
	h := w.Header()
	h["Content-Type"], h["Content-Length"] = vals[0:1:1], vals[1:2:2]
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// handleLookup answers GET /api/v1/lookup?number=…[&country=…].
func (h *handler) handleLookup(w http.ResponseWriter, r *http.Request, q url.Values, key *roger.APIKey) error {
	number := q.Get("number")
	if !q.Has("number") {
		return roger.Errorf(roger.EINVALID, "Send the caller's number as ?number=…, in any usual notation (+31201234567, 020 123 4567, tel:+31-20-123-4567;ext=12); country=NL or country=+31 sets the country for national numbers.")
	}
	res, err := h.lookup.Lookup(r.Context(), key.OrgID, number, q.Get("country"))
	if err != nil {
		return err
	}
	writeResult(w, res)
	return nil
}

// handleEntries answers GET /api/v1/entries?q=…&after=…&limit=….
func (h *handler) handleEntries(w http.ResponseWriter, r *http.Request, q url.Values, key *roger.APIKey) error {
	after, err := intParam(q.Get("after"), "after", "the next value of the previous page")
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", "a number of entries from 1 to "+strconv.Itoa(lookup.MaxPageSize))
	if err != nil {
		return err
	}
	page, err := h.lookup.Search(r.Context(), key.OrgID, q.Get("q"), after, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// statusBody is the answer of GET /api/v1/status.
type statusBody struct {
	Replicators []roger.ReplicatorStatus `json:"replicators"`
}

func (h *handler) handleStatus(w http.ResponseWriter, r *http.Request, _ url.Values, key *roger.APIKey) error {
	if h.status == nil {
		return roger.Errorf(roger.ENOTFOUND, "This instance does not report status; see /api/v1/openapi.json.")
	}
	reps, err := h.status.Replicators(r.Context(), key.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusBody{Replicators: reps})
	return nil
}

func intParam(s, name, what string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<53 {
		return 0, roger.Errorf(roger.EINVALID, "%s must be %s.", name, what)
	}
	return n, nil
}

func (h *handler) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(openAPI)
	return nil
}

// authed runs fn with the request's query, parsed once for both, and its
// API key, or refuses the request.
func (h *handler) authed(fn func(http.ResponseWriter, *http.Request, url.Values, *roger.APIKey) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		key, err := h.auth.authenticate(r, q)
		if err != nil {
			return err
		}
		return fn(w, r, q, key)
	}
}
