package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// handleCallback finishes an authorization: the state must be one roger
// issued for this replicator (and this browser session), unused and
// fresh; the code is exchanged at once (Exact's codes live 3 minutes) and
// the tokens are stored sealed.
func (s *Server) handleCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.popupPage(w, id, http.StatusNotFound, "Not found", "There is no replicator at this address.")
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.popupPage(w, id, http.StatusBadRequest, "Not authorized", "Exact Online did not grant access ("+e+"). Nothing was changed; start again with Authorize application and choose Allow.")
		return
	}
	rid, session, err := s.Store.ConsumeOAuthState(ctx, q.Get("state"))
	if err != nil {
		s.popupPage(w, id, http.StatusBadRequest, "Not authorized", roger.ErrorMessage(err))
		return
	}
	if rid != id || (session != "" && sessionIDHash(r) != session) {
		s.popupPage(w, id, http.StatusBadRequest, "Not authorized", "This authorization was started for another replicator or in another browser session: start again with Authorize application.")
		return
	}
	code := q.Get("code")
	if code == "" {
		s.popupPage(w, id, http.StatusBadRequest, "Not authorized", "Exact Online sent no authorization code: start again with Authorize application.")
		return
	}
	rep, err := s.Store.FindReplicatorByID(ctx, id)
	if err != nil {
		s.popupPage(w, id, http.StatusNotFound, "Not found", roger.ErrorMessage(err))
		return
	}
	secret, err := s.Store.ClientSecret(ctx, id)
	if err != nil {
		s.popupPage(w, id, http.StatusBadRequest, "Not authorized", roger.ErrorMessage(err))
		return
	}
	cfg := exact.Config{BaseURL: rep.ExactURL, ClientID: rep.ClientID, ClientSecret: secret, RedirectURL: s.RedirectURL(id), HTTPClient: s.HTTPClient, Clock: s.Clock}
	tok, err := exact.Exchange(ctx, cfg, code)
	if err != nil {
		s.log().Warn("authorization code exchange failed", "replicator", id, "err", roger.ErrorMessage(err))
		s.popupPage(w, id, http.StatusBadGateway, "Not authorized", "Exact Online did not accept the authorization: "+roger.ErrorMessage(err)+" Check the Client ID and Client Secret, then try again.")
		return
	}
	if err := s.Store.SaveToken(ctx, id, tok); err != nil {
		s.log().Error("save token", "replicator", id, "err", err)
		s.popupPage(w, id, http.StatusInternalServerError, "Not authorized", "The authorization could not be stored; try again.")
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
	// The admin who started the authorization, and the Exact user who
	// granted it, may be different people.
	actor := who + " (Exact Online user)"
	if session != "" {
		if sess, err := s.Store.FindSession(ctx, session); err == nil {
			actor = sess.Email
		}
	}
	_ = s.Store.AppendAudit(ctx, rep.OrgID, actor, "replicator.authorize", "replicator/"+strconv.FormatInt(id, 10)+" ("+rep.Name+")",
		"authorized as Exact Online user "+who+", division "+strconv.Itoa(rep.Division))
	if noAccess {
		s.popupPage(w, id, http.StatusOK, "Authorized, but not for this division", rep.StateMessage)
		return
	}
	s.popupPage(w, id, http.StatusOK, "Authorized", "Authorized. You can close this window.")
}

// staticTokens serves the just-obtained token for the one Me call after
// the exchange; it never refreshes (the token is seconds old).
type staticTokens struct{ t *roger.Token }

func (s staticTokens) LoadToken(context.Context) (*roger.Token, error) { return s.t, nil }
func (s staticTokens) UpdateToken(_ context.Context, fn func(*roger.Token) (*roger.Token, error)) error {
	_, err := fn(s.t)
	return err
}

// popupPage is the page the authorization popup ends on; its script tells
// the replicator page that opened the popup to show the new state.
func (s *Server) popupPage(w http.ResponseWriter, id int64, status int, title, msg string) {
	s.render(w, status, "message", view{Title: title, Data: messageView{Title: title, Message: msg, ReplicatorID: id, Popup: true}})
}
