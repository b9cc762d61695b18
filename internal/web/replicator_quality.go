package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
	"github.com/roger365io/roger/internal/quality"
)

// QualityReader is what the data-quality report reads (*sqlstore.Store).
type QualityReader interface {
	CountQuality(ctx context.Context, orgID, replicatorID int64) (map[roger.QualityProblem]int, error)
	quality.Store
}

// qualityPageSize is how many records (or shared numbers) a page of the
// report lists.
const qualityPageSize = 50

// qualityView is the data-quality report of one replicator: the groups
// with their counts, and a page of the rows of one group or of all.
type qualityView struct {
	R      *roger.Replicator
	Groups []qualityGroup
	// Group is the group listed, "" for every group but the shared
	// numbers; Label and Advice are its.
	Group    roger.QualityProblem
	Label    string
	Advice   string
	Sections []rowSection
	Prev     string
	Next     string
	CSV      string
}

type qualityGroup struct {
	Problem roger.QualityProblem
	Label   string
	Count   int
	// Records says whether Count counts records or numbers.
	Records bool
	URL     string
}

// rowSection is a run of rows under one heading: a shared number, or no
// heading for the records of a group.
type rowSection struct {
	Title string
	Rows  []quality.Row
}

// qualityGroups are the groups with their counts, each with the link to
// its page.
func (s *Server) qualityGroups(ctx context.Context, rep *roger.Replicator) ([]qualityGroup, error) {
	counts, err := s.Store.CountQuality(ctx, rep.OrgID, rep.ID)
	if err != nil {
		return nil, err
	}
	out := make([]qualityGroup, 0, len(roger.QualityProblems))
	for _, p := range roger.QualityProblems {
		out = append(out, qualityGroup{Problem: p, Label: p.Label(), Count: counts[p], Records: p != roger.ProblemShared,
			URL: replicatorPath(rep) + "/quality?" + url.Values{"group": {string(p)}}.Encode()})
	}
	return out, nil
}

// handleQuality shows a page of the data-quality report. Pages go by
// record id (by number for shared numbers) so that each is an index range,
// stable while the directory changes around it.
func (s *Server) handleQuality(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	group, err := roger.ParseQualityProblem(q.Get("group"))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	v := &qualityView{R: rep, Group: group, Label: "Every record with a number to correct", CSV: replicatorPath(rep) + "/quality.csv"}
	if group != "" {
		v.Label, v.Advice = group.Label(), group.Advice()
	}
	if v.Groups, err = s.qualityGroups(ctx, rep); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	page := func(after, before string) string {
		vals := url.Values{}
		if group != "" {
			vals.Set("group", string(group))
		}
		if after != "" {
			vals.Set("after", after)
		}
		if before != "" {
			vals.Set("before", before)
		}
		return replicatorPath(rep) + "/quality?" + vals.Encode()
	}
	after, before := q.Get("after"), q.Get("before")
	backwards := after == "" && before != ""
	if group == roger.ProblemShared {
		numbers, err := s.Store.FindSharedNumbers(ctx, roger.SharedFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID, After: after, Before: before, Limit: qualityPageSize + 1})
		if err != nil {
			s.fail(w, r, sess, err)
			return
		}
		more := len(numbers) > qualityPageSize
		numbers = trimPage(numbers, backwards)
		for _, sn := range numbers {
			v.Sections = append(v.Sections, rowSection{Title: sn.E164, Rows: quality.SharedRows(sn, rep)})
		}
		if len(numbers) > 0 {
			v.Prev, v.Next = pageLinks(backwards, more, after != "" || before != "", func() string { return page("", numbers[0].E164) },
				func() string { return page(numbers[len(numbers)-1].E164, "") })
		}
	} else {
		var afterID, beforeID int64
		for _, p := range []struct {
			name string
			to   *int64
		}{{"after", &afterID}, {"before", &beforeID}} {
			if text := q.Get(p.name); text != "" {
				if *p.to, err = strconv.ParseInt(text, 10, 64); err != nil || *p.to < 0 {
					s.fail(w, r, sess, roger.Errorf(roger.EINVALID, "The page link is damaged (%s is not a record number); open the report from the replicator's page.", p.name))
					return
				}
			}
		}
		entries, err := s.Store.FindQualityEntries(ctx, roger.QualityFilter{OrgID: rep.OrgID, ReplicatorID: rep.ID, Problem: group,
			After: afterID, Before: beforeID, Limit: qualityPageSize + 1})
		if err != nil {
			s.fail(w, r, sess, err)
			return
		}
		more := len(entries) > qualityPageSize
		entries = trimPage(entries, backwards)
		links := quality.NewLinker(rep.ContactURL, rep.Division)
		var rows []quality.Row
		for _, e := range entries {
			rows = append(rows, quality.EntryRows(e, links.Link(e), group)...)
		}
		if len(rows) > 0 {
			v.Sections = []rowSection{{Rows: rows}}
		}
		if len(entries) > 0 {
			first, last := strconv.FormatInt(entries[0].ID, 10), strconv.FormatInt(entries[len(entries)-1].ID, 10)
			v.Prev, v.Next = pageLinks(backwards, more, afterID != 0 || beforeID != 0, func() string { return page("", first) },
				func() string { return page(last, "") })
		}
	}
	s.render(w, http.StatusOK, "quality", view{Title: "Data quality: " + rep.Name, Session: sess, Nav: "replicators", Data: v})
}

