package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger"
)

// Notifications keeps an organisation's alert channels and their
// delivery log, and sends a test notice (cmd/roger joins the store and
// notify.Evaluator).
type Notifications interface {
	ListChannels(ctx context.Context, orgID int64) ([]*roger.Channel, error)
	CreateChannel(ctx context.Context, c *roger.Channel) error
	DeleteChannel(ctx context.Context, orgID, id int64) error
	ListDeliveries(ctx context.Context, orgID int64, limit int) ([]roger.DeliveryAttempt, error)
	SendTest(ctx context.Context, org *roger.Organization, channelID int64) (*roger.Notification, error)
}

type notificationsView struct {
	Channels []*roger.Channel
	Log      []roger.DeliveryAttempt
	// Form is the channel being added, shown again with Errors after a
	// refusal.
	Form   channelForm
	Errors roger.Invalid
	// Tested is the result of "Send a test": TestedOK, or TestError.
	Tested    string
	TestedOK  bool
	TestError string
}

type channelForm struct {
	Kind, Name, Email, URL string
}

// Error is the refusal of field, "" when it was accepted.
func (v notificationsView) Error(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, sess *roger.Session, v notificationsView) {
	if s.Notifications == nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "Notifications are not available in this instance."))
		return
	}
	ctx := r.Context()
	var err error
	if v.Channels, err = s.Notifications.ListChannels(ctx, sess.OrgID); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if v.Log, err = s.Notifications.ListDeliveries(ctx, sess.OrgID, 50); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if v.Form.Kind == "" {
		v.Form.Kind = string(roger.ChannelEmail)
	}
	s.render(w, status, "notifications", view{Title: "Notifications", Session: sess, Nav: "notifications", Notice: notice(r), Data: v})
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	v := notificationsView{}
	var res testResult
	if msg := s.takeFlash(r.Context(), sess, "channel-test"); msg != nil && json.Unmarshal(msg, &res) == nil {
		v.Tested, v.TestedOK, v.TestError = res.Channel, res.OK, res.Error
	}
	s.renderNotifications(w, r, http.StatusOK, sess, v)
}

// handleChannelCreate adds a channel: validate, store, redirect; a
// refusal shows the form again with what to change at the field.
func (s *Server) handleChannelCreate(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	if s.Notifications == nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "Notifications are not available in this instance."))
		return
	}
	f := channelForm{Kind: r.PostFormValue("kind"), Name: strings.TrimSpace(r.PostFormValue("name")), Email: r.PostFormValue("email"), URL: strings.TrimSpace(r.PostFormValue("url"))}
	ch := &roger.Channel{OrgID: sess.OrgID, Kind: roger.ChannelKind(f.Kind), Name: f.Name}
	switch ch.Kind {
	case roger.ChannelEmail:
		for _, a := range strings.Split(f.Email, ",") {
			if a = strings.TrimSpace(a); a != "" {
				ch.Recipients = append(ch.Recipients, a)
			}
		}
	case roger.ChannelTeams, roger.ChannelWebhook:
		ch.URL, ch.Secret = f.URL, r.PostFormValue("secret")
	}
	if err := ch.Validate(); err != nil {
		var fields roger.Invalid
		if !errors.As(err, &fields) {
			s.fail(w, r, sess, err)
			return
		}
		// The URL is not shown again: it is the channel's credential.
		f.URL = ""
		s.renderNotifications(w, r, http.StatusBadRequest, sess, notificationsView{Form: f, Errors: fields})
		return
	}
	if err := s.Notifications.CreateChannel(r.Context(), ch); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "channel.create", "channel/"+strconv.FormatInt(ch.ID, 10), string(ch.Kind)+" "+ch.Name); err != nil {
		s.log().Error("audit", "err", err)
	}
	http.Redirect(w, r, "/notifications?done=channel", http.StatusSeeOther)
}

// handleChannelTest sends a test notice and shows the result on the page.
func (s *Server) handleChannelTest(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	if s.Notifications == nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "Notifications are not available in this instance."))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "There is no channel %q.", r.PathValue("id")))
		return
	}
	org, err := s.Store.FindOrganizationByID(r.Context(), sess.OrgID)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	n, err := s.Notifications.SendTest(r.Context(), org, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	res := testResult{Channel: strconv.FormatInt(id, 10), OK: n.Status == roger.DeliverySent}
	if !res.OK {
		if log, err := s.Notifications.ListDeliveries(r.Context(), sess.OrgID, 1); err == nil && len(log) == 1 {
			res.Error = log[0].Error
		}
	}
	// The result is shown on the page this redirects to, so a reload
	// of it sends no second test.
	msg, _ := json.Marshal(res)
	if err := s.flash(r.Context(), sess, "channel-test", msg); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/notifications#test-result", http.StatusSeeOther)
}

// testResult is the outcome of "Send a test" on its way to the page.
type testResult struct {
	Channel string `json:"c"`
	OK      bool   `json:"ok"`
	Error   string `json:"e,omitempty"`
}

// handleChannelDelete removes a channel: it is told nothing more.
func (s *Server) handleChannelDelete(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	if s.Notifications == nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "Notifications are not available in this instance."))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "There is no channel %q.", r.PathValue("id")))
		return
	}
	if err := s.Notifications.DeleteChannel(r.Context(), sess.OrgID, id); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "channel.delete", "channel/"+strconv.FormatInt(id, 10), ""); err != nil {
		s.log().Error("audit", "err", err)
	}
	http.Redirect(w, r, "/notifications?done=removed", http.StatusSeeOther)
}
