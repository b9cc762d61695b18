package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/lookup"
)

// popFrameAncestors may show the screen pop in a frame: Microsoft Teams
// tabs (and the Office hosts Teams runs in) embed the page they open.
const popFrameAncestors = "'self' https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft https://*.office.com https://*.skype.com"

type popView struct {
	Input   string
	Query   string
	Link    string
	Result  *lookup.Result
	Entries []lookup.Entry
	Error   string
}

// handlePop is the screen pop: the card of whoever calls from number, for
// a softphone or a Teams tab to open on an incoming call. It answers a
// signed-in admin or a link sealed for the organisation; "unknown caller"
// comes with a search box.
func (s *Server) handlePop(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "frame-ancestors 'none'", "frame-ancestors "+popFrameAncestors, 1))
	h.Del("X-Frame-Options")
	// The link is a credential in the address: never send it on to the
	// CRM as a Referer.
	h.Set("Referrer-Policy", "no-referrer")
	q := r.URL.Query()
	v := popView{Input: strings.TrimSpace(q.Get("number")), Query: strings.TrimSpace(q.Get("q")), Link: q.Get("link")}
	var orgID int64
	if sess, ok := s.session(r); ok {
		orgID = sess.OrgID
	} else if v.Link != "" {
		id, err := s.openPopLink(r, v.Link)
		if err != nil {
			s.render(w, http.StatusForbidden, "pop", view{Title: "Screen pop", Data: popView{Error: roger.ErrorMessage(err)}})
			return
		}
		orgID = id
	} else {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	dir := s.Pop
	if dir == nil {
		dir = s.Directory
	}
	if dir == nil {
		s.render(w, http.StatusServiceUnavailable, "pop", view{Title: "Screen pop", Data: popView{Error: "The directory is not available on this server."}})
		return
	}
	status := http.StatusOK
	switch {
	case v.Input != "":
		res, err := dir.Lookup(r.Context(), orgID, v.Input, "")
		switch {
		case roger.ErrorCodeOf(err) == roger.EINVALID:
			v.Error, status = roger.ErrorMessage(err), http.StatusBadRequest
		case err != nil:
			s.log().Error("screen pop lookup", "err", err)
			v.Error, status = "The directory cannot be read just now; try again.", http.StatusServiceUnavailable
		default:
			v.Result = res
		}
	case v.Query != "":
		page, err := dir.Search(r.Context(), orgID, v.Query, 0, 10)
		if err != nil {
			v.Error, status = roger.ErrorMessage(err), statusOf(err)
		} else {
			v.Entries = page.Entries
		}
	}
	title := "Screen pop"
	if v.Result != nil && len(v.Result.Matches) > 0 {
		title = v.Result.Matches[0].Name
	}
	s.render(w, status, "pop", view{Title: title, Data: v})
}

// openPopLink returns the organisation a screen-pop link was made for,
// refusing links of an earlier generation.
func (s *Server) openPopLink(r *http.Request, link string) (int64, error) {
	invalid := roger.Errorf(roger.EFORBIDDEN, "This screen-pop link is not valid (any more). Ask an admin for the current link: roger's portal shows it under API keys.")
	if s.Links == nil {
		return 0, invalid
	}
	plain, err := s.Links.Open(link, popLinkBinding)
	if err != nil {
		return 0, invalid
	}
	var tok popLinkToken
	if err := json.Unmarshal(plain, &tok); err != nil {
		return 0, invalid
	}
	gen, err := s.Store.PopLinkGeneration(r.Context(), tok.Org)
	if err != nil || gen != tok.Generation {
		return 0, invalid
	}
	return tok.Org, nil
}
