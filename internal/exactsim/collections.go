package exactsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/exactsim/filter"
)

type listMode int

const (
	modeRegular listMode = iota // crm/…: 60 a page, every method
	modeBulk                    // bulk/CRM/…: 1000 a page, $select required
	modeSync                    // sync/CRM/…: 1000 a page, Timestamp only
)

func (m listMode) pageSize() int {
	if m == modeRegular {
		return 60
	}
	return 1000
}

const (
	msgSyntax       = "Error in query syntax."
	msgSelect       = "Please add a $select or a $top=1 statement to the query string."
	msgFilterScope  = "This $filter parameter is not supported for this resource."
	msgNotSupported = "Filtering on these fields is not supported: "
	msgMandatory    = "This endpoint has mandatory filtering applied. A GET request for this endpoint must have a $filter parameter with one of the following fields in the url: "
)

// listQuery is a validated collection request.
type listQuery struct {
	selected []int // field indexes in output order; nil = all
	nav      []string
	expr     *filter.Expr
	afterTS  int64
	afterID  crm.GUID
	top      int // -1 when absent
	count    bool
}

// visible reports whether a field exists on this flavour of the entity:
// Timestamp belongs to the sync endpoints only.
func visible[T any](f *fieldDef[T], mode listMode) bool {
	return f.name != "Timestamp" || mode == modeSync
}

func (s *Simulator) mandatoryFor(set string) bool {
	return set == "Accounts" || (set == "Contacts" && *s.opts.MandatoryFilterContacts)
}

// parseList validates the query options of a collection request the way
// Exact does, returning the message of its 400 when they are refused.
func parseList[T any](s *Simulator, q url.Values, def *entityDef[T], mode listMode) (*listQuery, string) {
	lq := &listQuery{top: -1}
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return nil, msgSyntax
		}
		lq.top = n
	}
	if sel := strings.TrimSpace(q.Get("$select")); sel != "" && sel != "*" {
		seen := map[string]bool{}
		for _, name := range strings.Split(sel, ",") {
			name = strings.TrimSpace(name)
			if seen[name] {
				continue
			}
			seen[name] = true
			if i, ok := def.index[name]; ok && visible(&def.fields[i], mode) {
				lq.selected = append(lq.selected, i)
				continue
			}
			if mode == modeRegular && contains(def.nav, name) {
				lq.nav = append(lq.nav, name)
				continue
			}
			return nil, "Could not find a property named '" + name + "' on type '" + def.typeName + "'."
		}
		lq.selected = keyFirst(lq.selected, def.index["ID"])
	} else if mode != modeRegular && lq.top != 1 {
		return nil, msgSelect
	} else {
		lq.nav = def.nav
	}
	if raw := q.Get("$filter"); raw != "" {
		expr, err := filter.Parse(raw)
		if err != nil {
			return nil, err.Error()
		}
		lq.expr = expr
	}
	lq.count = q.Get("$inlinecount") == "allpages"

	switch mode {
	case modeSync:
		if lq.expr == nil {
			// The first call of a sync may leave $filter out and gets
			// everything, as "Timestamp gt 1" would (issue 14: the real
			// service accepts it).
			break
		}
		if bad := fieldsOtherThan(lq.expr.Fields(), "Timestamp"); len(bad) > 0 {
			return nil, msgNotSupported + strings.Join(bad, ", ")
		}
		ts, ok := lq.expr.TimestampGreaterThan()
		if !ok {
			return nil, msgFilterScope
		}
		lq.afterTS = ts
		lq.expr = nil
	default:
		// Bulk names the refused fields before it looks at mandatory
		// filtering: picqer#500 filtered bulk/CRM/Accounts on
		// Classification1 and 2 alone and got "not supported".
		if mode == modeBulk && lq.expr != nil {
			if bad := fieldsOtherThan(lq.expr.Fields(), def.mandatory...); len(bad) > 0 {
				return nil, msgNotSupported + strings.Join(bad, ", ")
			}
		}
		if s.mandatoryFor(def.set) && (lq.expr == nil || len(fieldsOtherThan(lq.expr.Fields(), def.mandatory...)) == len(lq.expr.Fields())) {
			return nil, msgMandatory + strings.Join(def.mandatory, ", ")
		}
		if lq.expr != nil {
			for _, name := range lq.expr.Fields() {
				if f, ok := def.field(name); !ok || !visible(f, mode) {
					return nil, "No property '" + name + "' exists in type '" + def.typeName + "'."
				}
			}
		}
	}

	if tok := q.Get("$skiptoken"); tok != "" {
		if mode == modeSync {
			n, err := strconv.ParseInt(strings.TrimSuffix(tok, "L"), 10, 64)
			if err != nil {
				return nil, msgSyntax
			}
			lq.afterTS = max(lq.afterTS, n)
		} else {
			g, ok := parseKeyGUID(tok)
			if !ok {
				return nil, msgSyntax
			}
			lq.afterID = g
		}
	}
	return lq, ""
}

