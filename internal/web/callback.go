package web

import (
	"net/http"
	"strconv"

	"github.com/roger365io/roger"
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
		err := s.Replicators.DenyAuthorization(ctx, id, q.Get("state"), e, sessionIDHash(r))
		s.popupPage(w, id, http.StatusBadRequest, "Not authorized", roger.ErrorMessage(err))
		return
	}
	auth, err := s.Replicators.FinishAuthorization(ctx, id, q.Get("state"), q.Get("code"), sessionIDHash(r))
	if err != nil {
		title := "Not authorized"
		if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
			title = "Not found"
		}
		s.popupPage(w, id, statusOf(err), title, roger.ErrorMessage(err))
		return
	}
	if auth.NoAccess {
		s.popupPage(w, id, http.StatusOK, "Authorized, but not for this division", auth.Replicator.StateMessage)
		return
	}
	s.popupPage(w, id, http.StatusOK, "Authorized", "Authorized. You can close this window.")
}

// popupPage is the page the authorization popup ends on; its script tells
// the replicator page that opened the popup to show the new state.
func (s *Server) popupPage(w http.ResponseWriter, id int64, status int, title, msg string) {
	s.render(w, status, "message", view{Title: title, Data: messageView{Title: title, Message: msg, ReplicatorID: id, Popup: true}})
}
