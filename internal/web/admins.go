package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/password"
)

// resetLinkTTL is how long a password reset link works.
const resetLinkTTL = 24 * time.Hour

// minPasswordLength is the shortest password an admin may choose.
const minPasswordLength = 12

type adminsView struct {
	Admins []*roger.User
	Roles  []roger.Role
	Email  string
	Role   roger.Role
	Error  string
	// Me is the signed-in admin; CanManage says whether they may manage
	// the others.
	Me        int64
	CanManage bool
	// Created and Password are shown once, right after an admin is added.
	Created  string
	Password string
	// ResetFor and ResetLink are shown once, right after a reset link
	// was made.
	ResetFor  string
	ResetLink string
	// PasswordError refuses a change of one's own password.
	PasswordError string
}

// shownOnce is what the admins page shows once after a redirect, kept
// sealed in a flash.
type shownOnce struct {
	Email    string `json:"e"`
	Password string `json:"p,omitempty"`
	Link     string `json:"l,omitempty"`
}

func (s *Server) handleAdmins(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	v := adminsView{}
	ctx := r.Context()
	var once shownOnce
	if msg := s.takeFlash(ctx, sess, "admin-created"); json.Unmarshal(msg, &once) == nil && msg != nil {
		v.Created, v.Password = once.Email, once.Password
	}
	if msg := s.takeFlash(ctx, sess, "reset-link"); json.Unmarshal(msg, &once) == nil && msg != nil {
		v.ResetFor, v.ResetLink = once.Email, once.Link
	}
	s.renderAdmins(w, r, http.StatusOK, sess, v)
}

func (s *Server) renderAdmins(w http.ResponseWriter, r *http.Request, status int, sess *roger.Session, v adminsView) {
	list, err := s.Store.ListUsers(r.Context(), sess.OrgID)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	v.Admins, v.Roles, v.Me, v.CanManage = list, roger.Roles, sess.UserID, sess.Role.CanManageAdmins()
	if v.Role == "" {
		v.Role = roger.RoleAdmin
	}
	s.render(w, status, "admins", view{Title: "Admins", Session: sess, Nav: "admins", Notice: adminNotices[r.URL.Query().Get("done")], Data: v})
}

// adminNotices are the confirmations of the admins page; a code in the
// URL picks one.
var adminNotices = map[string]string{
	"admin":    "Admin added.",
	"removed":  "Admin removed: their sessions have ended.",
	"role":     "Role changed.",
	"reset":    "Password reset link made.",
	"password": "Your password is changed. Your other sessions have ended.",
}

func (s *Server) audit(ctx context.Context, sess *roger.Session, action, target, detail string) {
	if err := s.Store.AppendAudit(context.WithoutCancel(ctx), sess.OrgID, sess.Email, action, target, detail); err != nil {
		s.log().Error("audit", "action", action, "err", err)
	}
}

// hashPassword hashes pw behind the hashing gate; a busy gate is an
// EUNAVAILABLE that says when to try again.
func (s *Server) hashPassword(ctx context.Context, w http.ResponseWriter, pw string) (string, error) {
	hash, err := s.Hashing.Hash(ctx, pw, s.passwordParams())
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", strconv.Itoa(int(busyRetry.Seconds())))
		return "", roger.Errorf(roger.EUNAVAILABLE, "Many passwords are being checked right now. Try again in %s.", waitText(busyRetry))
	}
	return hash, err
}