// keyFirst orders selected properties as Exact does when $select names
// them: the key first, then the rest alphabetically. With
// $select=ID,Account,FullName,FirstName,LastName,Email,Phone,Modified the
// rows of NangoHQ/integration-templates
// integrations/exact-online/tests/contacts.test.json list ID, Account,
// Email, FirstName, FullName, LastName, Modified, Phone.
func keyFirst(selected []int, key int) []int {
	sort.Slice(selected, func(i, j int) bool {
		if (selected[i] == key) != (selected[j] == key) {
			return selected[i] == key
		}
		return selected[i] < selected[j]
	})
	return selected
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fieldsOtherThan(fields []string, allowed ...string) []string {
	var out []string
	for _, f := range fields {
		if !contains(allowed, f) {
			out = append(out, f)
		}
	}
	return out
}

// serveEntity serves one entity set in one mode: collections, $count, GET
// by key and, on the regular endpoint, POST, PUT and DELETE.
func serveEntity[T any](s *Simulator, w http.ResponseWriter, r *http.Request, req *apiRequest, def *entityDef[T], mode listMode, path, key string, hasKey bool) {
	isCount := strings.HasSuffix(path, "/$count")
	switch {
	case r.Method == http.MethodGet && hasKey:
		getByKey(s, w, r, req, def, key)
	case r.Method == http.MethodGet:
		list(s, w, r, req, def, mode, isCount)
	case mode != modeRegular || isCount:
		odataError(w, http.StatusMethodNotAllowed, "The method is not allowed for this resource.")
	case r.Method == http.MethodPost && !hasKey:
		create(s, w, r, req, def)
	case r.Method == http.MethodPut && hasKey:
		update(s, w, r, req, def, key)
	case r.Method == http.MethodDelete && hasKey:
		remove(s, w, req, def, key)
	default:
		odataError(w, http.StatusMethodNotAllowed, "The method is not allowed for this resource.")
	}
}

func list[T any](s *Simulator, w http.ResponseWriter, r *http.Request, req *apiRequest, def *entityDef[T], mode listMode, isCount bool) {
	q := r.URL.Query()
	lq, msg := parseList(s, q, def, mode)
	if msg != "" {
		odataError(w, http.StatusBadRequest, msg)
		return
	}
	d := req.division
	limit := mode.pageSize()
	if lq.top >= 0 {
		limit = min(limit, lq.top)
	}
	var evalErr error
	match := func(rec *T) bool {
		if lq.expr == nil || evalErr != nil {
			return evalErr == nil
		}
		ok, err := lq.expr.Eval(record[T]{def: def, d: d, r: rec})
		if err != nil {
			evalErr = err
		}
		return ok
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	tbl := def.table(d)
	if isCount {
		n := 0
		tbl.afterID(crm.GUID{}, func(rec *T) bool {
			if match(rec) {
				n++
			}
			return evalErr == nil
		})
		if evalErr != nil {
			odataError(w, http.StatusBadRequest, evalErr.Error())
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(strconv.Itoa(n)))
		return
	}

	rows := make([]*T, 0, min(limit, 1000))
	more := false
	collect := func(rec *T) bool {
		if !match(rec) {
			return evalErr == nil
		}
		if len(rows) == limit {
			more = true
			return false
		}
		rows = append(rows, rec)
		return true
	}
	if mode == modeSync {
		tbl.afterTS(lq.afterTS, collect)
	} else {
		tbl.afterID(lq.afterID, collect)
	}
	if evalErr != nil {
		odataError(w, http.StatusBadRequest, evalErr.Error())
		return
	}
	total := -1
	if lq.count {
		total = 0
		tbl.afterID(crm.GUID{}, func(rec *T) bool {
			if match(rec) {
				total++
			}
			return true
		})
	}
	next := ""
	if more && (lq.top < 0 || lq.top > limit) && len(rows) > 0 {
		last := rows[len(rows)-1]
		tok := "guid'" + def.id(last).String() + "'"
		if mode == modeSync {
			tok = strconv.FormatInt(def.ts(last), 10) + "L"
		}
		next = s.nextLink(r, req, q, tok, lq.top, limit)
	}
	if req.fault != nil && req.fault.Kind == FaultLoopNext {
		next = req.base + "/api/v1/" + strconv.Itoa(d.Code) + "/" + req.path + "?" + r.URL.RawQuery
	}
	if !acceptsJSON(r) {
		writeAtom(w, req, def, mode, lq, rows, next, s.now())
		return
	}
	b := make([]byte, 0, 64+len(rows)*(len(lq.selected)*24+160))
	b = append(b, `{"d":{"results":[`...)
	for i, rec := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRow(b, req, def, mode, lq, rec, s.opts.TimestampAsNumber)
	}
	b = append(b, ']')
	if total >= 0 {
		b = append(b, `,"__count":"`...)
		b = strconv.AppendInt(b, int64(total), 10)
		b = append(b, '"')
	}
	if next != "" {
		b = append(b, `,"__next":`...)
		b = appendJSONString(b, next)
	}
	b = append(b, "}}"...)
	writeJSON(w, http.StatusOK, b)
}

// nextLink is the absolute URL of the following page: the request's own
// query with the skiptoken replaced (and $top reduced, when one was given).
func (s *Simulator) nextLink(r *http.Request, req *apiRequest, q url.Values, tok string, top, served int) string {
	v := url.Values{}
	for k, vals := range q {
		if k != "$skiptoken" && k != "$top" {
			v[k] = vals
		}
	}
	if top > served {
		v.Set("$top", strconv.Itoa(top-served))
	}
	base := req.base + "/api/v1/" + strconv.Itoa(req.division.Code) + "/" + req.path + "?"
	if s.opts.EncodeNextLinks {
		// Every name and value percent-encoded, the skiptoken last.
		v.Set("$skiptoken", tok)
		keys := make([]string, 0, len(v))
		for k := range v {
			if k != "$skiptoken" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range append(keys, "$skiptoken") {
			for _, val := range v[k] {
				if b.Len() > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				b.WriteString(strings.ReplaceAll(url.QueryEscape(val), "+", "%20"))
			}
		}
		return base + b.String()
	}
	query := encodeODataQuery(v)
	skip := "$skiptoken="
	if s.opts.EncodeSkiptokenDollar {
		skip = "%24skiptoken="
	}
	if query != "" {
		query += "&"
	}
	return base + query + skip + tok
}

// encodeODataQuery writes query options the way Exact's links look:
// $-names and quotes unescaped, spaces as %20.
func encodeODataQuery(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, val := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(odataEscape(k))
			b.WriteByte('=')
			b.WriteString(odataEscape(val))
		}
	}
	return b.String()
}

