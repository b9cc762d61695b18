package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/phone"
)

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// handleReplicatorCredentials is step 3 of the guide: the app's Client ID
// and Client Secret (and the Exact host). The secret is write-only: an
// empty field keeps the stored one.
func (s *Server) handleReplicatorCredentials(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	rep, v, ok := s.replicatorWithView(w, r, sess)
	if !ok {
		return
	}
	form := credentialsForm{ExactURL: r.PostFormValue("exact_url"), ClientID: roger.NormalizeClientID(r.PostFormValue("client_id"))}
	secret := strings.TrimSpace(r.PostFormValue("client_secret"))
	v.Cred = form
	host, err := s.parseHost(form.ExactURL)
	if err != nil {
		v.Errors["exact_url"] = roger.ErrorMessage(err)
	}
	switch {
	case form.ClientID == "":
		v.Errors["client_id"] = "Paste the Client ID of the app you registered in the Exact App Center."
	case !guidPattern.MatchString(form.ClientID):
		v.Errors["client_id"] = "A Client ID looks like 2b1f0c3e-5a4d-4c3b-9e8f-1a2b3c4d5e6f: copy it from the app's page in the Exact App Center."
	default:
		if other, err := s.Store.FindReplicatorByClientID(ctx, form.ClientID); err == nil && other.ID != rep.ID {
			v.Errors["client_id"] = clientIDInUse(other, sess)
		}
	}
	if secret == "" && rep.ClientSecretHint == "" {
		v.Errors["client_secret"] = "Paste the Client Secret of that app."
	} else if strings.ContainsAny(secret, " \t\r\n") {
		v.Errors["client_secret"] = "A Client Secret has no spaces: copy it again from the Exact App Center."
	}
	if len(v.Errors) > 0 {
		s.renderReplicator(w, r, http.StatusBadRequest, sess, v)
		return
	}
	// A token belongs to one app on one host: a new app or host needs a
	// new authorization.
	reauthorize := rep.ClientID != form.ClientID || rep.ExactURL != host
	rep.ClientID, rep.ExactURL = form.ClientID, host
	if reauthorize {
		rep.State, rep.StateMessage = roger.StateAwaitingAuthorization, ""
	}
	if err := s.Store.UpdateReplicator(ctx, rep); err != nil {
		if roger.ErrorCodeOf(err) == roger.ECONFLICT {
			v.Errors["client_id"] = roger.ErrorMessage(err)
			s.renderReplicator(w, r, http.StatusConflict, sess, v)
			return
		}
		s.fail(w, r, sess, err)
		return
	}
	if secret != "" {
		if err := s.Store.SaveClientSecret(ctx, rep.ID, secret); err != nil {
			s.fail(w, r, sess, err)
			return
		}
	}
	if reauthorize {
		if err := s.Store.ClearToken(ctx, rep.ID); err != nil {
			s.fail(w, r, sess, err)
			return
		}
	}
	detail := "Client ID " + rep.ClientID + ", host " + rep.ExactURL
	if secret != "" {
		detail += ", new Client Secret"
	}
	s.audit(r, sess, "replicator.credentials", rep, detail)
	http.Redirect(w, r, "/replicators/"+strconv.FormatInt(rep.ID, 10)+"?done=credentials#authorize", http.StatusSeeOther)
}

// clientIDInUse says which replicator has the Client ID: by name within
// the organisation, without naming another organisation's.
func clientIDInUse(other *roger.Replicator, sess *roger.Session) string {
	where := fmt.Sprintf("by replicator “%s”", other.Name)
	if other.OrgID != sess.OrgID {
		where = "by a replicator of another organisation on this roger"
	}
	return "This Client ID is already used " + where + ". An Exact Online app can serve only one replicator: register another app in the Exact App Center (for example “… – accounts” and “… – contacts”) and use its Client ID."
}

