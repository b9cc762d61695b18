package exactsim

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/exactsim/filter"
	"github.com/roger365io/roger/internal/httpstatus"
)

// apiRequest is a division-scoped REST call that passed authentication,
// the error budget and the rate limit.
type apiRequest struct {
	client   crm.GUID
	user     *User
	division *division
	base     string // absolute URL of the simulated host
	path     string // the part after /api/v1/{division}/
	fault    *fault
	// escapeDates writes dates as "\/Date(ms)\/" (Options.EscapeDateSlashes).
	escapeDates bool
}

// appendValue appends v as appendValue does, in the date form the
// simulator was asked for.
func (req *apiRequest) appendValue(b []byte, v filter.Value, int64AsString bool) []byte {
	if v.Kind == filter.DateTime && req.escapeDates {
		b = append(b, `"\/Date(`...)
		b = strconv.AppendInt(b, exactMillis(v.Time), 10)
		return append(b, `)\/"`...)
	}
	return appendValue(b, v, int64AsString)
}

// endpointName is the error budget's notion of an endpoint: the path
// without keys, $count or case.
func endpointName(path string) string {
	if i := strings.IndexByte(path, '('); i >= 0 {
		path = path[:i]
	}
	path = strings.TrimSuffix(path, "/$count")
	return strings.ToLower(strings.Trim(path, "/"))
}

// unauthorized answers a missing, unknown, expired or foreign token the
// way Exact does: an empty body or the "Object moved" login redirect page.
func (s *Simulator) unauthorized(w http.ResponseWriter, r *http.Request) {
	writeUnauthorized(w, r, s.opts.UnauthorizedHTML)
}

