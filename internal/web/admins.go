package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/password"
)

type adminsView struct {
	Admins []*roger.User
	Email  string
	Error  string
	// Created and Password are shown once, right after an admin is added.
	Created  string
	Password string
}

func (s *Server) handleAdmins(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	s.renderAdmins(w, r, http.StatusOK, sess, adminsView{})
}

func (s *Server) renderAdmins(w http.ResponseWriter, r *http.Request, status int, sess *roger.Session, v adminsView) {
	list, err := s.Store.ListUsers(r.Context(), sess.OrgID)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	v.Admins = list
	s.render(w, status, "admins", view{Title: "Admins", Session: sess, Nav: "admins", Data: v})
}

// handleAdminCreate adds an admin to the signed-in admin's organisation
// with a generated password, shown once for the new admin to receive.
func (s *Server) handleAdminCreate(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " <>\"") {
		s.renderAdmins(w, r, http.StatusBadRequest, sess, adminsView{Email: email, Error: "Enter the new admin's e-mail address, such as anna@example.nl."})
		return
	}
	pw := password.Generate()
	hash, err := s.Hashing.Hash(r.Context(), pw, s.passwordParams())
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", strconv.Itoa(int(busyRetry.Seconds())))
		s.renderAdmins(w, r, http.StatusTooManyRequests, sess, adminsView{Email: email,
			Error: "Many passwords are being checked right now. Try again in " + waitText(busyRetry) + "."})
		return
	}
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	u := &roger.User{OrgID: sess.OrgID, Email: email, PasswordHash: hash}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		if code := roger.ErrorCodeOf(err); code == roger.ECONFLICT || code == roger.EINVALID {
			// A refused address is kept in the audit log: trying addresses
			// one by one leaves a trail the organisation's admins can see.
			if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "admin.create-refused", "admin/"+email, roger.ErrorMessage(err)); err != nil {
				s.log().Error("audit", "err", err)
			}
			s.renderAdmins(w, r, statusOf(err), sess, adminsView{Email: email, Error: roger.ErrorMessage(err)})
			return
		}
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "admin.create", "admin/"+u.Email, ""); err != nil {
		s.log().Error("audit", "err", err)
	}
	s.renderAdmins(w, r, http.StatusOK, sess, adminsView{Created: u.Email, Password: pw})
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	events, err := s.Store.ListAudit(r.Context(), sess.OrgID, 200)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.render(w, http.StatusOK, "audit", view{Title: "Audit log", Session: sess, Nav: "audit", Data: events})
}
