package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

const (
	// The __Host- prefix makes browsers refuse the cookie unless it is
	// Secure, host-only and for path /, so no sibling domain or plain-http
	// page can plant or read it.
	secureCookieName = "__Host-roger_session"
	// plainCookieName is used only when roger is served over plain http
	// on a non-loopback host, where browsers drop Secure cookies.
	plainCookieName = "roger_session"
	touchEvery      = time.Minute
)

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return 2 * time.Hour
}

func (s *Server) maxAge() time.Duration {
	if s.MaxAge > 0 {
		return s.MaxAge
	}
	return 12 * time.Hour
}

// secureCookies reports whether the session cookie is Secure, and so
// named with the __Host- prefix: when people reach roger over https, or at
// a loopback address (http://127.0.0.1 and http://localhost are secure
// contexts, so Secure cookies work there). The public URL decides, not the
// connection: behind a proxy that ends TLS every request arrives as plain
// http. Without a public URL the request decides (TLS, a trusted proxy's
// X-Forwarded-Proto, or a loopback host).
func (s *Server) secureCookies(r *http.Request) bool {
	if u, err := url.Parse(s.PublicURL); err == nil && s.PublicURL != "" {
		return u.Scheme == "https" || roger.IsLoopbackHost(u.Hostname())
	}
	if s.Proxies.HTTPS(r) {
		return true
	}
	return loopbackRequest(r)
}

func loopbackRequest(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return roger.IsLoopbackHost(host)
}

type secureCookiesKey struct{}

// withCookieMode puts secureCookies' answer in the request's context for
// the functions that have only the request.
func (s *Server) withCookieMode(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), secureCookiesKey{}, s.secureCookies(r))))
	})
}

// secureContext reports whether the request's session cookie is the
// Secure one (see secureCookies); a request that did not pass Handler
// judges by TLS or a loopback host.
func secureContext(r *http.Request) bool {
	if v, ok := r.Context().Value(secureCookiesKey{}).(bool); ok {
		return v
	}
	return r.TLS != nil || loopbackRequest(r)
}

func cookieName(r *http.Request) string {
	if secureContext(r) {
		return secureCookieName
	}
	return plainCookieName
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sessionIDHash returns the hash of the session token the request
// carries, or "".
func sessionIDHash(r *http.Request) string {
	c, err := r.Cookie(cookieName(r))
	if err != nil || c.Value == "" {
		return ""
	}
	return hashToken(c.Value)
}

// SessionID returns the id (hash) of the browser's session, which an
// OAuth state is bound to.
func (s *Server) SessionID(r *http.Request) string { return sessionIDHash(r) }

// startSession creates a new session for u (a fresh id at every sign-in,
// so an id planted before sign-in is worthless) and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *roger.User) error {
	token := rand.Text() + rand.Text()
	sess := &roger.Session{IDHash: hashToken(token), UserID: u.ID, OrgID: u.OrgID, Email: u.Email, Role: u.Role}
	if err := s.Store.CreateSession(r.Context(), sess); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName(r), Value: token, Path: "/", HttpOnly: true,
		Secure: secureContext(r), SameSite: http.SameSiteLaxMode})
	return nil
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secureContext(r), SameSite: http.SameSiteLaxMode})
}

// session returns the request's live session, ending it when it has been
// idle too long or is too old.
func (s *Server) session(r *http.Request) (*roger.Session, bool) {
	sess, err := s.findSession(r)
	return sess, err == nil
}

// errNoSession is a request without a live session.
var errNoSession = roger.Errorf(roger.EUNAUTHORIZED, "Your session has ended; sign in again.")

// findSession is session, with the error: EUNAUTHORIZED when there is no
// live session, anything else when the database could not say.
func (s *Server) findSession(r *http.Request) (*roger.Session, error) {
	id := sessionIDHash(r)
	if id == "" {
		return nil, errNoSession
	}
	ctx := r.Context()
	sess, err := s.Store.FindSession(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.Sub(sess.LastSeen) > s.idleTimeout() || now.Sub(sess.Created) > s.maxAge() {
		_ = s.Store.DeleteSession(ctx, id)
		return nil, errNoSession
	}
	// One write a minute at most keeps page views from being writes.
	if now.Sub(sess.LastSeen) > touchEvery {
		_ = s.Store.TouchSession(ctx, id, now)
	}
	return sess, nil
}

// signedIn guards a page: without a live session a page view goes to the
// sign-in page (and comes back after), anything else gets a 401. A POST
// must also be allowed to the admin's role (roles.go) and acts once for
// its form's token (formtoken.go).
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *roger.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.findSession(r)
		// A session the store does not know is signed out; only a store
		// that could not say is an outage.
		if code := roger.ErrorCodeOf(err); err != nil && code != roger.EUNAUTHORIZED && code != roger.ENOTFOUND {
			s.databaseUnavailable(w, r, err)
			return
		}
		if err != nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/status") && !strings.HasSuffix(r.URL.Path, "/contact-url") &&
				!strings.HasSuffix(r.URL.Path, "/country-preview") {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "Your session has ended; sign in again.", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost {
			h(w, r, sess)
			return
		}
		if !s.permitted(w, r, sess) {
			return
		}
		s.once(w, r, sess, h)
	}
}

// clientIP is the address sign-in throttling counts against.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	return s.Proxies.Addr(r)
}

// SweepSessions removes timed-out sessions, expired password reset
// links and sign-in attempts that have left the throttle's window every
// interval until ctx ends. A timed-out session is refused anyway; the
// sweep keeps the tables from growing with sessions nobody signed out of
// and addresses nobody tried again.
func (s *Server) SweepSessions(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.Store.DeleteStaleSessions(ctx, s.now().Add(-s.idleTimeout()), s.now().Add(-s.maxAge())); err != nil && ctx.Err() == nil {
			s.log().Warn("sweep sessions", "err", err)
		} else if n > 0 {
			s.log().Info("ended timed-out sessions", "count", n)
		}
		if _, err := s.Store.DeleteExpiredPasswordResets(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("sweep password reset links", "err", err)
		}
		if s.Throttle != nil {
			if _, err := s.Throttle.Prune(ctx); err != nil && ctx.Err() == nil {
				s.log().Warn("prune sign-in attempts", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// databaseUnavailable answers a signed-in request while the database does
// not answer: the session cannot be read, but that is no reason to send the
// admin to sign in, which cannot work either. A page view gets a page that
// says what is happening and reloads itself; anything else (a form, the
// scripts' polls) a short text.
func (s *Server) databaseUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log().Warn("page without its database", "path", r.URL.Path, "err", err)
	w.Header().Set("Retry-After", "15")
	if r.Method != http.MethodGet || strings.HasSuffix(r.URL.Path, "/status") || strings.HasSuffix(r.URL.Path, "/contact-url") ||
		strings.HasSuffix(r.URL.Path, "/country-preview") {
		http.Error(w, "roger cannot reach its database just now, so this was not done. You are still signed in; try again in a moment.", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Refresh", "15")
	const msg = "roger cannot reach its database just now, so this page cannot be shown. You are still signed in: this page tries again every 15 seconds."
	s.render(w, http.StatusServiceUnavailable, "message", view{Title: "Database unavailable", Data: messageView{Title: "Database unavailable", Message: msg}})
}
