package web

import (
	"net/http"
	"time"

	"github.com/roger365io/roger"
)

type replicatorRow struct {
	R           *roger.Replicator
	Entries     int
	Unparseable int
	CallsToday  int
	LastRun     *roger.SyncRun
	Story       roger.Story
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	http.Redirect(w, r, "/replicators", http.StatusSeeOther)
}

// startOfDay is midnight in Amsterdam, when Exact's daily call limits
// start over.
func startOfDay(now time.Time) time.Time {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		loc = time.UTC
	}
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

func (s *Server) handleReplicatorList(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	list, err := s.Store.ListReplicators(ctx, sess.OrgID)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	calls, err := s.Store.APICallsSince(ctx, sess.OrgID, startOfDay(s.now()))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	rows := make([]replicatorRow, 0, len(list))
	for _, rep := range list {
		row := replicatorRow{R: rep, CallsToday: calls[rep.ID], Story: rep.Story(s.authorized(ctx, rep))}
		if row.Entries, row.Unparseable, err = s.Store.CountEntries(ctx, rep.ID); err != nil {
			s.fail(w, r, sess, err)
			return
		}
		if runs, err := s.Store.ListSyncRuns(ctx, rep.ID, 1); err == nil && len(runs) > 0 {
			row.LastRun = runs[0]
		}
		rows = append(rows, row)
	}
	s.render(w, http.StatusOK, "replicators", view{Title: "Replicators", Session: sess, Nav: "replicators", Notice: notice(r), Data: rows})
}

// notices are the confirmations a redirect after a change can show; a
// code in the URL picks one, so no text from the URL reaches the page.
var notices = map[string]string{
	"created":     "Replicator created. Register an app in the Exact App Center with the Redirect URL below.",
	"credentials": "Client ID and Client Secret saved. Now click Authorize application.",
	"settings":    "Settings saved.",
	"active":      "Settings saved. The replicator is active: the first sync has started.",
	"sync":        "Sync requested: it starts within seconds.",
	"paused":      "Replicator paused: it will not sync until you resume it.",
	"resumed":     "Replicator resumed: a sync starts within seconds.",
	"deleted":     "Replicator deleted, with its directory entries and its history.",
	"admin":       "Admin added.",
	"revoked":     "API key revoked: requests with it are refused from now on.",
	"poplinks":    "New screen-pop link made: the previous one no longer works.",
	"channel":     "Channel added. Send a test to see that it arrives.",
	"removed":     "Channel removed: it is told nothing more.",
	"signedout":   "You are signed out. Sign in again to go on.",
	"password":    "Your new password is set. Sign in with it.",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("done")] }