// trimPage drops the one item read beyond a page: the last going
// forwards, the first going back.
func trimPage[T any](items []T, backwards bool) []T {
	if len(items) <= qualityPageSize {
		return items
	}
	if backwards {
		return items[1:]
	}
	return items[:qualityPageSize]
}

// pageLinks are the links to the previous and the next page. more says
// whether a page lies beyond in the direction read; moved whether this
// page was reached from another, which then lies behind it.
func pageLinks(backwards, more, moved bool, prev, next func() string) (string, string) {
	var p, n string
	if (backwards && more) || (!backwards && moved) {
		p = prev()
	}
	if (!backwards && more) || backwards {
		n = next()
	}
	return p, n
}

// handleQualityCSV downloads the whole report as CSV.
func (s *Server) handleQualityCSV(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="data-quality-replicator-`+strconv.FormatInt(rep.ID, 10)+`-`+s.now().Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	// The byte order mark makes spreadsheets read the file as UTF-8.
	_, _ = w.Write([]byte("\uFEFF"))
	if err := quality.Write(r.Context(), w, s.Store, rep, "csv"); err != nil {
		// The rows already sent cannot be taken back: the download ends
		// short, and the reason is logged.
		s.log().Error("data-quality CSV", "replicator", rep.ID, "err", err)
	}
}

// countryPreviewJSON is the answer of the Country Code dry run.
type countryPreviewJSON struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Summary string `json:"summary,omitempty"`
	*quality.CountryPreview
}

// countryPreviewTimeout bounds one dry run: what is read again by then is
// counted. About 100,000 numbers that do not parse with the new Country
// Code take that long; numbers that parse are read faster.
const countryPreviewTimeout = 5 * time.Second

// handleCountryPreview answers, without saving anything, how the numbers
// of the replicator's records would read with another Country Code.
func (s *Server) handleCountryPreview(w http.ResponseWriter, r *http.Request, sess *roger.Session) {
	rep, ok := s.replicator(w, r, sess)
	if !ok {
		return
	}
	out := countryPreviewJSON{}
	country, err := phone.ParseCountry(r.URL.Query().Get("country"))
	switch {
	case err != nil:
		out.Error = "Country Code: " + roger.ErrorMessage(err)
	case country == rep.DefaultCountry:
		out.OK, out.Summary = true, "This is the current Country Code."
	default:
		// One dry run at a time per server: each reads the whole
		// replicator, and typing asks again and again.
		select {
		case s.previewSlot() <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), countryPreviewTimeout)
		p, err := quality.PreviewCountry(ctx, s.Store, rep, country)
		cancel()
		<-s.previewSlot()
		if err != nil {
			s.log().Warn("country preview", "replicator", rep.ID, "err", err)
			out.Error = "The preview could not be computed just now; saving works as usual."
			break
		}
		out.OK, out.CountryPreview, out.Summary = true, p, previewSummary(p)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

// previewSummary says in a sentence what the change would do.
func previewSummary(p *quality.CountryPreview) string {
	partial := ""
	if p.Partial {
		partial = " (of the first " + strconv.Itoa(p.Numbers) + " numbers, all that could be read again in the time allowed)"
	}
	if p.Numbers == 0 && !p.Partial {
		return "No stored number was read with the current Country Code, so " + p.To + " changes none."
	}
	if p.Different() == 0 {
		return "With " + p.To + " every one of the " + strconv.Itoa(p.Numbers) + " numbers read with the Country Code reads the same" + partial + "."
	}
	return "With " + p.To + " instead of " + orNone(p.From) + ", " + strconv.Itoa(p.Different()) + " of the " + strconv.Itoa(p.Numbers) +
		" numbers read with the Country Code would read differently" + partial + ": " + strconv.Itoa(p.NewlyParse) + " would parse that do not now, " +
		strconv.Itoa(p.NoLongerParse) + " would no longer parse, " + strconv.Itoa(p.Changed) + " would get another number. " +
		strconv.Itoa(p.ParseNow) + " parse now, " + strconv.Itoa(p.ParseThen) + " would then. Saving starts a full sync that reads every record again with the new Country Code."
}

func orNone(country string) string {
	if country == "" {
		return "none"
	}
	return country
}

// previewSlot is the server's one slot for a country dry run.
func (s *Server) previewSlot() chan struct{} {
	s.previewOnce.Do(func() { s.previews = make(chan struct{}, 1) })
	return s.previews
}