func odataEscape(s string) string {
	e := url.PathEscape(s)
	return strings.NewReplacer("%24", "$", "%27", "'", "%2C", ",", "&", "%26", "=", "%3D", "+", "%2B").Replace(e)
}

func entityURI[T any](req *apiRequest, def *entityDef[T], rec *T) string {
	return req.base + "/api/v1/" + strconv.Itoa(req.division.Code) + "/crm/" + def.set + "(guid'" + def.id(rec).String() + "')"
}

// appendRow writes one record in the verbose envelope.
func appendRow[T any](b []byte, req *apiRequest, def *entityDef[T], mode listMode, lq *listQuery, rec *T, tsNumber bool) []byte {
	uri := entityURI(req, def, rec)
	b = append(b, `{"__metadata":{"uri":`...)
	b = appendJSONString(b, uri)
	b = append(b, `,"type":`...)
	typ := def.typeName
	if mode == modeSync {
		typ = "Exact.Web.Api.Models.Sync.CRM." + strings.TrimSuffix(def.set, "s")
	} else if mode == modeBulk {
		typ = "Exact.Web.Api.Models.Bulk.CRM." + strings.TrimSuffix(def.set, "s")
	}
	b = appendJSONString(b, typ)
	b = append(b, '}')
	// Navigation properties take their alphabetical place among the
	// others ("AddressLine3", "BankAccounts", "Blocked" in
	// exactonline/exactonline-api-dotnet-client
	// test/ExactOnline.Client.Sdk.UnitTests/Json/APIResponse_Json_Object.txt).
	var nav []string
	if mode == modeRegular && lq != nil {
		nav = lq.nav
	}
	writeNavBefore := func(name string) {
		for len(nav) > 0 && (name == "" || strings.ToLower(nav[0]) < strings.ToLower(name)) {
			b = append(b, `,"`...)
			b = append(b, nav[0]...)
			b = append(b, `":{"__deferred":{"uri":`...)
			b = appendJSONString(b, uri+"/"+nav[0])
			b = append(b, "}}"...)
			nav = nav[1:]
		}
	}
	write := func(f *fieldDef[T]) {
		if f.name != "ID" {
			writeNavBefore(f.name)
		}
		b = append(b, ',', '"')
		b = append(b, f.name...)
		b = append(b, '"', ':')
		b = req.appendValue(b, f.output(req.division, rec), f.int64 && !tsNumber)
	}
	if lq == nil || lq.selected == nil {
		for i := range def.fields {
			if f := &def.fields[i]; visible(f, mode) {
				write(f)
			}
		}
	} else {
		for _, i := range lq.selected {
			write(&def.fields[i])
		}
	}
	writeNavBefore("")
	return append(b, '}')
}

