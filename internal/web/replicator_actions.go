package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// oauthStateTTL bounds how long the Exact login may take in the popup.
const oauthStateTTL = 15 * time.Minute

func replicatorPath(rep *roger.Replicator) string {
	return "/replicators/" + strconv.FormatInt(rep.ID, 10)
}

// handleReplicatorAuthorize is step 4 of the guide: it issues a
// single-use state bound to this browser session and sends the popup to
// Exact's login and consent.
func (s *Server) handleReplicatorAuthorize(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	to, err := s.Replicators.StartAuthorization(s.actor(r, sess), sess.OrgID, id, sess.IDHash, oauthStateTTL)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) handleReplicatorSync(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	rep, err := s.Replicators.SyncNow(s.actor(r, sess), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, replicatorPath(rep)+"?done=sync#sync", http.StatusSeeOther)
}

func (s *Server) handleReplicatorPause(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	rep, err := s.Replicators.Pause(s.actor(r, sess), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, replicatorPath(rep)+"?done=paused", http.StatusSeeOther)
}

func (s *Server) handleReplicatorResume(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	before, err := s.Store.FindReplicator(r.Context(), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	rep, err := s.Replicators.Resume(s.actor(r, sess), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if before.State != roger.StatePaused {
		http.Redirect(w, r, replicatorPath(rep), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, replicatorPath(rep)+"?done=resumed", http.StatusSeeOther)
}

func (s *Server) handleReplicatorDelete(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		var refused roger.Invalid
		refused.Add("delete", "Tick the box to confirm: deleting cannot be undone.")
		s.refuse(w, r, sess, id, nil, refused.Err(), func(*replicatorView) {})
		return
	}
	if _, err := s.Replicators.Delete(s.actor(r, sess), sess.OrgID, id); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/replicators?done=deleted", http.StatusSeeOther)
}

// statusJSON is what the replicator page polls: the state (which the
// authorization popup changes) and the progress of a running sync.
type statusJSON struct {
	State       string   `json:"state"`
	StateLabel  string   `json:"stateLabel"`
	Message     string   `json:"message"`
	AuthProblem string   `json:"authProblem,omitempty"`
	Authorized  bool     `json:"authorized"`
	Division    int      `json:"division"`
	Entries     int      `json:"entries"`
	Unparseable int      `json:"unparseable"`
	Run         *runJSON `json:"run,omitempty"`

	// RateWait is set while the replicator waits for Exact's rate limit
	// (it holds no worker then): until when, in words.
	RateWait string `json:"rateWait,omitempty"`
}

type runJSON struct {
	ID       int64   `json:"id"`
	Running  bool    `json:"running"`
	Outcome  string  `json:"outcome"`
	Full     bool    `json:"full"`
	Read     int     `json:"read"`
	Created  int     `json:"created"`
	Updated  int     `json:"updated"`
	Deleted  int     `json:"deleted"`
	APICalls int     `json:"apiCalls"`
	Seconds  float64 `json:"seconds"`
	PerSec   float64 `json:"perSecond"`
	// Expected is how many records the pass is expected to read: Exact's
	// count at its start, or for a full pass without one the size of the
	// directory it re-reads; 0 when unknown. SecondsLeft is the estimate
	// that follows from it, -1 when unknown.
	Expected    int     `json:"expected"`
	SecondsLeft float64 `json:"secondsLeft"`
	Trigger     string  `json:"trigger"`
	Error       string  `json:"error,omitempty"`
	Summary     string  `json:"summary"`

	// Waiting is a run stopped for Exact's rate limit that goes on, as
	// the same run, when the limit resets; Waits and Waited count its
	// stops and their time so far.
	Waiting bool    `json:"waiting"`
	Waits   int     `json:"waits"`
	Waited  float64 `json:"waitedSeconds"`
}

func (s *Server) handleReplicatorStatus(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return
	}
	authorized := s.authorized(ctx, rep)
	story := rep.Story(authorized)
	st := statusJSON{State: string(rep.State), StateLabel: story.Label, Message: story.Message, AuthProblem: story.AuthProblem,
		Authorized: authorized, Division: rep.Division, RateWait: rateWaitText(rep, s.now())}
	runs, err := s.Store.ListSyncRuns(ctx, rep.ID, 1)
	if err != nil {
		s.log().Error("status", "err", err)
		http.Error(w, `{"error":"status unavailable"}`, http.StatusInternalServerError)
		return
	}
	// The page polls this every second while a sync runs: the directory
	// is counted once a run (its size before the run is what the estimate
	// needs), not at every poll.
	var runID int64
	if len(runs) > 0 {
		runID = runs[0].ID
	}
	if st.Entries, st.Unparseable, err = s.countsForRun(ctx, rep.ID, runID); err != nil {
		s.log().Error("status", "err", err)
		http.Error(w, `{"error":"status unavailable"}`, http.StatusInternalServerError)
		return
	}
	if len(runs) > 0 {
		st.Run = s.runStatus(runs[0], st.Entries)
		if st.Run.Waiting && st.RateWait != "" {
			st.Run.Summary = st.RateWait + " " + st.Run.Summary
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

func (s *Server) runStatus(run *roger.SyncRun, entries int) *runJSON {
	end := run.Ended
	if end.IsZero() {
		end = s.now()
	}
	rj := &runJSON{ID: run.ID, Running: run.Outcome == roger.OutcomeRunning, Waiting: run.Outcome == roger.OutcomeWaiting, Outcome: string(run.Outcome), Full: run.Full,
		Read: run.Read, Created: run.Created, Updated: run.Updated, Deleted: run.Deleted, APICalls: run.APICalls,
		Seconds: end.Sub(run.Started).Seconds(), SecondsLeft: -1, Error: run.Error, Waits: run.Waits, Waited: run.Waited.Seconds()}
	if rj.Seconds > 0 {
		rj.PerSec = float64(run.Read) / rj.Seconds
	}
	rj.Trigger = triggerLabel(run.Trigger)
	// A full pass has a known end: Exact's count taken when it began,
	// else the size of the directory it re-reads.
	switch {
	case run.Expected > 0:
		rj.Expected = run.Expected
	case run.Full && entries > 0:
		rj.Expected = entries
	}
	if rj.Running && rj.PerSec > 0 && rj.Expected > run.Read {
		rj.SecondsLeft = float64(rj.Expected-run.Read) / rj.PerSec
	}
	rj.Summary = runSummary(rj)
	return rj
}

func runSummary(rj *runJSON) string {
	kind := "Increment"
	switch {
	case rj.Trigger == triggerLabel(roger.TriggerFirst):
		kind = "First load"
	case rj.Full:
		kind = "Full sync"
	}
	switch {
	case rj.Running && rj.Expected > 0:
		msg := fmt.Sprintf("%s running: %d of %d records read (%d%%; %d new, %d changed, %d removed), %d API calls, %.0f records/s",
			kind, rj.Read, rj.Expected, min(100, rj.Read*100/rj.Expected), rj.Created, rj.Updated, rj.Deleted, rj.APICalls, rj.PerSec)
		if rj.SecondsLeft >= 0 {
			msg += fmt.Sprintf(", about %s left", humanDuration(time.Duration(rj.SecondsLeft*float64(time.Second))))
		}
		return msg + "."
	case rj.Running:
		msg := fmt.Sprintf("%s running: %d records read (%d new, %d changed, %d removed), %d API calls, %.0f records/s",
			kind, rj.Read, rj.Created, rj.Updated, rj.Deleted, rj.APICalls, rj.PerSec)
		if rj.SecondsLeft >= 0 {
			msg += fmt.Sprintf(", about %s left", humanDuration(time.Duration(rj.SecondsLeft*float64(time.Second))))
		}
		return msg + "."
	case rj.Waiting && rj.Expected > 0:
		return fmt.Sprintf("%s so far: %d of %d records read (%d new, %d changed, %d removed), %d API calls; it goes on from there.",
			kind, rj.Read, rj.Expected, rj.Created, rj.Updated, rj.Deleted, rj.APICalls)
	case rj.Waiting:
		return fmt.Sprintf("%s so far: %d records read (%d new, %d changed, %d removed), %d API calls; it goes on from there.",
			kind, rj.Read, rj.Created, rj.Updated, rj.Deleted, rj.APICalls)
	case rj.Outcome == string(roger.OutcomeOK):
		msg := fmt.Sprintf("%s finished: %d records read (%d new, %d changed, %d removed), %d API calls, in %s",
			kind, rj.Read, rj.Created, rj.Updated, rj.Deleted, rj.APICalls, humanDuration(time.Duration(rj.Seconds*float64(time.Second))))
		if rj.Waits > 0 {
			msg += fmt.Sprintf(", of which %s waiting for Exact's rate limit", humanDuration(time.Duration(rj.Waited*float64(time.Second))))
		}
		return msg + "."
	}
	return kind + " failed: " + rj.Error
}

// rateWaitText says until when rep waits for Exact's rate limit, "" when
// it does not wait at now, or cannot sync anyway (paused, for instance).
// The daily limit is named as such: its wait lasts until midnight UTC.
func rateWaitText(rep *roger.Replicator, now time.Time) string {
	if !rep.WaitingForRateLimit(now) || rep.CanSync() != nil {
		return ""
	}
	until := rep.RateWaitUntil.UTC()
	if rep.RateWaitDaily {
		return "Waiting for Exact's daily rate limit until " + until.Format("2006-01-02 15:04:05") +
			" UTC: this app has used today's API calls for this division, and the sync goes on when they reset."
	}
	return "Waiting for Exact's rate limit until " + until.Format("15:04:05") + " UTC."
}

// contactURLJSON is the live check of a Contact URL as it is typed.
type contactURLJSON struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Division int    `json:"division,omitempty"`
	// Card is the Exact card the link opens ("account card").
	Card    string `json:"card,omitempty"`
	Example string `json:"example,omitempty"`
	Record  string `json:"record,omitempty"`
	Note    string `json:"note,omitempty"`
}

// handleContactURLCheck checks a template as the replicator service
// would on Save, without storing it, and renders it for a real record
// when there is one (else for a made-up id, and says so).
func (s *Server) handleContactURLCheck(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return
	}
	out := contactURLJSON{}
	c, err := s.Replicators.CheckContactURL(r.Context(), sess.OrgID, rep.ID, r.URL.Query().Get("template"))
	var refused roger.Invalid
	switch {
	case errors.As(err, &refused):
		out.Error = refused[0].Message
	case err != nil:
		s.fail(w, r, sess, err)
		return
	default:
		out.OK, out.Division, out.Card, out.Note = true, c.Division, string(c.Card), c.Note
		out.Example, out.Record = s.exampleLink(r.Context(), rep, c.Template)
		if out.Example == "" && !s.authorized(r.Context(), rep) {
			out.Example = c.Render(madeUpID, madeUpID, c.Division)
			out.Note = strings.TrimSpace(out.Note + " This example has a made-up id; once the application is authorized, it is a real record of the division.")
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

// madeUpID stands in for a record's id in the example of a Contact URL
// before any record can be read.
const madeUpID = "00000000-0000-0000-0000-000000000001"

type runCounts struct{ entries, unparseable int }

// countsForRun counts a replicator's entries once per run (runID 0: no
// run yet) and remembers the answer for the polls that follow.
func (s *Server) countsForRun(ctx context.Context, replicatorID, runID int64) (int, int, error) {
	key := [2]int64{replicatorID, runID}
	s.countsMu.Lock()
	c, ok := s.counts[key]
	s.countsMu.Unlock()
	if ok {
		return c.entries, c.unparseable, nil
	}
	entries, unparseable, err := s.Store.CountEntries(ctx, replicatorID)
	if err != nil {
		return 0, 0, err
	}
	s.countsMu.Lock()
	if s.counts == nil || len(s.counts) > 1000 {
		s.counts = map[[2]int64]runCounts{}
	}
	s.counts[key] = runCounts{entries, unparseable}
	s.countsMu.Unlock()
	return entries, unparseable, nil
}
