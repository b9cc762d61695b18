package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/phone"
)

// Directory answers the directory page's questions (*lookup.Service).
type Directory interface {
	Lookup(ctx context.Context, orgID int64, input, country string) (*lookup.Result, error)
	Search(ctx context.Context, orgID int64, q string, after int64, limit int) (*lookup.Page, error)
}

type directoryView struct {
	Q       string
	Country string
	// Number is set for a number search: how it was understood, the
	// numbers tried and what matched.
	Number     *lookup.Result
	Tried      []string
	Explain    string
	Page       *lookup.Page
	NextURL    string
	Error      string
	OrgCountry string
}

// looksLikeNumber tells a caller number from a name: digits and the
// punctuation of phone numbers only, at least three digits.
func looksLikeNumber(q string) bool {
	q = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(q)), "tel:")
	digits := 0
	for _, r := range q {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune(" +-./()x;=ext", r):
		default:
			return false
		}
	}
	return digits >= 3
}

// handleDirectory searches the directory by number (any notation) or by
// name or company. A number search shows how the number was understood,
// which numbers were tried and which rule matched, so "why is this
// caller unknown?" has an answer on the page.
func (s *Server) handleDirectory(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	ctx := r.Context()
	q := r.URL.Query()
	v := directoryView{Q: strings.TrimSpace(q.Get("q")), Country: strings.TrimSpace(q.Get("country"))}
	if org, err := s.Store.FindOrganizationByID(ctx, sess.OrgID); err == nil {
		v.OrgCountry = org.DefaultCountry
	}
	status := http.StatusOK
	if s.Directory == nil {
		s.fail(w, r, sess, roger.Errorf(roger.EUNAVAILABLE, "The directory search is not available on this server."))
		return
	}
	if looksLikeNumber(v.Q) {
		res, err := s.Directory.Lookup(ctx, sess.OrgID, v.Q, v.Country)
		switch {
		case roger.ErrorCodeOf(err) == roger.EINVALID:
			v.Error, status = roger.ErrorMessage(err), http.StatusBadRequest
		case err != nil:
			s.fail(w, r, sess, err)
			return
		default:
			v.Number = res
			v.Tried = append([]string{res.Number.E164}, phone.MainNumberCandidates(res.Number.E164)...)
			if len(res.Matches) == 0 {
				v.Explain = "Nobody in the directory has this number, with or without an extension, and no stored company number is its switchboard. Check how the number is written in Exact Online: records whose numbers did not parse are listed on each replicator's page."
			}
		}
	} else {
		after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
		page, err := s.Directory.Search(ctx, sess.OrgID, v.Q, after, 50)
		if err != nil {
			if roger.ErrorCodeOf(err) != roger.EINVALID {
				s.fail(w, r, sess, err)
				return
			}
			v.Error, status = roger.ErrorMessage(err), http.StatusBadRequest
		} else {
			v.Page = page
			if page.Next != 0 {
				v.NextURL = "/directory?q=" + url.QueryEscape(v.Q) + "&after=" + strconv.FormatInt(page.Next, 10)
			}
		}
	}
	s.render(w, status, "directory", view{Title: "Directory", Session: sess, Nav: "directory", Data: v})
}

// WrittenNationally reports whether the number searched for was written
// without a country code (no + or 00 in front), the only case in which
// the default country decided how it was read.
func (v directoryView) WrittenNationally() bool {
	q := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(v.Q)), "tel:")
	q = strings.TrimLeft(q, " (")
	return !strings.HasPrefix(q, "+") && !strings.HasPrefix(q, "00")
}
