package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// replicatorView is the replicator page: the guide's steps in order, the
// sync, its history and the numbers that did not parse.
type replicatorView struct {
	R *roger.Replicator
	// Webhooks says whether Exact's webhooks work, or why not.
	Webhooks         string
	RedirectURL      string
	SuggestedAppName string
	Hosts            []ExactHost
	HostLabel        string
	Authorized       bool
	CanAuthorize     bool
	// Story is the badge, the line under it and the last authorization's
	// problem, as the list and the status say them too.
	Story roger.Story
	// AppCenterURL is the App Center of the replicator's Exact host.
	AppCenterURL    string
	Entries         int
	Unparseable     int
	CallsToday      int
	Runs            []*roger.SyncRun
	Example         string
	ExampleName     string
	IntervalMinutes int

	// RateWait says until when the replicator waits for Exact's rate
	// limit; "" when it does not.
	RateWait string

	// Form values and errors when a form is shown again after a refusal:
	// at each field, and in the banner at the top.
	Cred     credentialsForm
	Settings settingsForm
	Errors   map[string]string
	Refused  []refusal

	// Cleaned are records whose text was changed to be stored, SetAside
	// those the database refused: the rest of the data-quality list.
	Cleaned  []badEntry
	SetAside []roger.SetAsideRecord

	// Quality are the data-quality report's groups with their counts.
	Quality []qualityGroup

	// Fresh is when the replicator's last successful run ended: the
	// directory is in step with Exact as of then (zero: never).
	Fresh time.Time
	// Run is the run going on (running or waiting for Exact's rate
	// limit), nil when none; the page shows its progress.
	Run *runJSON
	// Chart is the history of the last 30 days.
	Chart *historyChart
}

// AppCenterFor is the App Center of Exact host exactURL; the page's
// script points step 1's link at it when another country is chosen.
func (v *replicatorView) AppCenterFor(exactURL string) string { return appCenterURL(exactURL) }

// FreshAgo says how long ago the directory was last in step with Exact.
func (v *replicatorView) FreshAgo() string { return humanDuration(time.Since(v.Fresh)) + " ago" }

// Percent is how far the run going on is, 0 to 100.
func (v *replicatorView) Percent() int {
	if v.Run == nil || v.Run.Expected == 0 {
		return 0
	}
	return min(100, v.Run.Read*100/v.Run.Expected)
}

// HasQualityProblems reports whether any group of the data-quality
// report has a record.
func (v *replicatorView) HasQualityProblems() bool {
	for _, g := range v.Quality {
		if g.Count > 0 {
			return true
		}
	}
	return false
}

type credentialsForm struct {
	ExactURL string
	ClientID string
}

type settingsForm struct {
	ContactURL string
	Country    string
	Interval   string
}

type badEntry struct {
	Name    string
	Company string
	Link    string
	Notes   []string
}

// replicator loads the replicator in the path, of the session's
// organisation only: another organisation's id is "not found".
func (s *Server) replicator(w http.ResponseWriter, r *http.Request, sess *roger.Session) (*roger.Replicator, bool) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return nil, false
	}
	rep, err := s.Store.FindReplicator(r.Context(), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return nil, false
	}
	return rep, true
}

func (s *Server) authorized(ctx context.Context, rep *roger.Replicator) bool {
	tok, err := s.Store.TokenStore(rep.ID).LoadToken(ctx)
	return err == nil && tok != nil
}