// handleAdminCreate adds an admin to the signed-in admin's organisation
// with a generated password, shown once on the page it redirects to.
func (s *Server) handleAdminCreate(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	role := roger.RoleAdmin
	if raw := r.PostFormValue("role"); raw != "" {
		var err error
		if role, err = roger.ParseRole(raw); err != nil {
			s.renderAdmins(w, r, http.StatusBadRequest, sess, adminsView{Email: email, Error: roger.ErrorMessage(err)})
			return
		}
	}
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " <>\"") {
		s.renderAdmins(w, r, http.StatusBadRequest, sess, adminsView{Email: email, Role: role, Error: "Enter the new admin's e-mail address, such as anna@example.nl."})
		return
	}
	pw := password.Generate()
	hash, err := s.hashPassword(r.Context(), w, pw)
	if roger.ErrorCodeOf(err) == roger.EUNAVAILABLE {
		s.renderAdmins(w, r, http.StatusTooManyRequests, sess, adminsView{Email: email, Role: role, Error: roger.ErrorMessage(err)})
		return
	}
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	u := &roger.User{OrgID: sess.OrgID, Email: email, PasswordHash: hash, Role: role}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		if code := roger.ErrorCodeOf(err); code == roger.ECONFLICT || code == roger.EINVALID {
			// A refused address is kept in the audit log: trying addresses
			// one by one leaves a trail the organisation's admins can see.
			s.audit(r.Context(), sess, "admin.create-refused", "admin/"+email, roger.ErrorMessage(err))
			s.renderAdmins(w, r, statusOf(err), sess, adminsView{Email: email, Role: role, Error: roger.ErrorMessage(err)})
			return
		}
		s.fail(w, r, sess, err)
		return
	}
	s.audit(r.Context(), sess, "admin.create", "admin/"+u.Email, "role "+string(u.Role))
	msg, _ := json.Marshal(shownOnce{Email: u.Email, Password: pw})
	if err := s.flash(r.Context(), sess, "admin-created", msg); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/admins?done=admin#new-admin", http.StatusSeeOther)
}

// otherAdmin reads the {id} of an admin route: an admin of the session's
// organisation other than the signed-in one.
func (s *Server) otherAdmin(w http.ResponseWriter, r *http.Request, sess *roger.Session, self string) (*roger.User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "There is no admin %q.", r.PathValue("id")))
		return nil, false
	}
	if id == sess.UserID && self != "" {
		s.fail(w, r, sess, roger.Errorf(roger.EINVALID, "%s", self))
		return nil, false
	}
	u, err := s.Store.FindUser(r.Context(), sess.OrgID, id)
	if err != nil {
		s.fail(w, r, sess, err)
		return nil, false
	}
	return u, true
}

// handleAdminDelete removes another admin; the last admin and the last
// owner stay.
func (s *Server) handleAdminDelete(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	u, ok := s.otherAdmin(w, r, sess, "You cannot remove yourself. Another owner can remove you.")
	if !ok {
		return
	}
	if _, err := s.Store.DeleteUser(r.Context(), sess.OrgID, u.ID); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.audit(r.Context(), sess, "admin.remove", "admin/"+u.Email, "")
	http.Redirect(w, r, "/admins?done=removed", http.StatusSeeOther)
}

// handleAdminRole changes an admin's role; the last owner stays one.
func (s *Server) handleAdminRole(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	u, ok := s.otherAdmin(w, r, sess, "")
	if !ok {
		return
	}
	role, err := roger.ParseRole(r.PostFormValue("role"))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if role == u.Role {
		http.Redirect(w, r, "/admins", http.StatusSeeOther)
		return
	}
	if _, err := s.Store.SetUserRole(r.Context(), sess.OrgID, u.ID, role); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.audit(r.Context(), sess, "admin.role", "admin/"+u.Email, "from "+string(u.Role)+" to "+string(role))
	http.Redirect(w, r, "/admins?done=role", http.StatusSeeOther)
}

// handleAdminReset makes a one-time link for another admin to set a new
// password. The link is shown once to the owner who made it, to hand
// over in person: roger never mails it and never logs it.
func (s *Server) handleAdminReset(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	u, ok := s.otherAdmin(w, r, sess, "Change your own password below, with your current password.")
	if !ok {
		return
	}
	token, err := s.Store.CreatePasswordReset(r.Context(), sess.OrgID, u.ID, s.now().Add(resetLinkTTL))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	msg, _ := json.Marshal(shownOnce{Email: u.Email, Link: s.PublicURL + "/reset/" + token})
	if err := s.flash(r.Context(), sess, "reset-link", msg); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.audit(r.Context(), sess, "admin.password-reset", "admin/"+u.Email, "one-time link, valid 24 hours")
	http.Redirect(w, r, "/admins?done=reset#reset-link", http.StatusSeeOther)
}

