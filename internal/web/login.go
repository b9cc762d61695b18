package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/password"
)

type loginView struct {
	Email string
	Next  string
	Error string
}

// safeNext keeps a post-sign-in redirect on this site. Browsers read a
// Location leniently: they drop tabs and newlines, take a backslash for a
// slash and follow "//host" off-site, so only a plain path (with an
// optional query) passes; anything else goes home. An empty next lands on
// the replicators.
func safeNext(next string) string {
	if next == "" {
		return "/replicators"
	}
	if !localPath(next) {
		return "/"
	}
	return next
}

// localPath reports whether raw is a path on this site that no browser
// can read as another site's address.
func localPath(raw string) bool {
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || !plain(raw) {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// The decoded path must hold as well: an escaped slash or backslash
	// is harmless in a Location, but nothing a real page needs.
	return strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//") && plain(u.Path)
}

// plain reports whether s is valid UTF-8 without control characters,
// backslashes or any white space but the plain space.
func plain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c == '\\' || unicode.IsControl(c) || (unicode.IsSpace(c) && c != ' ') {
			return false
		}
	}
	return true
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = ""
	}
	s.render(w, http.StatusOK, "login", view{Title: "Sign in", Notice: notice(r), Data: loginView{Next: next}})
}

const wrongCredentials = "The e-mail address or the password is wrong."

// busyRetry is how long a sign-in turned away by the hashing gate is asked
// to wait: about what a queue of hashes takes to drain.
const busyRetry = 5 * time.Second

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	pw := r.PostFormValue("password")
	next := r.PostFormValue("next")
	again := func(status int, msg string) {
		s.render(w, status, "login", view{Title: "Sign in", Data: loginView{Email: email, Next: next, Error: msg}})
	}
	tooMany := func(wait time.Duration, msg string) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		again(http.StatusTooManyRequests, msg)
	}
	if email == "" || pw == "" {
		again(http.StatusBadRequest, "Enter your e-mail address and your password.")
		return
	}
	if s.Throttle == nil {
		s.log().Error("sign-in: no throttle (the store does not count sign-in attempts)")
		again(http.StatusInternalServerError, "Signing in failed; try again.")
		return
	}
	ctx := r.Context()
	ip := s.clientIP(r)
	// The attempt is counted before the password is checked: counting
	// only failures let a burst of guesses all be checked before the
	// first of them was counted.
	attempt, wait, err := s.Throttle.Reserve(ctx, email, ip)
	if err != nil {
		s.log().Error("sign-in: count the attempt", "err", err)
		again(http.StatusInternalServerError, "Signing in failed; try again.")
		return
	}
	if attempt == "" {
		tooMany(wait, "Too many failed sign-ins. Wait "+waitText(wait)+" and try again.")
		return
	}
	// refund gives the attempt back; it outlives a client that went away.
	refund := func(signedIn bool) {
		if err := s.Throttle.Refund(context.WithoutCancel(ctx), attempt, email, signedIn); err != nil {
			s.log().Warn("sign-in: take back the attempt", "err", err)
		}
	}
	u, err := s.Store.FindUserByEmail(ctx, email)
	if err != nil && roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		refund(false)
		s.log().Error("sign-in: find user", "err", err)
		again(http.StatusInternalServerError, "Signing in failed; try again.")
		return
	}
	hash := s.dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	// An unknown address costs the same hash as a known one, so the
	// answer's timing does not tell which accounts exist.
	verr := s.Hashing.Verify(ctx, pw, hash)
	if errors.Is(verr, password.ErrBusy) || ctx.Err() != nil {
		// Not checked, so not counted.
		refund(false)
		s.log().Warn("sign-in: too many passwords being checked at once; asked to retry", "ip", ip)
		tooMany(busyRetry, "Many sign-ins are being checked right now. Try again in "+waitText(busyRetry)+".")
		return
	}
	if u == nil || verr != nil {
		if u != nil && !errors.Is(verr, password.ErrMismatch) {
			s.log().Error("sign-in: stored password hash unreadable", "user", u.ID)
		}
		s.log().Info("sign-in failed", "ip", ip)
		if u != nil {
			// Only a known account's organisation can be told; an
			// unknown address belongs to nobody's log.
			if err := s.Store.AppendAudit(context.WithoutCancel(ctx), u.OrgID, u.Email, "admin.sign-in-failed", "admin/"+u.Email, "wrong password, from "+ip.String()); err != nil {
				s.log().Error("audit", "err", err)
			}
		}
		again(http.StatusUnauthorized, wrongCredentials)
		return
	}
	refund(true)
	// A session the browser already had is ended: sign-in always starts
	// a new one.
	if old := sessionIDHash(r); old != "" {
		_ = s.Store.DeleteSession(ctx, old)
	}
	if err := s.startSession(w, r, u); err != nil {
		s.log().Error("sign-in: create session", "err", err)
		again(http.StatusInternalServerError, "Signing in failed; try again.")
		return
	}
	if err := s.Store.RecordSignIn(ctx, u.ID); err != nil {
		s.log().Warn("sign-in: note the time", "err", err)
	}
	_ = s.Store.AppendAudit(ctx, u.OrgID, u.Email, "admin.sign-in", "admin/"+u.Email, "from "+ip.String())
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// waitText says a wait in whole minutes, or in seconds when it is shorter
// than a minute, rounded up.
func waitText(d time.Duration) string {
	if secs := int(math.Ceil(d.Seconds())); secs < 60 {
		return plural(secs, "second")
	}
	return plural(int(math.Ceil(d.Minutes())), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	// Signing out needs no form token and no role: it must work from
	// any page, however old.
	if sess, err := s.findSession(r); err == nil {
		if err := s.Store.DeleteSession(r.Context(), sess.IDHash); err != nil {
			s.log().Error("sign-out", "err", err)
		} else {
			s.audit(r.Context(), sess, "admin.sign-out", "admin/"+sess.Email, "")
		}
	} else if id := sessionIDHash(r); id != "" {
		_ = s.Store.DeleteSession(r.Context(), id)
	}
	clearCookie(w, r)
	http.Redirect(w, r, "/login?done=signedout", http.StatusSeeOther)
}

// dummyHash is a hash of a random password at the server's cost, made
// once.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy, _ = password.Hash(password.Generate(), s.passwordParams())
	})
	return s.dummy
}

func (s *Server) passwordParams() password.Params {
	if s.Passwords.Time == 0 {
		return password.Default
	}
	return s.Passwords
}