func getByKey[T any](s *Simulator, w http.ResponseWriter, r *http.Request, req *apiRequest, def *entityDef[T], key string) {
	id, ok := parseKeyGUID(key)
	if !ok {
		odataError(w, http.StatusBadRequest, msgSyntax)
		return
	}
	lq, msg := parseList(s, url.Values{"$select": {r.URL.Query().Get("$select")}, "$filter": {"ID eq guid'" + id.String() + "'"}}, def, modeRegular)
	if msg != "" {
		odataError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := def.table(req.division).get(id)
	if !ok {
		odataError(w, http.StatusNotFound, "Not found: "+def.set+"(guid'"+id.String()+"')")
		return
	}
	if !acceptsJSON(r) {
		writeAtom(w, req, def, modeRegular, lq, []*T{rec}, "", s.now())
		return
	}
	b := append([]byte(`{"d":`), appendRow(nil, req, def, modeRegular, lq, rec, false)...)
	writeJSON(w, http.StatusOK, append(b, '}'))
}

// decodePayload applies a JSON object to rec, refusing what Exact refuses.
func decodePayload[T any](def *entityDef[T], body io.Reader, rec *T) ([]int, string) {
	var payload map[string]any
	dec := json.NewDecoder(io.LimitReader(body, 10<<20))
	if err := dec.Decode(&payload); err != nil || payload == nil {
		return nil, "Error processing request stream. The request body must be a JSON object."
	}
	var set []int
	for name, v := range payload {
		if name == "__metadata" {
			continue
		}
		i, ok := def.index[name]
		if !ok || name == "Timestamp" {
			return nil, "Error processing request stream. The property name '" + name + "' specified for type '" + def.typeName + "' is not valid."
		}
		f := &def.fields[i]
		if f.set == nil {
			if name == "ID" {
				continue
			}
			return nil, "Error processing request stream. The property '" + name + "' is read-only."
		}
		if err := f.set(rec, v); err != nil {
			return nil, "Error in converting value for property '" + name + "': expected " + err.Error() + "."
		}
		set = append(set, i)
	}
	sort.Ints(set)
	return set, ""
}

func create[T any](s *Simulator, w http.ResponseWriter, r *http.Request, req *apiRequest, def *entityDef[T]) {
	rec := new(T)
	set, msg := decodePayload(def, r.Body, rec)
	if msg != "" {
		odataError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	d := req.division
	if err := def.validate(d, rec); err != nil {
		s.mu.Unlock()
		odataError(w, http.StatusBadRequest, err.Error())
		return
	}
	insertRecord(s, d, def, rec, req.user)
	lq := &listQuery{}
	if strings.Contains(r.Header.Get("Prefer"), "return=representation") {
		lq.nav = def.nav
	} else {
		lq.selected = append([]int{def.index["ID"]}, set...)
	}
	b := append([]byte(`{"d":`), appendRow(nil, req, def, modeRegular, lq, rec, false)...)
	s.mu.Unlock()
	s.webhook.notify(d.Code, def.set, s.opts.WebhookCreateAction, def.id(rec), req.base)
	writeJSON(w, http.StatusCreated, append(b, '}'))
}

func update[T any](s *Simulator, w http.ResponseWriter, r *http.Request, req *apiRequest, def *entityDef[T], key string) {
	id, ok := parseKeyGUID(key)
	if !ok {
		odataError(w, http.StatusBadRequest, msgSyntax)
		return
	}
	s.mu.Lock()
	d := req.division
	old, ok := def.table(d).get(id)
	if !ok {
		s.mu.Unlock()
		odataError(w, http.StatusNotFound, "Not found: "+def.set+"(guid'"+id.String()+"')")
		return
	}
	rec := *old
	if _, msg := decodePayload(def, r.Body, &rec); msg != "" {
		s.mu.Unlock()
		odataError(w, http.StatusBadRequest, msg)
		return
	}
	if err := def.validate(d, &rec); err != nil {
		s.mu.Unlock()
		odataError(w, http.StatusBadRequest, err.Error())
		return
	}
	saveRecord(s, d, def, &rec, req.user)
	s.mu.Unlock()
	s.webhook.notify(d.Code, def.set, "Update", id, req.base)
	w.WriteHeader(http.StatusNoContent)
}

func remove[T any](s *Simulator, w http.ResponseWriter, req *apiRequest, def *entityDef[T], key string) {
	id, ok := parseKeyGUID(key)
	if !ok {
		odataError(w, http.StatusBadRequest, msgSyntax)
		return
	}
	s.mu.Lock()
	d := req.division
	if _, ok := def.table(d).get(id); !ok {
		s.mu.Unlock()
		odataError(w, http.StatusNotFound, "Not found: "+def.set+"(guid'"+id.String()+"')")
		return
	}
	if def.set == "Accounts" && accountHasContacts(d, id) {
		s.mu.Unlock()
		odataError(w, http.StatusBadRequest, "This account cannot be deleted: it still has contacts.")
		return
	}
	deleteRecord(s, d, def, id, req.user)
	s.mu.Unlock()
	s.webhook.notify(d.Code, def.set, "Delete", id, req.base)
	w.WriteHeader(http.StatusNoContent)
}

func accountHasContacts(d *division, id crm.GUID) bool {
	found := false
	d.contacts.byID.Ascend(func(c *crm.Contact) bool {
		found = c.Account == id
		return !found
	})
	return found
}