// checkNewPassword says what is wrong with a chosen password, or "".
func checkNewPassword(pw, repeat string) string {
	switch {
	case len([]rune(pw)) < minPasswordLength:
		return "Choose a new password of at least " + strconv.Itoa(minPasswordLength) + " characters."
	case pw != repeat:
		return "The two new passwords differ: type the same password twice."
	}
	return ""
}

// handlePasswordChange changes the signed-in admin's own password, after
// checking the current one. Their other sessions end; this browser gets
// a new session.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	again := func(status int, msg string) {
		s.renderAdmins(w, r, status, sess, adminsView{PasswordError: msg})
	}
	current, pw := r.PostFormValue("current"), r.PostFormValue("new")
	if msg := checkNewPassword(pw, r.PostFormValue("repeat")); msg != "" {
		again(http.StatusBadRequest, msg)
		return
	}
	u, err := s.Store.FindUserByEmail(ctx, sess.Email)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if s.Throttle == nil {
		s.fail(w, r, sess, roger.Errorf(roger.EINTERNAL, "no throttle for password checks"))
		return
	}
	// Guesses of the current password count as failed sign-ins do: a
	// session left open must not be a way to try passwords unchecked.
	attempt, wait, err := s.Throttle.Reserve(ctx, u.Email, s.clientIP(r))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if attempt == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		again(http.StatusTooManyRequests, "Too many wrong passwords. Wait "+waitText(wait)+" and try again.")
		return
	}
	verr := s.Hashing.Verify(ctx, current, u.PasswordHash)
	if verr == nil || errors.Is(verr, password.ErrBusy) {
		if err := s.Throttle.Refund(context.WithoutCancel(ctx), attempt, u.Email, verr == nil); err != nil {
			s.log().Warn("password change: take back the attempt", "err", err)
		}
	}
	if errors.Is(verr, password.ErrBusy) {
		w.Header().Set("Retry-After", strconv.Itoa(int(busyRetry.Seconds())))
		again(http.StatusTooManyRequests, "Many passwords are being checked right now. Try again in "+waitText(busyRetry)+".")
		return
	}
	if verr != nil {
		s.audit(ctx, sess, "admin.password-change-refused", "admin/"+u.Email, "current password wrong")
		again(http.StatusBadRequest, "Your current password is wrong. Nothing was changed.")
		return
	}
	hash, err := s.hashPassword(ctx, w, pw)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.SetPassword(ctx, u.ID, hash); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.audit(ctx, sess, "admin.password-change", "admin/"+u.Email, "")
	if err := s.startSession(w, r, u); err != nil {
		s.log().Error("password change: new session", "err", err)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admins?done=password", http.StatusSeeOther)
}

type resetView struct {
	Email string
	Error string
}

// handleResetForm shows the form a reset link opens. The link itself is
// the admin's proof, and it works once.
func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) {
	u, err := s.Store.FindPasswordReset(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	s.render(w, http.StatusOK, "reset", view{Title: "Choose a password", Data: resetView{Email: u.Email}})
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	u, err := s.Store.FindPasswordReset(ctx, token)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	pw := r.PostFormValue("new")
	if msg := checkNewPassword(pw, r.PostFormValue("repeat")); msg != "" {
		s.render(w, http.StatusBadRequest, "reset", view{Title: "Choose a password", Data: resetView{Email: u.Email, Error: msg}})
		return
	}
	hash, err := s.hashPassword(ctx, w, pw)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if u, err = s.Store.UsePasswordReset(ctx, token, hash); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if err := s.Store.AppendAudit(context.WithoutCancel(ctx), u.OrgID, u.Email, "admin.password-set", "admin/"+u.Email, ""); err != nil {
		s.log().Error("audit", "err", err)
	}
	http.Redirect(w, r, "/login?done=password", http.StatusSeeOther)
}