// handleReplicatorSettings is step 5 of the guide: Contact URL, Country
// Code and interval. Saving a complete, authorized replicator makes it
// active and starts the first sync.
func (s *Server) handleReplicatorSettings(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	rep, v, ok := s.replicatorWithView(w, r, sess)
	if !ok {
		return
	}
	form := settingsForm{ContactURL: strings.TrimSpace(r.PostFormValue("contact_url")), Country: strings.TrimSpace(r.PostFormValue("country")),
		Interval: strings.TrimSpace(r.PostFormValue("interval"))}
	v.Settings = form
	next := *rep
	tmpl, err := roger.ParseContactURL(form.ContactURL)
	if err != nil {
		v.Errors["contact_url"] = strings.TrimPrefix(roger.ErrorMessage(err), "Contact URL: ")
	} else {
		next.ContactURL = tmpl.Template
		if tmpl.Division != 0 {
			next.Division = tmpl.Division
		}
		if next.Division == 0 {
			v.Errors["contact_url"] = "Add _Division_= with your division number to the link: open a relation in Exact Online and copy the number after _Division_= from the address bar."
		}
		if h, err := roger.ParseExactURL(tmpl.Host); err == nil && !strings.HasPrefix(h, "http://") && h != rep.ExactURL && !isLoopback(rep.ExactURL) {
			v.Errors["contact_url"] = fmt.Sprintf("The link points to %s, but the replicator reads from %s: use the address of your own Exact Online (or change the country under App credentials).", h, rep.ExactURL)
		}
	}
	if next.DefaultCountry, err = phone.ParseCountry(form.Country); err != nil {
		v.Errors["country"] = roger.ErrorMessage(err)
	}
	minutes, err := strconv.Atoi(form.Interval)
	switch {
	case err != nil:
		v.Errors["interval"] = "Enter the minutes between syncs as a whole number, for example 5."
	case minutes < 1 || minutes > 24*60:
		v.Errors["interval"] = "Sync between once a minute and once a day (1 to 1440 minutes)."
	default:
		next.Interval = time.Duration(minutes) * time.Minute
	}
	authorized := s.authorized(ctx, rep)
	if len(v.Errors) == 0 && authorized && next.Division != rep.Division {
		if msg := s.checkDivision(ctx, &next); msg != "" {
			v.Errors["contact_url"] = msg
		}
	}
	if len(v.Errors) > 0 {
		s.renderReplicator(w, r, http.StatusBadRequest, sess, v)
		return
	}
	done := "settings"
	if authorized && (next.State == roger.StateAwaitingAuthorization || next.State == roger.StateDraft) {
		next.State, next.StateMessage, next.NextSyncAt = roger.StateActive, "", s.now()
		done = "active"
	}
	if err := s.Store.UpdateReplicator(ctx, &next); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	// Another division is another data set: the next sync reads it in
	// full and removes what came from the old one.
	if next.Division != rep.Division && (rep.Cursor != 0 || rep.FullSync) {
		if _, err := s.Store.StartFullSync(ctx, rep.ID, 0); err != nil {
			s.fail(w, r, sess, err)
			return
		}
	}
	if done == "active" && s.Wake != nil {
		s.Wake()
	}
	s.audit(r, sess, "replicator.settings", &next, fmt.Sprintf("division %d, country %s, every %d min, Contact URL %s", next.Division, next.DefaultCountry, minutes, next.ContactURL))
	http.Redirect(w, r, "/replicators/"+strconv.FormatInt(rep.ID, 10)+"?done="+done, http.StatusSeeOther)
}

// isLoopback reports whether a base URL is on this machine (the
// simulator).
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && roger.IsLoopbackHost(u.Hostname())
}

// checkDivision confirms that the authorized Exact user can open the
// replicator's division, and returns what to do when not ("" when fine or
// when Exact cannot be asked right now: the sync checks again).
func (s *Server) checkDivision(ctx context.Context, rep *roger.Replicator) string {
	// The admin is waiting for the page; an Exact that does not answer
	// soon is asked again by the sync.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := s.exactClient(ctx, rep)
	if err != nil {
		return ""
	}
	me, err := client.Me(ctx)
	if err != nil {
		return ""
	}
	divs, err := client.Divisions(ctx, me.CurrentDivision)
	if err != nil {
		return ""
	}
	codes := make([]int, 0, len(divs))
	for _, d := range divs {
		codes = append(codes, d.Code)
	}
	if slices.Contains(codes, rep.Division) {
		return ""
	}
	list := make([]string, len(codes))
	for i, c := range codes {
		list[i] = strconv.Itoa(c)
	}
	return fmt.Sprintf("%s, who authorized this replicator, cannot open division %d. Divisions they can open: %s. Correct _Division_= in the link, or authorize as a user of division %d.",
		me.FullName, rep.Division, strings.Join(list, ", "), rep.Division)
}

// exactClient is a client with the replicator's stored token.
func (s *Server) exactClient(ctx context.Context, rep *roger.Replicator) (*exact.Client, error) {
	secret, err := s.Store.ClientSecret(ctx, rep.ID)
	if err != nil {
		return nil, err
	}
	cfg := exact.Config{BaseURL: rep.ExactURL, ClientID: rep.ClientID, ClientSecret: secret, RedirectURL: s.RedirectURL(rep.ID), HTTPClient: s.HTTPClient, Clock: s.Clock}
	return exact.NewClient(cfg, exact.NewTokenSource(cfg, s.Store.TokenStore(rep.ID)), exact.NewBudgetRegistry(s.Clock).Get(rep.ClientID, rep.Division)), nil
}

// replicatorWithView loads the replicator in the path and its page, for a
// form that may have to be shown again with its refusals.
func (s *Server) replicatorWithView(w http.ResponseWriter, r *http.Request, sess *roger.Session) (*roger.Replicator, *replicatorView, bool) {
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return nil, nil, false
	}
	v, err := s.replicatorView(r.Context(), rep, sess)
	if err != nil {
		s.fail(w, r, sess, err)
		return nil, nil, false
	}
	return rep, v, true
}
