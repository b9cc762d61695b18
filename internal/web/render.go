package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

//go:embed templates
var templateFS embed.FS

// pageSet holds one template set per page: the layout plus the page.
type pageSet struct {
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"when": timeTag,
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return humanDuration(time.Since(t)) + " ago"
	},
	"duration": func(a, b time.Time) string {
		if a.IsZero() || b.IsZero() {
			return ""
		}
		return humanDuration(b.Sub(a))
	},
	// span writes a length of time, such as a run's wait for Exact's
	// rate limit.
	"span":         humanDuration,
	"ms":           func(unixMS int64) template.HTML { return timeTag(time.UnixMilli(unixMS)) },
	"trigger":      triggerLabel,
	"stateLabel":   stateLabel,
	"add":          func(a, b int) int { return a + b },
	"countryNote":  countryNote,
	"unlistedNote": unlistedNote,
}

func loadPages() (*pageSet, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// view is what every page gets: the signed-in admin (nil on the sign-in
// page), the section for the navigation, and the page's own data.
type view struct {
	Title   string
	Session *roger.Session
	Org     *roger.Organization
	Nav     string
	Notice  string
	Data    any
	// at is when the page is rendered, the time its form tokens carry.
	at time.Time
}

// render writes a page. Pages are rendered into a buffer first so that a
// template error becomes a clean 500, not half a page.
func (s *Server) render(w http.ResponseWriter, status int, page string, v view) {
	t, ok := s.pages.pages[page]
	if !ok {
		s.log().Error("no such page template", "page", page)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	v.at = s.now()
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.log().Error("render page", "page", page, "err", err)
		http.Error(w, "Something went wrong showing this page; try again.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages carry replicator settings and never a secret, but the
	// browser need not keep any of them either.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page for err: its user-safe message and the
// status its code maps to. Internal errors are logged, not shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess *roger.Session, err error) {
	status := statusOf(err)
	msg := roger.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		// The route's pattern, not its path: a password reset link's
		// path is its secret.
		s.log().Error("page failed", "route", r.Pattern, "err", err)
	}
	s.render(w, status, "message", view{Title: http.StatusText(status), Session: sess, Data: messageView{Title: http.StatusText(status), Message: msg}})
}

// statusOf is the HTTP status of err, the one the API answers it with.
func statusOf(err error) int {
	return roger.HTTPStatus(roger.ErrorCodeOf(err))
}

type messageView struct {
	Title   string
	Message string
	// ReplicatorID, when set, lets the popup's script tell the page that
	// opened it that the replicator changed.
	ReplicatorID int64
	Popup        bool
}

func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func stateLabel(st roger.ReplicatorState) string { return st.Label() }

// timeTag writes a time in UTC inside a <time> element; the portal's
// script rewrites it in the browser's time zone and keeps the UTC time
// on hover, so without the script the page still reads right.
func timeTag(t time.Time) template.HTML {
	if t.IsZero() {
		return "never"
	}
	utc := t.UTC().Format("2006-01-02 15:04:05 UTC")
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" title="` + utc + `">` + utc + `</time>`)
}

// triggerLabel words what started a run.
func triggerLabel(t roger.SyncTrigger) string {
	if t == roger.TriggerFirst {
		return "first load"
	}
	return string(t)
}
