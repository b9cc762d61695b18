package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/quality"
)

// auditPage is how many events one page of the audit log shows.
const auditPage = 50

// auditWords says each kind of audit event in words: a label for the
// filter and a sentence, where {who} is the actor and {on} what it was
// done to. Kinds missing here are shown by their code.
var auditWords = map[string]struct{ label, sentence string }{
	"replicator.create":             {"Replicator created", "{who} created replicator {on}"},
	"replicator.credentials":        {"Client ID and Secret saved", "{who} saved the Client ID and Client Secret of replicator {on}"},
	"replicator.authorize-start":    {"Authorization started", "{who} started authorizing replicator {on} in Exact Online"},
	"replicator.authorize":          {"Replicator authorized", "{who} authorized replicator {on}"},
	"replicator.authorize-failed":   {"Authorization failed", "Authorizing replicator {on} by {who} failed"},
	"replicator.settings":           {"Settings saved", "{who} saved the settings of replicator {on}"},
	"replicator.sync":               {"Sync requested", "{who} asked replicator {on} to sync now"},
	"replicator.pause":              {"Replicator paused", "{who} paused replicator {on}"},
	"replicator.resume":             {"Replicator resumed", "{who} resumed replicator {on}"},
	"replicator.delete":             {"Replicator deleted", "{who} deleted replicator {on}"},
	"admin.sign-in":                 {"Signed in", "{who} signed in"},
	"admin.sign-in-failed":          {"Sign-in failed", "A sign-in as {on} failed"},
	"admin.sign-out":                {"Signed out", "{who} signed out"},
	"admin.create":                  {"Admin added", "{who} added admin {on}"},
	"admin.create-refused":          {"Admin refused", "{who} could not add admin {on}"},
	"admin.remove":                  {"Admin removed", "{who} removed admin {on}"},
	"admin.role":                    {"Role changed", "{who} changed the role of {on}"},
	"admin.password-reset":          {"Password reset link made", "{who} made a password reset link for {on}"},
	"admin.password-set":            {"Password set with a link", "{who} chose a new password with a reset link"},
	"admin.password-cli":            {"Password set on the command line", "{who} set a new password for {on}"},
	"admin.password-change":         {"Password changed", "{who} changed their password"},
	"admin.password-change-refused": {"Password change refused", "{who} gave a wrong current password when changing their password"},
	"apikey.create":                 {"API key made", "{who} made API key {on}"},
	"apikey.revoke":                 {"API key revoked", "{who} revoked API key {on}"},
	"poplink.renew":                 {"Screen-pop link renewed", "{who} made a new screen-pop link"},
	"channel.create":                {"Channel added", "{who} added notification channel {on}"},
	"channel.delete":                {"Channel removed", "{who} removed notification channel {on}"},
	"notification sent":             {"Notice sent", "roger sent {on}"},
	"notification failed":           {"Notice failed", "roger could not send {on}"},
}

// auditKinds are the kinds the "what" filter offers, by label.
type auditKind struct{ Action, Label string }

func auditKinds() []auditKind {
	var out []auditKind
	for action, w := range auditWords {
		out = append(out, auditKind{action, w.label})
	}
	slices.SortFunc(out, func(a, b auditKind) int { return strings.Compare(a.Label, b.Label) })
	return out
}

// auditSubject is what an event was done to, in words: the name of a
// replicator ("replicator/7 (Exact – contacts)"), an admin's address.
func auditSubject(target string) string {
	kind, rest, ok := strings.Cut(target, "/")
	if !ok {
		return target
	}
	switch kind {
	case "replicator":
		if _, name, ok := strings.Cut(rest, " ("); ok {
			return strings.TrimSuffix(name, ")")
		}
		return "#" + rest
	case "apikey", "channel":
		return "#" + rest
	}
	return rest
}

// auditSentence is an event in words.
func auditSentence(e roger.AuditEvent) string {
	w, ok := auditWords[e.Action]
	if !ok {
		return e.Actor + ": " + e.Action + " " + e.Target
	}
	return strings.NewReplacer("{who}", e.Actor, "{on}", auditSubject(e.Target)).Replace(w.sentence)
}

