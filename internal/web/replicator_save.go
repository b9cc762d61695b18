package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// The replicator's forms go form → validate → act → redirect: a POST
// reads its form and hands it to the replicator service, which validates
// and acts; only a refused form builds the replicator page again, with
// the refusals in a banner at the top and at their fields.

// handleReplicatorCredentials is step 3 of the guide: the app's Client ID
// and Client Secret (and the Exact host). The secret is write-only: an
// empty field keeps the stored one.
func (s *Server) handleReplicatorCredentials(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	form := credentialsForm{ExactURL: r.PostFormValue("exact_url"), ClientID: roger.NormalizeClientID(r.PostFormValue("client_id"))}
	in := roger.CredentialsInput{ExactURL: form.ExactURL, ClientID: form.ClientID, ClientSecret: r.PostFormValue("client_secret"),
		WebhookSecret: r.PostFormValue("webhook_secret")}
	var refused roger.Invalid
	// The portal offers its own list of hosts; one not on it is not
	// handed on, so the service refuses it as well and acts on nothing.
	if _, err := s.parseHost(form.ExactURL); err != nil {
		refused.Add("exact_url", roger.ErrorMessage(err))
		in.ExactURL = ""
	}
	rep, err := s.Replicators.SetCredentials(s.actor(r, sess), sess.OrgID, id, in)
	if err != nil {
		s.refuse(w, r, sess, id, refused, err, func(v *replicatorView) { v.Cred = form })
		return
	}
	http.Redirect(w, r, replicatorPath(rep)+"?done=credentials#authorize", http.StatusSeeOther)
}

// handleReplicatorSettings is step 5 of the guide: Contact URL, Country
// Code and interval. Saving a complete, authorized replicator makes it
// active and starts the first sync.
func (s *Server) handleReplicatorSettings(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, ok := s.replicatorID(w, r, sess)
	if !ok {
		return
	}
	form := settingsForm{ContactURL: strings.TrimSpace(r.PostFormValue("contact_url")), Country: strings.TrimSpace(r.PostFormValue("country")),
		Interval: strings.TrimSpace(r.PostFormValue("interval"))}
	in := roger.SettingsInput{ContactURL: form.ContactURL, Country: form.Country}
	var refused roger.Invalid
	if minutes, err := strconv.Atoi(form.Interval); err != nil {
		// An interval of 0 is refused by the service too.
		refused.Add("interval", "Enter the minutes between syncs as a whole number, for example 5.")
	} else {
		in.Interval = time.Duration(minutes) * time.Minute
	}
	rep, activated, err := s.Replicators.SaveSettings(s.actor(r, sess), sess.OrgID, id, in)
	if err != nil {
		s.refuse(w, r, sess, id, refused, err, func(v *replicatorView) { v.Settings = form })
		return
	}
	done := "settings"
	if activated {
		done = "active"
	}
	http.Redirect(w, r, replicatorPath(rep)+"?done="+done, http.StatusSeeOther)
}

// actor is the request's context naming the signed-in admin, whom the
// service writes into the audit log.
func (s *Server) actor(r *http.Request, sess *roger.Session) context.Context {
	return roger.NewContextWithActor(r.Context(), sess.Email)
}

// refuse answers a form the service did not act on: refusals of fields
// show the replicator page again with them (the portal's own first), and
// any other error is the error page.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, sess *roger.Session, id int64, refused roger.Invalid, err error, keep func(*replicatorView)) {
	var fields roger.Invalid
	if !errors.As(err, &fields) {
		s.fail(w, r, sess, err)
		return
	}
	for _, f := range fields {
		refused.Add(f.Field, f.Message)
	}
	rep, err := s.Store.FindReplicator(r.Context(), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	v, err := s.replicatorView(r.Context(), rep, sess)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	keep(v)
	v.Errors, v.Refused = refusals(refused)
	s.renderReplicator(w, r, http.StatusBadRequest, sess, v)
}

// ExactClients makes Exact clients for a replicator with its stored token,
// spending the process's shared rate budget (*replicators.Service).
type ExactClients interface {
	Client(ctx context.Context, rep *roger.Replicator) (*exact.Client, error)
}