func writeUnauthorized(w http.ResponseWriter, r *http.Request, html bool) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="Exact Online", error="invalid_token", error_description="access token expired"`)
	if !html {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	loc := host(r.Context()).prefix + "/docs/Login.aspx?ReturnUrl=" + strings.ReplaceAll(r.URL.EscapedPath(), "/", "%2f")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`<html><head><title>Object moved</title></head><body>` + "\r\n" +
		`<h2>Object moved to <a href="` + loc + `">here</a>.</h2>` + "\r\n" + `</body></html>` + "\r\n"))
}

// handleDivisionAPI is the pipeline of every /api/v1/{division}/… call:
// token, error budget, division access, call budget, faults, then the
// endpoint.
func (s *Simulator) handleDivisionAPI(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	s.stats.APICalls++
	at, ok := s.bearer(r)
	if !ok || !now.Before(at.expires) || at.region != region(r.Context()) {
		var key errorKey
		if ok {
			key = errorKey{client: at.chain.client, user: at.chain.user, endpoint: endpointName(r.PathValue("path"))}
			key.division, _ = strconv.Atoi(r.PathValue("division"))
			s.countError(key, http.StatusUnauthorized, now)
		}
		s.mu.Unlock()
		s.unauthorized(w, r)
		return
	}
	user := s.users[at.chain.user]
	code, convErr := strconv.Atoi(r.PathValue("division"))
	key := errorKey{client: at.chain.client, user: at.chain.user, division: code, endpoint: endpointName(r.PathValue("path"))}
	if s.endpointBlocked(key, now) {
		s.stats.Rejected++
		s.mu.Unlock()
		odataError(w, s.opts.ErrorBlockStatus, "API key blocked: too many errors on this endpoint within an hour. Try again after an hour.")
		return
	}
	d, exists := s.divisions[code]
	if convErr != nil || !exists || user == nil || !hasDivision(user, code) {
		s.countError(key, http.StatusForbidden, now)
		s.mu.Unlock()
		w.Header().Set("Reason", "NoDivisionAccess")
		odataError(w, http.StatusForbidden, "Forbidden")
		return
	}
	if !s.takeCall(limitKey{client: at.chain.client, division: code}, now, w.Header()) {
		s.stats.Rejected++
		s.mu.Unlock()
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	f := s.faults.take(r.URL.Path, at.chain.client, false)
	s.mu.Unlock()

	req := &apiRequest{client: at.chain.client, user: user, division: d, base: baseURL(r), path: r.PathValue("path"), fault: f,
		escapeDates: s.opts.EscapeDateSlashes}
	sw := &httpstatus.Writer{ResponseWriter: w}
	serveFaulted(sw, r, f, func(w http.ResponseWriter) { s.routeDivision(w, r, req) })
	s.noteStatus(key, sw.Status)
}

// serveFaulted runs next under fault f: a fault that replaces the answer
// answers instead, one that damages the body gets the answer to damage.
func serveFaulted(w http.ResponseWriter, r *http.Request, f *fault, next func(http.ResponseWriter)) {
	if f == nil {
		next(w)
		return
	}
	if f.apply(w, r) {
		return
	}
	if !f.rewritesBody() {
		next(w)
		return
	}
	buf := newBufferedWriter(w)
	next(buf)
	f.rewrite(buf)
}

// withTargetedFaults lets faults reach endpoints outside a division (the
// token endpoint, current/Me), but only rules that name their path, so a
// rule meant for REST calls does not break the OAuth flow by accident.
func (s *Simulator) withTargetedFaults(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := s.faults.take(r.URL.Path, crm.GUID{}, true)
		serveFaulted(w, r, f, func(w http.ResponseWriter) { next(w, r) })
	}
}

func (s *Simulator) noteStatus(key errorKey, status int) {
	if status < 400 || status >= 500 {
		return
	}
	s.mu.Lock()
	s.countError(key, status, s.now())
	s.mu.Unlock()
}

// routeDivision dispatches on the endpoint path. Exact's paths are not
// case-sensitive.
func (s *Simulator) routeDivision(w http.ResponseWriter, r *http.Request, req *apiRequest) {
	p := req.path
	lower := strings.ToLower(p)
	name, key, hasKey := splitKey(p)
	lname := strings.ToLower(name)
	switch {
	case lname == "crm/accounts" || lname == "crm/accounts/$count":
		serveEntity(s, w, r, req, accountDef, modeRegular, lname, key, hasKey)
	case lname == "crm/contacts" || lname == "crm/contacts/$count":
		serveEntity(s, w, r, req, contactDef, modeRegular, lname, key, hasKey)
	case lower == "bulk/crm/accounts":
		serveEntity(s, w, r, req, accountDef, modeBulk, lower, "", false)
	case lower == "bulk/crm/contacts":
		serveEntity(s, w, r, req, contactDef, modeBulk, lower, "", false)
	case lower == "sync/crm/accounts":
		serveEntity(s, w, r, req, accountDef, modeSync, lower, "", false)
	case lower == "sync/crm/contacts":
		serveEntity(s, w, r, req, contactDef, modeSync, lower, "", false)
	case lower == "sync/deleted":
		s.serveDeleted(w, r, req)
	case lower == "system/divisions" || lower == "hrm/divisions" || lower == "system/alldivisions":
		s.serveDivisions(w, r, req)
	case lname == "webhooks/webhooksubscriptions":
		s.serveSubscriptions(w, r, req, key, hasKey)
	default:
		segment := p
		if i := strings.LastIndexByte(segment, '/'); i >= 0 {
			segment = segment[i+1:]
		}
		odataError(w, http.StatusNotFound, "Resource not found for the segment '"+segment+"'.")
	}
}

// splitKey splits "crm/Accounts(guid'…')" into the entity path and the key
// literal. "crm/Accounts/$count" keeps its suffix in name.
func splitKey(p string) (name, key string, ok bool) {
	i := strings.IndexByte(p, '(')
	if i < 0 || !strings.HasSuffix(p, ")") {
		return p, "", false
	}
	return p[:i], p[i+1 : len(p)-1], true
}

// parseKeyGUID reads a key literal: guid'…' (or a bare GUID).
func parseKeyGUID(key string) (crm.GUID, bool) {
	k := strings.TrimSpace(key)
	if len(k) >= 6 && strings.HasPrefix(k, "guid'") && strings.HasSuffix(k, "'") {
		k = k[5 : len(k)-1]
	}
	g, err := crm.ParseGUID(k)
	return g, err == nil
}

func acceptsJSON(r *http.Request) bool {
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "application/json")
}

// handleMe serves current/Me, which needs a token but no division.
func (s *Simulator) handleMe(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.RLock()
	at, ok := s.bearer(r)
	valid := ok && now.Before(at.expires) && at.region == region(r.Context())
	var u User
	var d *division
	if valid {
		u = *s.users[at.chain.user]
		d = s.divisions[u.Current]
	}
	s.mu.RUnlock()
	if !valid {
		s.unauthorized(w, r)
		return
	}
	base := baseURL(r)
	_, off := now.In(amsterdam).Zone()
	row := []meField{
		{"CurrentDivision", strconv.Itoa(u.Current)},
		{"AccountingDivision", strconv.Itoa(u.Current)},
		{"UserID", quote(u.ID.String())},
		// UserName is the e-mail address the user signs in with
		// (NangoHQ/integration-templates
		// integrations/exact-online/tests/divisions.test.json).
		{"UserName", quote(u.Email)},
		{"FullName", quote(u.FullName)},
		{"Email", quote(u.Email)},
		{"LanguageCode", quote("nl-NL")},
		{"Legislation", quote("1")},
		{"ServerTime", quote(now.In(amsterdam).Format("2006-01-02T15:04:05"))},
		{"ServerUtcOffset", strconv.Itoa(off)},
		{"DivisionCustomer", quote(crm.GUID{byte(u.Current >> 24), byte(u.Current >> 16), byte(u.Current >> 8), byte(u.Current), 0xcc}.String())},
		{"DivisionCustomerCode", quote(padCode(strconv.Itoa(u.Current)))},
		{"DivisionCustomerName", quote(d.Name)},
		{"PackageCode", quote("EOLAPPCENTER")},
	}
	sel := selectSet(r.URL.Query().Get("$select"))
	b := []byte(`{"d":{"results":[{"__metadata":{"uri":`)
	b = appendJSONString(b, base+"/api/v1/current/Me(guid'"+u.ID.String()+"')")
	b = append(b, `,"type":"Exact.Web.Api.Models.System.Me"}`...)
	for _, f := range row {
		if sel != nil && !sel[f.name] {
			continue
		}
		b = append(b, ',')
		b = appendJSONString(b, f.name)
		b = append(b, ':')
		b = append(b, f.json...)
	}
	b = append(b, "}]}}"...)
	writeRead(w, r, base+"/api/v1/current/", "Me", now, b)
}

type meField struct{ name, json string }

func quote(s string) string { return string(appendJSONString(nil, s)) }

// selectSet reads $select into a set; nil means every field.
func selectSet(sel string) map[string]bool {
	if strings.TrimSpace(sel) == "" || strings.TrimSpace(sel) == "*" {
		return nil
	}
	m := map[string]bool{}
	for _, f := range strings.Split(sel, ",") {
		m[strings.TrimSpace(f)] = true
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
