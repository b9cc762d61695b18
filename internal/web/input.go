package web

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// validInput answers 400 with a message naming the field to any request
// whose query or form holds text roger cannot store: a NUL byte, or bytes
// that are not UTF-8. PostgreSQL refuses such text, and a handler that
// passed it on failed with "An internal error occurred."; checking here,
// before any handler, covers every form and search at once.
func (s *Server) validInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := badInput(r); msg != "" {
			title := http.StatusText(http.StatusBadRequest)
			s.render(w, http.StatusBadRequest, "message", view{Title: title, Data: messageView{Title: title, Message: msg}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// badInput returns what is wrong with r's query or form text, or "" when
// nothing is. It never repeats a value, which may be a password.
func badInput(r *http.Request) string {
	// A query that does not parse is left to the handlers, as before;
	// the values it has up to the fault are checked.
	query, _ := url.ParseQuery(r.URL.RawQuery)
	if msg := badValues("query parameter", query); msg != "" {
		return msg
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return ""
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return ""
	}
	// ParseForm keeps what it read for the handler's PostFormValue.
	_ = r.ParseForm()
	return badValues("field", r.PostForm)
}

// badValues checks every name and value of vs, in name order so the
// message is the same each time.
func badValues(what string, vs url.Values) string {
	names := make([]string, 0, len(vs))
	for name := range vs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if problem := unstorable(name); problem != "" {
			return "The name of a " + what + " holds " + problem + ", which roger cannot store: remove it and send the form again."
		}
		for _, v := range vs[name] {
			if problem := unstorable(v); problem != "" {
				return "The " + what + " “" + clipName(name) + "” holds " + problem + ", which roger cannot store: remove it and try again."
			}
		}
	}
	return ""
}

// unstorable says what in s no database of roger's can hold, or "".
func unstorable(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "a NUL character"
	case !utf8.ValidString(s):
		return "bytes that are not UTF-8 text"
	}
	return ""
}

// clipName shortens a field's name for the message; names are the
// portal's own, so a long one is somebody else's request.
func clipName(name string) string {
	if utf8.RuneCountInString(name) <= 40 {
		return name
	}
	return string([]rune(name)[:40]) + "…"
}