func (s *Server) replicatorView(ctx context.Context, rep *roger.Replicator, sess *roger.Session) (*replicatorView, error) {
	v := &replicatorView{R: rep, RedirectURL: s.RedirectURL(rep.ID), Hosts: s.exactHosts(), Errors: map[string]string{},
		SuggestedAppName: "ROGER365.io – " + string(rep.Entity), IntervalMinutes: int(rep.Interval.Minutes()),
		Cred:     credentialsForm{ExactURL: rep.ExactURL, ClientID: rep.ClientID},
		Settings: settingsForm{ContactURL: rep.ContactURL, Country: rep.DefaultCountry, Interval: strconv.Itoa(int(rep.Interval.Minutes()))}}
	if v.Settings.ContactURL == "" {
		v.Settings.ContactURL = exampleTemplate(rep)
	}
	v.HostLabel = rep.ExactURL
	for _, h := range v.Hosts {
		if h.URL == rep.ExactURL {
			v.HostLabel = h.Label
		}
	}
	v.Authorized = s.authorized(ctx, rep)
	v.Story = rep.Story(v.Authorized)
	v.AppCenterURL = appCenterURL(rep.ExactURL)
	v.RateWait = rateWaitText(rep, s.now())
	v.Webhooks = webhookText(rep, s.now())
	v.CanAuthorize = rep.ClientID != "" && rep.ClientSecretHint != ""
	var err error
	if v.Entries, v.Unparseable, err = s.Store.CountEntries(ctx, rep.ID); err != nil {
		return nil, err
	}
	if calls, err := s.Store.APICallsSince(ctx, sess.OrgID, startOfDay(s.now())); err == nil {
		v.CallsToday = calls[rep.ID]
	}
	if v.Runs, err = s.Store.ListSyncRuns(ctx, rep.ID, 20); err != nil {
		return nil, err
	}
	for _, run := range v.Runs {
		if run.Outcome == roger.OutcomeOK {
			v.Fresh = run.Ended
			break
		}
	}
	if len(v.Runs) > 0 && (v.Runs[0].Outcome == roger.OutcomeRunning || v.Runs[0].Outcome == roger.OutcomeWaiting) {
		entries, _, err := s.countsForRun(ctx, rep.ID, v.Runs[0].ID)
		if err != nil {
			return nil, err
		}
		v.Run = s.runStatus(v.Runs[0], entries)
	}
	if v.Chart, err = s.replicatorChart(ctx, rep); err != nil {
		return nil, err
	}
	if v.Quality, err = s.qualityGroups(ctx, rep); err != nil {
		return nil, err
	}
	tmpl, _ := roger.ParseContactURL(rep.ContactURL)
	err = s.Store.ForEachEntry(ctx, roger.EntryFilter{OrgID: sess.OrgID, ReplicatorID: rep.ID, Cleaned: true, Limit: 100}, func(e *roger.Entry) error {
		b := badEntry{Name: e.DisplayName, Company: e.CompanyName, Notes: e.Cleaned}
		if tmpl != nil {
			b.Link = tmpl.Render(e.SourceID, e.CompanyID, rep.Division)
		}
		v.Cleaned = append(v.Cleaned, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v.SetAside, err = s.Store.ListSetAside(ctx, rep.ID, 100); err != nil {
		return nil, err
	}
	v.Example, v.ExampleName = s.exampleLink(ctx, rep, rep.ContactURL)
	return v, nil
}

// exampleTemplate is the Contact URL of Exact's card for the entity on
// the replicator's host, with the division when it is known: the admin
// only checks it.
func exampleTemplate(rep *roger.Replicator) string {
	if rep.ExactURL == "" {
		return ""
	}
	div := "<your division>"
	if rep.Division != 0 {
		div = strconv.Itoa(rep.Division)
	}
	if rep.Entity == roger.Contacts {
		return rep.ExactURL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=" + div
	}
	return rep.ExactURL + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=" + div
}

// exampleRecord is a record a Contact URL example is rendered for.
type exampleRecord struct {
	Name, SourceID, CompanyID string
	until                     time.Time
}

// exampleTTL bounds how long a record fetched from Exact for the example
// is reused: the check runs as the admin types, and Exact's calls are
// budgeted.
const exampleTTL = 10 * time.Minute

// exampleLink renders tmpl for a real record of the replicator: one in
// the directory, or before the first sync one read from Exact with the
// replicator's token. It returns "" when there is none to show.
func (s *Server) exampleLink(ctx context.Context, rep *roger.Replicator, tmpl string) (link, name string) {
	c, err := roger.ParseContactURL(tmpl)
	if err != nil {
		return "", ""
	}
	div := rep.Division
	if c.Division != 0 {
		div = c.Division
	}
	rec := s.exampleRecord(ctx, rep, div)
	if rec == nil {
		return "", ""
	}
	return c.Render(rec.SourceID, rec.CompanyID, div), rec.Name
}

func (s *Server) exampleRecord(ctx context.Context, rep *roger.Replicator, div int) *exampleRecord {
	var rec *exampleRecord
	_ = s.Store.ForEachEntry(ctx, roger.EntryFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID, Limit: 1}, func(e *roger.Entry) error {
		rec = &exampleRecord{Name: e.DisplayName, SourceID: e.SourceID, CompanyID: e.CompanyID}
		return nil
	})
	if rec != nil || div == 0 || !s.authorized(ctx, rep) {
		return rec
	}
	key := exampleKey{rep.ID, div}
	s.examplesMu.Lock()
	cached, ok := s.examples[key]
	s.examplesMu.Unlock()
	if ok && s.now().Before(cached.until) {
		return cached
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// The budget spent is the one of the division read.
	at := *rep
	at.Division = div
	client, err := s.Exact.Client(ctx, &at)
	if err != nil {
		return nil
	}
	if rep.Entity == roger.Contacts {
		if ct, err := client.FirstContact(ctx, div); err == nil && ct != nil {
			rec = &exampleRecord{Name: ct.FullName, SourceID: ct.ID, CompanyID: ct.Account}
		}
	} else if a, err := client.FirstAccount(ctx, div); err == nil && a != nil {
		rec = &exampleRecord{Name: a.Name, SourceID: a.ID, CompanyID: a.ID}
	}
	if rec == nil {
		return nil
	}
	rec.until = s.now().Add(exampleTTL)
	s.examplesMu.Lock()
	if s.examples == nil {
		s.examples = map[exampleKey]*exampleRecord{}
	}
	s.examples[key] = rec
	s.examplesMu.Unlock()
	return rec
}

type exampleKey struct {
	replicator int64
	division   int
}

func (s *Server) handleReplicatorShow(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return
	}
	v, err := s.replicatorView(r.Context(), rep, sess)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.renderReplicator(w, r, http.StatusOK, sess, v)
}

func (s *Server) renderReplicator(w http.ResponseWriter, r *http.Request, status int, sess *roger.Session, v *replicatorView) {
	// The Authorize form posts here and is redirected to Exact's login:
	// form-action must allow that one origin.
	if u, err := url.Parse(v.R.ExactURL); err == nil && u.Host != "" {
		csp := w.Header().Get("Content-Security-Policy")
		w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1))
	}
	msg := notice(r)
	// The page is shown again after the authorization window closes, with
	// the address that brought the notice: a notice the replicator has
	// moved past would contradict its state.
	if r.URL.Query().Get("done") == "credentials" && v.Authorized {
		msg = ""
	}
	s.render(w, status, "replicator", view{Title: v.R.Name, Session: sess, Nav: "replicators", Notice: msg, Data: v})
}

// appCenterURL is where the app for a replicator on host exactURL is
// registered: Exact's one App Center for its own hosts, the simulator's
// for a simulator.
func appCenterURL(exactURL string) string {
	for _, h := range DefaultExactHosts {
		if h.URL == exactURL {
			return "https://apps.exactonline.com/"
		}
	}
	if exactURL == "" {
		return "https://apps.exactonline.com/"
	}
	return strings.TrimSuffix(exactURL, "/") + "/appcenter"
}