type auditRow struct {
	roger.AuditEvent
	Sentence string
}

type auditView struct {
	Rows        []auditRow
	Actors      []string
	Kinds       []auditKind
	Replicators []*roger.Replicator
	// The filter as given: who, what, on (a replicator's id), from and
	// to (dates, YYYY-MM-DD, UTC).
	Who, What, On, From, To string
	Error                   string
	// Older pages back; CSV downloads what the filter selects.
	Older, Newest, CSV string
}

// auditFilter reads the log's filter from the query.
func auditFilter(q url.Values, orgID int64) (roger.AuditFilter, string) {
	f := roger.AuditFilter{OrgID: orgID, Actor: q.Get("who"), Action: q.Get("what")}
	if on := q.Get("on"); on != "" {
		if _, err := strconv.ParseInt(on, 10, 64); err != nil {
			return f, "Choose a replicator from the list."
		}
		f.Target = "replicator/" + on
	}
	for _, d := range []struct {
		field string
		into  *int64
		add   int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		v := q.Get(d.field)
		if v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return f, "Give dates as YYYY-MM-DD, such as 2026-06-25."
		}
		*d.into = t.AddDate(0, 0, d.add).UnixMilli()
	}
	if before, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && before > 0 {
		f.Before = before
	}
	return f, ""
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	q := r.URL.Query()
	v := auditView{Who: q.Get("who"), What: q.Get("what"), On: q.Get("on"), From: q.Get("from"), To: q.Get("to"), Kinds: auditKinds()}
	f, problem := auditFilter(q, sess.OrgID)
	status := http.StatusOK
	if problem != "" {
		v.Error, status = problem, http.StatusBadRequest
		f = roger.AuditFilter{OrgID: sess.OrgID}
	}
	f.Limit = auditPage + 1
	events, err := s.Store.FindAudit(ctx, f)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if v.Actors, err = s.Store.AuditActors(ctx, sess.OrgID); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if v.Replicators, err = s.Store.ListReplicators(ctx, sess.OrgID); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	keep := url.Values{}
	for _, k := range []string{"who", "what", "on", "from", "to"} {
		if q.Get(k) != "" && problem == "" {
			keep.Set(k, q.Get(k))
		}
	}
	if len(events) > auditPage {
		events = events[:auditPage]
		older := url.Values{}
		for k, vs := range keep {
			older[k] = vs
		}
		older.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		v.Older = "/audit?" + older.Encode()
	}
	if f.Before > 0 {
		v.Newest = "/audit?" + keep.Encode()
	}
	v.CSV = "/audit.csv?" + keep.Encode()
	for _, e := range events {
		v.Rows = append(v.Rows, auditRow{AuditEvent: e, Sentence: auditSentence(e)})
	}
	s.render(w, status, "audit", view{Title: "Audit log", Session: sess, Nav: "audit", Data: v})
}

// handleAuditCSV downloads what the log's filter selects, every page of
// it. Cells that a spreadsheet would run as a formula are defused as in
// the data quality download.
func (s *Server) handleAuditCSV(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	f, problem := auditFilter(r.URL.Query(), sess.OrgID)
	if problem != "" {
		s.fail(w, r, sess, roger.Errorf(roger.EINVALID, "%s", problem))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-log-`+s.now().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	c := csv.NewWriter(w)
	_ = c.Write([]string{"When (UTC)", "Who", "What happened", "Event", "On", "Details"})
	f.Limit = 1000
	for {
		events, err := s.Store.FindAudit(r.Context(), f)
		if err != nil {
			// The header is out; a cut-short file is all that can be
			// said now.
			s.log().Error("audit CSV", "err", err)
			break
		}
		for _, e := range events {
			row := []string{time.UnixMilli(e.At).UTC().Format("2006-01-02 15:04:05"), e.Actor, auditSentence(e), e.Action, e.Target, e.Detail}
			for i := range row {
				row[i] = quality.Cell(row[i])
			}
			_ = c.Write(row)
		}
		if len(events) < f.Limit {
			break
		}
		f.Before = events[len(events)-1].ID
	}
	c.Flush()
}
