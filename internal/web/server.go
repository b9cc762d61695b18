// Package web is roger's HTTP surface for people: for now the OAuth
// callback an Exact Online authorization returns to, and health checks.
package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// Store is what the pages need of the database (*sqlstore.Store).
type Store interface {
	ConsumeOAuthState(ctx context.Context, state string) (int64, string, error)
	FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error)
	ClientSecret(ctx context.Context, id int64) (string, error)
	SaveToken(ctx context.Context, id int64, t *roger.Token) error
	UpdateReplicator(ctx context.Context, r *roger.Replicator) error
	AppendAudit(ctx context.Context, orgID int64, actor, action, target, detail string) error
}

// Server serves the pages.
type Server struct {
	Store Store
	// RedirectURL is a replicator's Redirect URL; the callback is served
	// at its path and Exact wants it again in the code exchange.
	RedirectURL func(id int64) string
	HTTPClient  *http.Client
	Clock       roger.Clock
	Log         *slog.Logger
	// SessionID returns the browser's session id, to check that the
	// person finishing an authorization is the one who started it. nil
	// until the portal has sessions.
	SessionID func(*http.Request) string
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/exact/{id}/callback", s.handleCallback)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} – roger</title></head>
<body style="font-family:system-ui,sans-serif;max-width:640px;margin:48px auto">
<h1 id="result">{{.Title}}</h1><p>{{.Message}}</p>
</body></html>`))

type callbackView struct{ Title, Message string }

func (s *Server) page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = callbackPage.Execute(w, callbackView{Title: title, Message: msg})
}

func (s *Server) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now().UTC()
}

// handleCallback finishes an authorization: the state must be one roger
// issued for this replicator (and this browser session), unused and
// fresh; the code is exchanged at once (Exact's codes live 3 minutes) and
// the tokens are stored sealed.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.page(w, http.StatusNotFound, "Not found", "There is no replicator at this address.")
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.page(w, http.StatusBadRequest, "Not authorized", "Exact Online did not grant access ("+e+"). Nothing was changed; start again with Authorize application and choose Allow.")
		return
	}
	rid, session, err := s.Store.ConsumeOAuthState(ctx, q.Get("state"))
	if err != nil {
		s.page(w, http.StatusBadRequest, "Not authorized", roger.ErrorMessage(err))
		return
	}
	if rid != id || (session != "" && (s.SessionID == nil || s.SessionID(r) != session)) {
		s.page(w, http.StatusBadRequest, "Not authorized", "This authorization was started for another replicator or in another browser session: start again with Authorize application.")
		return
	}
	code := q.Get("code")
	if code == "" {
		s.page(w, http.StatusBadRequest, "Not authorized", "Exact Online sent no authorization code: start again with Authorize application.")
		return
	}
	rep, err := s.Store.FindReplicatorByID(ctx, id)
	if err != nil {
		s.page(w, http.StatusNotFound, "Not found", roger.ErrorMessage(err))
		return
	}
	secret, err := s.Store.ClientSecret(ctx, id)
	if err != nil {
		s.page(w, http.StatusBadRequest, "Not authorized", roger.ErrorMessage(err))
		return
	}
	cfg := exact.Config{BaseURL: rep.ExactURL, ClientID: rep.ClientID, ClientSecret: secret, RedirectURL: s.RedirectURL(id), HTTPClient: s.HTTPClient, Clock: s.Clock}
	tok, err := exact.Exchange(ctx, cfg, code)
	if err != nil {
		s.log().Warn("authorization code exchange failed", "replicator", id, "err", roger.ErrorMessage(err))
		s.page(w, http.StatusBadGateway, "Not authorized", "Exact Online did not accept the authorization: "+roger.ErrorMessage(err)+" Check the Client ID and Client Secret, then try again.")
		return
	}
	if err := s.Store.SaveToken(ctx, id, tok); err != nil {
		s.log().Error("save token", "replicator", id, "err", err)
		s.page(w, http.StatusInternalServerError, "Not authorized", "The authorization could not be stored; try again.")
		return
	}
	who := "an Exact Online user"
	client := exact.NewClient(cfg, exact.NewTokenSource(cfg, staticTokens{tok}), exact.NewBudgetRegistry(s.Clock).Get(rep.ClientID, 0))
	var accessible []int
	if me, err := client.Me(ctx); err == nil {
		who = me.FullName
		if rep.Division == 0 {
			// Exact's current division is only where the user last was in
			// the web UI: a suggestion, which the Contact URL overrides.
			rep.Division = me.CurrentDivision
		}
		if divs, err := client.Divisions(ctx, me.CurrentDivision); err == nil {
			for _, d := range divs {
				accessible = append(accessible, d.Code)
			}
		}
	}
	rep.StateMessage = "Authorized by " + who + "."
	noAccess := accessible != nil && rep.Division != 0 && !slices.Contains(accessible, rep.Division)
	switch {
	case noAccess:
		codes := make([]string, len(accessible))
		for i, c := range accessible {
			codes[i] = strconv.Itoa(c)
		}
		rep.State = roger.StateAwaitingAuthorization
		rep.StateMessage = fmt.Sprintf("Authorized by %s, who has no access to division %d (from the Contact URL). Divisions %s can open: %s. Correct the division in the Contact URL, or authorize as a user who can open division %d.",
			who, rep.Division, who, strings.Join(codes, ", "), rep.Division)
	case rep.Division != 0 && rep.ContactURL != "" && rep.DefaultCountry != "":
		if rep.State != roger.StatePaused {
			rep.State, rep.StateMessage, rep.NextSyncAt = roger.StateActive, "", s.now()
		}
	default:
		rep.State = roger.StateAwaitingAuthorization
		rep.StateMessage += " Fill in the Contact URL and Country Code to start syncing."
	}
	if err := s.Store.UpdateReplicator(ctx, rep); err != nil {
		s.log().Error("update replicator", "replicator", id, "err", err)
	}
	_ = s.Store.AppendAudit(ctx, rep.OrgID, who, "replicator.authorize", "replicator/"+strconv.FormatInt(id, 10), "division "+strconv.Itoa(rep.Division))
	if noAccess {
		s.page(w, http.StatusOK, "Authorized, but not for this division", rep.StateMessage)
		return
	}
	s.page(w, http.StatusOK, "Authorized", "Authorized. You can close this window.")
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// staticTokens serves the just-obtained token for the one Me call after
// the exchange; it never refreshes (the token is seconds old).
type staticTokens struct{ t *roger.Token }

func (s staticTokens) LoadToken(context.Context) (*roger.Token, error) { return s.t, nil }
func (s staticTokens) UpdateToken(_ context.Context, fn func(*roger.Token) (*roger.Token, error)) error {
	_, err := fn(s.t)
	return err
}
