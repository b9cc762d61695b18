package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/ldapdir"
)

// Sealer seals and opens small tokens (*secret.Keyring): screen-pop
// links are sealed, so only roger can make one.
type Sealer interface {
	Seal(plaintext []byte, binding string) (string, error)
	Open(sealed string, binding string) ([]byte, error)
}

type integrationsView struct {
	Keys []*roger.APIKey
	Name string
	// NewKey is shown once, right after it was made.
	NewKey     string
	NewKeyName string
	// NewKeyLDAP says the new key is for phones: BindDN and BaseDN go
	// with it into the phone's settings.
	NewKeyLDAP bool
	BindDN     string
	BaseDN     string
	LDAPURL    string
	// Kind and National are the form's choices, kept when it is shown
	// again with an error.
	Kind     string
	National bool
	Error    string
	// PopLink is the organisation's screen-pop address; {number} stands
	// for the caller's number.
	PopLink    string
	LookupURL  string
	OpenAPIURL string
}

func (s *Server) renderIntegrations(w http.ResponseWriter, r *http.Request, status int, sess *roger.Session, v integrationsView) {
	ctx := r.Context()
	keys, err := s.Store.ListAPIKeys(ctx, sess.OrgID)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	v.Keys = keys
	v.LDAPURL = s.LDAPURL
	v.BaseDN = ldapdir.BaseDN(sess.OrgID)
	v.LookupURL = s.PublicURL + "/api/v1/lookup?number=%2B31201234567"
	v.OpenAPIURL = s.PublicURL + "/api/v1/openapi.json"
	if link, err := s.popLink(r, sess.OrgID); err == nil {
		v.PopLink = link
	} else {
		s.log().Error("pop link", "err", err)
	}
	s.render(w, status, "integrations", view{Title: "API keys and screen pop", Session: sess, Nav: "integrations", Notice: notice(r), Data: v})
}

func (s *Server) handleIntegrations(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	v := integrationsView{}
	var k newKeyFlash
	if msg := s.takeFlash(r.Context(), sess, "apikey"); msg != nil && json.Unmarshal(msg, &k) == nil {
		v.NewKey, v.NewKeyName = k.Key, k.Name
		v.NewKeyLDAP, v.BindDN = k.BindDN != "", k.BindDN
	}
	s.renderIntegrations(w, r, http.StatusOK, sess, v)
}

// handleAPIKeyCreate makes a key and shows it once.
func (s *Server) handleAPIKeyCreate(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	name := r.PostFormValue("name")
	kind := roger.APIKeyKind(r.PostFormValue("kind"))
	if kind == "" {
		kind = roger.APIKeyLookup
	}
	national := r.PostFormValue("national") != ""
	k, key, err := s.Store.CreateKey(r.Context(), sess.OrgID, name, kind, national)
	if err != nil {
		if roger.ErrorCodeOf(err) == roger.EINVALID {
			s.renderIntegrations(w, r, http.StatusBadRequest, sess, integrationsView{Name: name, Kind: string(kind), National: national, Error: roger.ErrorMessage(err)})
			return
		}
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "apikey.create", "apikey/"+k.Prefix, "name "+k.Name+", for "+string(k.Kind)); err != nil {
		s.log().Error("audit", "err", err)
	}
	// The key is shown once on the page this redirects to, from a sealed
	// flash: never in the URL, and a reload of that page shows it no
	// more and makes no second key.
	var bindDN string
	if k.Kind == roger.APIKeyLDAP {
		bindDN = ldapdir.BindDN(k)
	}
	msg, _ := json.Marshal(newKeyFlash{Key: key, Name: k.Name, BindDN: bindDN})
	if err := s.flash(r.Context(), sess, "apikey", msg); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/integrations#new-key", http.StatusSeeOther)
}

// newKeyFlash is a new API key on its way to the page that shows it once.
type newKeyFlash struct {
	Key  string `json:"k"`
	Name string `json:"n"`
	// BindDN is set for a key made for phones (LDAP).
	BindDN string `json:"b,omitempty"`
}

func (s *Server) handleAPIKeyRevoke(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "There is no API key %q.", r.PathValue("id")))
		return
	}
	if err := s.Store.RevokeAPIKey(r.Context(), sess.OrgID, id); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "apikey.revoke", "apikey/"+strconv.FormatInt(id, 10), ""); err != nil {
		s.log().Error("audit", "err", err)
	}
	http.Redirect(w, r, "/integrations?done=revoked", http.StatusSeeOther)
}

// popLinkToken is what a screen-pop link carries, sealed.
type popLinkToken struct {
	Org        int64 `json:"o"`
	Generation int64 `json:"g"`
}

const popLinkBinding = "roger screen-pop link"

// popLink is the organisation's current screen-pop address.
func (s *Server) popLink(r *http.Request, orgID int64) (string, error) {
	if s.Links == nil {
		return "", fmt.Errorf("no sealer for screen-pop links")
	}
	gen, err := s.Store.PopLinkGeneration(r.Context(), orgID)
	if err != nil {
		return "", err
	}
	plain, _ := json.Marshal(popLinkToken{Org: orgID, Generation: gen})
	sealed, err := s.Links.Seal(plain, popLinkBinding)
	if err != nil {
		return "", err
	}
	return s.PublicURL + "/pop?link=" + sealed + "&number={number}", nil
}

func (s *Server) handlePopLinksRenew(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	if _, err := s.Store.RenewPopLinks(r.Context(), sess.OrgID); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.Store.AppendAudit(r.Context(), sess.OrgID, sess.Email, "poplink.renew", "screen-pop links", "older links stop working"); err != nil {
		s.log().Error("audit", "err", err)
	}
	http.Redirect(w, r, "/integrations?done=poplinks", http.StatusSeeOther)
}
