package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/httpstatus"
)

// Every state-changing form carries a one-time token (formTokenField),
// so a double click, a reload of the answer or a browser's "resend" acts
// once: the first request with a token claims it in the store and acts,
// and any repeat is sent where the first one was sent, without acting.
// A token is a random nonce with its time, signed with the session's id
// hash: it is good in the session that showed the form only. Cross-site
// posts are stopped by http.CrossOriginProtection, not by these tokens.

// formTokenField is the hidden field that carries a form's token.
const formTokenField = "form_token"

// FormStore keeps the claimed form tokens and the messages a page shows
// once after a form redirected to it.
type FormStore interface {
	ClaimFormSubmission(ctx context.Context, sessionID, nonce string) (claimed bool, location string, err error)
	FormSubmission(ctx context.Context, sessionID, nonce string) (location string, found bool, err error)
	FinishFormSubmission(ctx context.Context, sessionID, nonce, location string) error
	ReleaseFormSubmission(ctx context.Context, sessionID, nonce string) error
	PutFlash(ctx context.Context, sessionID, kind, sealed string) error
	TakeFlash(ctx context.Context, sessionID, kind string) (string, error)
}

// mintFormToken makes a new token for a form shown in the session.
func mintFormToken(sessionID string, at time.Time) string {
	body := rand.Text() + "." + strconv.FormatInt(at.UnixMilli(), 10)
	return body + "." + formTokenMAC(sessionID, body)
}

func formTokenMAC(sessionID, body string) string {
	m := hmac.New(sha256.New, []byte("roger form token "+sessionID))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// checkFormToken returns the nonce of a token made in the session no
// longer ago than maxAge.
func checkFormToken(sessionID, token string, now time.Time, maxAge time.Duration) (string, bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", false
	}
	body, mac := token[:i], token[i+1:]
	if !hmac.Equal([]byte(mac), []byte(formTokenMAC(sessionID, body))) {
		return "", false
	}
	nonce, at, ok := strings.Cut(body, ".")
	issued, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || nonce == "" {
		return "", false
	}
	if age := now.Sub(time.UnixMilli(issued)); age > maxAge {
		return "", false
	}
	return nonce, true
}

// FormToken is the hidden field every form of a signed-in page carries:
// {{$.FormToken}} in a template. Each call makes a new token, so each
// form on a page acts on its own.
func (v view) FormToken() template.HTML {
	if v.Session == nil {
		return ""
	}
	at := v.at
	if at.IsZero() {
		at = time.Now()
	}
	return template.HTML(`<input type="hidden" name="` + formTokenField + `" value="` + template.HTMLEscapeString(mintFormToken(v.Session.IDHash, at)) + `">`)
}

// formRepeatWait bounds how long a repeat waits for the first request
// with its token to answer.
const formRepeatWait = 10 * time.Second

// once runs h for the first request with the form's token and sends any
// repeat where the first one went. An answer that is not a redirect
// means the form was refused and nothing changed: its token is given
// back, so the same form may be sent again once corrected.
func (s *Server) once(w http.ResponseWriter, r *http.Request, sess *roger.Session, h func(http.ResponseWriter, *http.Request, *roger.Session)) {
	nonce, ok := checkFormToken(sess.IDHash, r.PostFormValue(formTokenField), s.now(), s.maxAge())
	if !ok {
		s.render(w, http.StatusBadRequest, "message", view{Title: "Form expired", Session: sess, Data: messageView{Title: "This form has expired",
			Message: "Nothing was changed: this form was opened in an earlier session or too long ago. Go back, reload the page and send the form again."}})
		return
	}
	// The claim and its outcome outlive a browser that gave up waiting:
	// the action happened, and its repeat must learn where it went.
	ctx := context.WithoutCancel(r.Context())
	deadline := time.Now().Add(formRepeatWait)
	for {
		claimed, location, err := s.Store.ClaimFormSubmission(ctx, sess.IDHash, nonce)
		if err != nil {
			s.fail(w, r, sess, err)
			return
		}
		if claimed {
			break
		}
		if location != "" {
			http.Redirect(w, r, location, http.StatusSeeOther)
			return
		}
		if time.Now().After(deadline) {
			w.Header().Set("Retry-After", "5")
			s.render(w, http.StatusConflict, "message", view{Title: "Still working", Session: sess, Data: messageView{Title: "Still working",
				Message: "This form was sent twice and its first sending is still being worked on; it acts once. Open the page again in a moment to see the outcome."}})
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	ans := &httpstatus.Writer{ResponseWriter: w}
	defer func() {
		// A handler that panicked did not finish: its token is given
		// back rather than leaving repeats waiting for an answer.
		if p := recover(); p != nil {
			_ = s.Store.ReleaseFormSubmission(ctx, sess.IDHash, nonce)
			panic(p)
		}
	}()
	// The handler works on with the claim's context: a browser that
	// drops this request for a second sending of the form (a double
	// click) must not cut the work off half done, or its failure would
	// give the token back and the second sending would act again.
	h(ans, r.WithContext(ctx), sess)
	if location := ans.Header().Get("Location"); ans.Status >= 300 && ans.Status < 400 && location != "" {
		if err := s.Store.FinishFormSubmission(ctx, sess.IDHash, nonce, location); err != nil {
			s.log().Error("finish form token", "err", err)
		}
		return
	}
	if err := s.Store.ReleaseFormSubmission(ctx, sess.IDHash, nonce); err != nil {
		s.log().Error("release form token", "err", err)
	}
}

// flash keeps a message for the session's next page of this kind,
// sealed, so that a secret shown once (a new API key, a password) is
// never in a URL and is gone from the database once shown.
func (s *Server) flash(ctx context.Context, sess *roger.Session, kind string, msg []byte) error {
	if s.Links == nil {
		return roger.Errorf(roger.EINTERNAL, "roger has no key to seal messages with")
	}
	sealed, err := s.Links.Seal(msg, "roger flash "+kind+" "+sess.IDHash)
	if err != nil {
		return err
	}
	return s.Store.PutFlash(ctx, sess.IDHash, kind, sealed)
}

// takeFlash returns the session's message of this kind once; nil when
// there is none.
func (s *Server) takeFlash(ctx context.Context, sess *roger.Session, kind string) []byte {
	sealed, err := s.Store.TakeFlash(ctx, sess.IDHash, kind)
	if err != nil || sealed == "" || s.Links == nil {
		if err != nil {
			s.log().Error("take message", "kind", kind, "err", err)
		}
		return nil
	}
	msg, err := s.Links.Open(sealed, "roger flash "+kind+" "+sess.IDHash)
	if err != nil {
		s.log().Error("open message", "kind", kind, "err", err)
		return nil
	}
	return msg
}
