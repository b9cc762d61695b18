package exactsim

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The REST conformance suite: section 8 "Division and Me" and "Reads" of
// the reference, each item asserted on status, headers and body shape over
// real HTTP. Records an assertion depends on are created through the API;
// seeded data serves only for counts and paging, so the suite does not care
// what the generator invents.

// zeroGUIDFilter matches every record while satisfying mandatory filtering,
// which refuses a listing of crm/Accounts without a $filter.
const zeroGUIDFilter = "ID ne guid'00000000-0000-0000-0000-000000000000'"

// restEnv is an env with a signed-in app. The call and error budgets are
// off: these tests make hundreds of calls and many deliberate 400s, and the
// budgets have tests of their own.
type restEnv struct {
	*env
	tok string
}

func newRestEnv(t *testing.T, opts Options, accounts, contacts int) *restEnv {
	t.Helper()
	opts.MinutelyLimit, opts.DailyLimit, opts.ErrorsPerHour = -1, -1, -1
	e := newEnv(t, opts, accounts, contacts)
	return &restEnv{env: e, tok: e.login().access}
}

// relogin fetches a new token after the clock jumped past the old one's
// lifetime.
func (r *restEnv) relogin() { r.tok = r.login().access }

// target makes an absolute URL: absolute ones are kept exactly as given
// (that is how __next must be followed), a leading slash is a path on the
// server, anything else is a path under the test division. Spaces in the
// readable queries of the tables become %20.
func (r *restEnv) target(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	path = strings.ReplaceAll(path, " ", "%20")
	if strings.HasPrefix(path, "/") {
		return r.srv.URL + path
	}
	return r.srv.URL + "/api/v1/" + strconv.Itoa(testDivision) + "/" + path
}

// call sends a request with the bearer token and Accept: application/json;
// hdr adds headers, and a header given without values is removed.
func (r *restEnv) call(t *testing.T, method, path, body string, hdr http.Header) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.target(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.tok)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if len(v) == 0 {
			req.Header.Del(k)
		} else {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

func (r *restEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return r.call(t, http.MethodGet, path, "", nil)
}

// rows gets a collection and asserts a 200 JSON envelope.
func (r *restEnv) rows(t *testing.T, path string) (d map[string]any, rows []map[string]any) {
	t.Helper()
	resp, body := r.get(t, path)
	return restCollection(t, resp, body)
}

// create posts a record and returns the d object of the 201.
func (r *restEnv) create(t *testing.T, set string, fields map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := r.call(t, http.MethodPost, "crm/"+set, string(b), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST crm/%s: want 201, got %d %s", set, resp.StatusCode, body)
	}
	return restObject(t, body)
}

// byKey gets one record by key and returns its d object.
func (r *restEnv) byKey(t *testing.T, set, id string) map[string]any {
	t.Helper()
	resp, body := r.get(t, "crm/"+set+"(guid'"+id+"')")
	if resp.StatusCode != 200 {
		t.Fatalf("GET crm/%s(%s): want 200, got %d %s", set, id, resp.StatusCode, body)
	}
	return restObject(t, body)
}

// walk follows __next exactly as given from first and returns every row
// and the size of each page.
func (r *restEnv) walk(t *testing.T, first string) (all []map[string]any, sizes []int, links []string) {
	t.Helper()
	next := first
	for page := 0; next != ""; page++ {
		if page == 100 {
			t.Fatalf("more than 100 pages; last link %s", next)
		}
		d, rows := r.rows(t, next)
		all = append(all, rows...)
		sizes = append(sizes, len(rows))
		next, _ = d["__next"].(string)
		if next != "" {
			links = append(links, next)
		}
	}
	return all, sizes, links
}

// put sends a partial update and asserts 204 with an empty body.
func (r *restEnv) put(t *testing.T, set, id, payload string) {
	t.Helper()
	resp, body := r.call(t, http.MethodPut, "crm/"+set+"(guid'"+id+"')", payload, nil)
	if resp.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("PUT crm/%s: want 204 with an empty body, got %d %q", set, resp.StatusCode, body)
	}
}

func (r *restEnv) del(t *testing.T, set, id string) {
	t.Helper()
	resp, body := r.call(t, http.MethodDelete, "crm/"+set+"(guid'"+id+"')", "", nil)
	if resp.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("DELETE crm/%s: want 204 with an empty body, got %d %q", set, resp.StatusCode, body)
	}
}

// restDecode decodes a JSON object keeping numbers as json.Number, so that
// an int and a string holding digits stay distinguishable.
func restDecode(t *testing.T, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		t.Fatalf("not a JSON object: %v: %.300s", err, body)
	}
	return m
}

// restObject reads a single-entity answer: {"d":{…}} without results.
func restObject(t *testing.T, body string) map[string]any {
	t.Helper()
	m := restDecode(t, body)
	d, ok := m["d"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf(`want {"d":{…}}, got %.300s`, body)
	}
	if _, ok := d["results"]; ok {
		t.Fatalf("a single entity must not be wrapped in results: %.300s", body)
	}
	if _, ok := d["__metadata"].(map[string]any); !ok {
		t.Fatalf("entity without __metadata: %.300s", body)
	}
	return d
}

// restCollection asserts a 200 verbose collection envelope and returns d
// and its rows.
func restCollection(t *testing.T, resp *http.Response, body string) (map[string]any, []map[string]any) {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("want 200, got %d %.400s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json", ct)
	}
	m := restDecode(t, body)
	d, ok := m["d"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf(`want {"d":{"results":[…]}}, got %.300s`, body)
	}
	for k := range d {
		if k != "results" && k != "__next" && k != "__count" {
			t.Fatalf("unexpected key %q in d: %.300s", k, body)
		}
	}
	raw, ok := d["results"].([]any)
	if !ok {
		t.Fatalf("d.results is not an array: %.300s", body)
	}
	rows := make([]map[string]any, len(raw))
	for i, x := range raw {
		if rows[i], ok = x.(map[string]any); !ok {
			t.Fatalf("row %d is not an object: %.300s", i, body)
		}
	}
	return d, rows
}

// wantODataError asserts status and Exact's error envelope exactly:
// {"error":{"code":"","message":{"lang":"","value":…}}}, with a value
// starting with prefix.
func wantODataError(t *testing.T, resp *http.Response, body string, status int, prefix string) string {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("want %d, got %d %.400s", status, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type = %q, want application/json", ct)
	}
	m := restDecode(t, body)
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(map[string]any)
	value, isString := msg["value"].(string)
	if len(m) != 1 || len(e) != 2 || e["code"] != "" || len(msg) != 2 || msg["lang"] != "" || !isString {
		t.Fatalf(`want {"error":{"code":"","message":{"lang":"","value":"…"}}}, got %s`, body)
	}
	if !strings.HasPrefix(value, prefix) {
		t.Fatalf("error message %q does not start with %q", value, prefix)
	}
	return value
}

func restKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// restTS reads a Timestamp served as a JSON string (the default).
func restTS(t *testing.T, row map[string]any) int64 {
	t.Helper()
	s, ok := row["Timestamp"].(string)
	if !ok {
		t.Fatalf("Timestamp = %#v, want a JSON string", row["Timestamp"])
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("Timestamp %q: %v", s, err)
	}
	return n
}

// restDate formats what Exact writes for an Amsterdam wall-clock time.
func restDate(wall time.Time) string {
	return fmt.Sprintf("/Date(%d)/", wall.UnixMilli())
}

func restNames(rows []map[string]any) []string {
	var out []string
	for _, row := range rows {
		out = append(out, fmt.Sprint(row["Name"]))
	}
	sort.Strings(out)
	return out
}

func TestMeReturnsOneRowWithCurrentDivisionAndLocalServerTime(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	d, rows := r.rows(t, "/api/v1/current/Me")
	if len(rows) != 1 || len(d) != 1 {
		t.Fatalf("Me is a collection with exactly one row and no paging, got %d rows, d keys %v", len(rows), restKeys(d))
	}
	me := rows[0]
	if n, ok := me["CurrentDivision"].(json.Number); !ok || n.String() != strconv.Itoa(testDivision) {
		t.Errorf("CurrentDivision = %#v, want the JSON int %d", me["CurrentDivision"], testDivision)
	}
	userID := r.sim.Users()[0].ID.String()
	if me["UserID"] != userID {
		t.Errorf("UserID = %v, want %s", me["UserID"], userID)
	}
	if me["ServerTime"] != "2026-06-25T16:24:00" {
		t.Errorf("ServerTime = %v, want Amsterdam wall-clock 2026-06-25T16:24:00 without offset", me["ServerTime"])
	}
	if n, ok := me["ServerUtcOffset"].(json.Number); !ok || n.String() != "7200" {
		t.Errorf("ServerUtcOffset = %#v, want the int 7200 (CEST)", me["ServerUtcOffset"])
	}
	meta, _ := me["__metadata"].(map[string]any)
	if meta["type"] != "Exact.Web.Api.Models.System.Me" || meta["uri"] != r.srv.URL+"/api/v1/current/Me(guid'"+userID+"')" {
		t.Errorf("__metadata = %v", meta)
	}

	t.Run("select CurrentDivision keeps __metadata and drops the rest", func(t *testing.T) {
		_, rows := r.rows(t, "/api/v1/current/Me?$select=CurrentDivision")
		if len(rows) != 1 || !slices.Equal(restKeys(rows[0]), []string{"CurrentDivision", "__metadata"}) {
			t.Fatalf("got %v", rows)
		}
	})

	t.Run("follows the division the user last opened in the web UI", func(t *testing.T) {
		if err := r.sim.SetCurrentDivision(testUser, testDivision2); err != nil {
			t.Fatal(err)
		}
		_, rows := r.rows(t, "/api/v1/current/Me?$select=CurrentDivision")
		if n, _ := rows[0]["CurrentDivision"].(json.Number); n.String() != strconv.Itoa(testDivision2) {
			t.Fatalf("CurrentDivision = %v after the switch, want %d", rows[0]["CurrentDivision"], testDivision2)
		}
	})
}

func TestDivisionsListCodeAndDivisionMoveDate(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	moveDate := func(t *testing.T, path string) map[int]any {
		t.Helper()
		_, rows := r.rows(t, path)
		out := map[int]any{}
		for _, row := range rows {
			n, ok := row["Code"].(json.Number)
			code, err := strconv.Atoi(n.String())
			if !ok || err != nil {
				t.Fatalf("Code = %#v, want an int", row["Code"])
			}
			v, present := row["DivisionMoveDate"]
			if !present {
				t.Fatalf("division %d has no DivisionMoveDate: %v", code, row)
			}
			out[code] = v
		}
		if len(out) != 2 || out[testDivision2] != nil {
			t.Fatalf("want the user's two divisions, the second never moved: %v", out)
		}
		return out
	}
	for _, path := range []string{"system/Divisions", "hrm/Divisions", "system/AllDivisions"} {
		t.Run(path+" before a move", func(t *testing.T) {
			if got := moveDate(t, path); got[testDivision] != nil {
				t.Fatalf("DivisionMoveDate = %v, want null", got[testDivision])
			}
		})
	}
	t.Run("system/Divisions after MoveDivision", func(t *testing.T) {
		r.clock.Advance(time.Minute)
		if err := r.sim.MoveDivision(testDivision); err != nil {
			t.Fatal(err)
		}
		want := restDate(time.Date(2026, 6, 25, 16, 25, 0, 0, time.UTC))
		if got := moveDate(t, "system/Divisions"); got[testDivision] != want {
			t.Fatalf("DivisionMoveDate = %v, want %s", got[testDivision], want)
		}
	})
}

func TestDivisionWithoutAccessIsForbidden(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	r.sim.AddDivision(345678, "Elders B.V.")
	for _, tc := range []struct{ name, path string }{
		{"someone else's division", "/api/v1/345678/crm/Accounts?$filter=" + zeroGUIDFilter},
		{"unknown division", "/api/v1/999999/system/Divisions"},
		{"division that is not a number", "/api/v1/abc/system/Divisions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := r.get(t, tc.path)
			wantODataError(t, resp, body, http.StatusForbidden, "")
			if got := resp.Header.Get("Reason"); got != "NoDivisionAccess" {
				t.Fatalf("Reason header = %q, want NoDivisionAccess", got)
			}
		})
	}
}

// restFeed is the part of an Atom answer the tests look at.
type restFeed struct {
	XMLName xml.Name
	Entries []struct {
		ID string `xml:"id"`
	} `xml:"entry"`
	Links []restLink `xml:"link"`
}

type restLink struct {
	Rel  string `xml:"rel,attr"`
	Href string `xml:"href,attr"`
}

func TestReadWithoutAcceptJSONAnswersAtom(t *testing.T) {
	r := newRestEnv(t, Options{}, 300, 0)
	id := r.create(t, "Accounts", map[string]any{"Name": "Atoom B.V."})["ID"].(string)
	r.del(t, "Accounts", r.create(t, "Accounts", map[string]any{"Name": "Weg B.V."})["ID"].(string))
	deletedLog, _, _ := r.walk(t, "sync/Deleted?$select=ID&$filter=Timestamp gt 1")
	noAccept := http.Header{"Accept": nil}
	for _, tc := range []struct {
		name    string
		path    string
		hdr     http.Header
		entries int // -1: a single <entry> answer is as good as a feed of one
		next    bool
	}{
		{"regular collection", "crm/Accounts?$filter=" + zeroGUIDFilter, noAccept, 60, true},
		{"Accept application/xml is not JSON either", "crm/Accounts?$filter=" + zeroGUIDFilter, http.Header{"Accept": {"application/xml"}}, 60, true},
		{"by key", "crm/Accounts(guid'" + id + "')", noAccept, -1, false},
		{"bulk", "bulk/CRM/Accounts?$select=ID,Name&$filter=" + zeroGUIDFilter, noAccept, 301, false},
		{"sync", "sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1", noAccept, 301, false},
		{"sync/Deleted", "sync/Deleted?$select=ID,EntityKey&$filter=Timestamp gt 1", noAccept, len(deletedLog), false},
		{"current/Me", "/api/v1/current/Me", noAccept, 1, false},
		{"system/Divisions", "system/Divisions", noAccept, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := r.call(t, http.MethodGet, tc.path, "", tc.hdr)
			if resp.StatusCode != 200 {
				t.Fatalf("want 200, got %d %.300s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
				t.Fatalf("Content-Type = %q, want application/atom+xml; body %.200s", ct, body)
			}
			if strings.HasPrefix(strings.TrimSpace(body), "{") {
				t.Fatalf("the body is JSON: %.200s", body)
			}
			var f restFeed
			if err := xml.Unmarshal([]byte(body), &f); err != nil {
				t.Fatalf("not XML: %v: %.300s", err, body)
			}
			const atom = "http://www.w3.org/2005/Atom"
			switch {
			case tc.entries < 0 && f.XMLName == xml.Name{Space: atom, Local: "entry"}:
			case tc.entries < 0 && f.XMLName == xml.Name{Space: atom, Local: "feed"} && len(f.Entries) == 1:
			case tc.entries >= 0 && f.XMLName == xml.Name{Space: atom, Local: "feed"} && len(f.Entries) == tc.entries:
			default:
				t.Fatalf("root %v with %d entries, want %d: %.300s", f.XMLName, len(f.Entries), tc.entries, body)
			}
			hasNext := slices.ContainsFunc(f.Links, func(l restLink) bool {
				return l.Rel == "next" && strings.HasPrefix(l.Href, r.srv.URL+"/api/v1/")
			})
			if hasNext != tc.next {
				t.Fatalf("link rel=next present = %v, want %v: %v", hasNext, tc.next, f.Links)
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	r := newRestEnv(t, Options{}, 300, 0)
	acc := r.create(t, "Accounts", map[string]any{"Name": "Envelop Conformance B.V."})["ID"].(string)
	con := r.create(t, "Contacts", map[string]any{"Account": acc, "LastName": "Brief"})["ID"].(string)
	divURL := r.srv.URL + "/api/v1/" + strconv.Itoa(testDivision)

	t.Run("collection rows carry __metadata and BankAccounts as __deferred", func(t *testing.T) {
		_, rows := r.rows(t, "crm/Accounts?$filter="+zeroGUIDFilter)
		if len(rows) != 60 {
			t.Fatalf("got %d rows, want a page of 60", len(rows))
		}
		for _, row := range rows {
			uri := divURL + "/crm/Accounts(guid'" + row["ID"].(string) + "')"
			meta, _ := row["__metadata"].(map[string]any)
			if len(meta) != 2 || meta["uri"] != uri || meta["type"] != "Exact.Web.Api.Models.Account" {
				t.Fatalf("__metadata = %v, want {uri %s, type Exact.Web.Api.Models.Account}", meta, uri)
			}
			nav, _ := row["BankAccounts"].(map[string]any)
			def, _ := nav["__deferred"].(map[string]any)
			if len(nav) != 1 || len(def) != 1 || def["uri"] != uri+"/BankAccounts" {
				t.Fatalf("BankAccounts = %v, want {__deferred:{uri:%s/BankAccounts}}", row["BankAccounts"], uri)
			}
		}
	})

	t.Run("__next is an absolute link back with the last row's guid skiptoken", func(t *testing.T) {
		filter := "Name ne 'x'"
		d, rows := r.rows(t, "crm/Accounts?$select=ID,Name&$filter="+filter)
		next, _ := d["__next"].(string)
		want := divURL + "/crm/Accounts?"
		if !strings.HasPrefix(next, want) {
			t.Fatalf("__next = %q, want it to start with %s", next, want)
		}
		last := rows[len(rows)-1]["ID"].(string)
		if !strings.HasSuffix(next, "$skiptoken=guid'"+last+"'") {
			t.Fatalf("__next = %q, want $skiptoken=guid'%s' (the last row)", next, last)
		}
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		if q := u.Query(); q.Get("$filter") != filter || q.Get("$select") != "ID,Name" {
			t.Fatalf("__next lost the query: %s", next)
		}
	})

	t.Run("the last page has no __next", func(t *testing.T) {
		d, rows := r.rows(t, "crm/Accounts?$filter=Name eq 'Envelop Conformance B.V.'")
		if len(rows) != 1 {
			t.Fatalf("got %d rows", len(rows))
		}
		if _, ok := d["__next"]; ok {
			t.Fatalf("__next on the last page: %v", d["__next"])
		}
	})

	t.Run("contacts are typed Contact", func(t *testing.T) {
		_, rows := r.rows(t, "crm/Contacts?$filter=ID eq guid'"+con+"'")
		if len(rows) != 1 {
			t.Fatalf("got %d rows", len(rows))
		}
		meta := rows[0]["__metadata"].(map[string]any)
		if meta["type"] != "Exact.Web.Api.Models.Contact" || meta["uri"] != divURL+"/crm/Contacts(guid'"+con+"')" {
			t.Fatalf("__metadata = %v", meta)
		}
	})

	for _, tc := range []struct{ set, id, typ string }{
		{"Accounts", acc, "Exact.Web.Api.Models.Account"},
		{"Contacts", con, "Exact.Web.Api.Models.Contact"},
	} {
		t.Run("GET by key of "+tc.set+" is {d:{…}}", func(t *testing.T) {
			d := r.byKey(t, tc.set, tc.id)
			meta := d["__metadata"].(map[string]any)
			if d["ID"] != tc.id || meta["type"] != tc.typ || meta["uri"] != divURL+"/crm/"+tc.set+"(guid'"+tc.id+"')" {
				t.Fatalf("got ID %v, __metadata %v", d["ID"], meta)
			}
		})
	}

	t.Run("GET by key of a missing record is a 404 OData error", func(t *testing.T) {
		resp, body := r.get(t, "crm/Accounts(guid'0badc0de-0000-4000-8000-000000000000')")
		if msg := wantODataError(t, resp, body, http.StatusNotFound, ""); msg == "" {
			t.Fatal("the 404 has an empty message")
		}
	})
}

func TestPageSizesAndFollowingNext(t *testing.T) {
	const accounts, contacts = 300, 1700
	r := newRestEnv(t, Options{}, accounts, contacts)
	for _, tc := range []struct {
		name, path string
		page       int
		total      int
		guidToken  bool
	}{
		{"regular accounts: 60 a page", "crm/Accounts?$select=ID&$filter=" + zeroGUIDFilter, 60, accounts, true},
		{"regular contacts: 60 a page", "crm/Contacts?$select=ID&$filter=" + zeroGUIDFilter, 60, contacts, true},
		{"bulk contacts: 1000 a page", "bulk/CRM/Contacts?$select=ID&$filter=" + zeroGUIDFilter, 1000, contacts, true},
		{"bulk accounts: one page", "bulk/CRM/Accounts?$select=ID&$filter=" + zeroGUIDFilter, 1000, accounts, true},
		{"sync contacts: 1000 a page", "sync/CRM/Contacts?$select=ID,Timestamp&$filter=Timestamp gt 1", 1000, contacts, false},
		{"sync accounts: one page", "sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1L", 1000, accounts, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, sizes, links := r.walk(t, tc.path)
			wantPages := (tc.total + tc.page - 1) / tc.page
			if len(sizes) != wantPages {
				t.Fatalf("got pages of %v, want %d pages of %d", sizes, wantPages, tc.page)
			}
			for i, n := range sizes[:len(sizes)-1] {
				if n != tc.page {
					t.Fatalf("page %d has %d rows, want %d", i, n, tc.page)
				}
			}
			seen := map[string]bool{}
			for _, row := range rows {
				id := row["ID"].(string)
				if seen[id] {
					t.Fatalf("record %s served twice", id)
				}
				seen[id] = true
			}
			if len(seen) != tc.total {
				t.Fatalf("visited %d records, want %d", len(seen), tc.total)
			}
			for i, link := range links {
				if !strings.HasPrefix(link, r.srv.URL+"/api/v1/"+strconv.Itoa(testDivision)+"/") {
					t.Fatalf("__next %q is not an absolute link back to the simulator", link)
				}
				last := rows[(i+1)*tc.page-1]["ID"].(string)
				if tc.guidToken && !strings.HasSuffix(link, "$skiptoken=guid'"+last+"'") {
					t.Fatalf("__next %q does not continue after %s", link, last)
				}
			}
		})
	}

	t.Run("every account Status is one of A, S, P, C", func(t *testing.T) {
		_, rows := r.rows(t, "bulk/CRM/Accounts?$select=Status&$filter="+zeroGUIDFilter)
		for _, row := range rows {
			if s, _ := row["Status"].(string); len(s) != 1 || !strings.Contains("ASPC", s) {
				t.Fatalf("Status = %#v", row["Status"])
			}
		}
	})

	t.Run("sync/Deleted: 1000 a page", func(t *testing.T) {
		history, _, _ := r.walk(t, "sync/Deleted?$select=EntityKey,Timestamp&$filter=Timestamp gt 1")
		if len(history) == 0 {
			t.Fatal("a seeded division has no deletion history")
		}
		res, err := r.sim.Mutate(testDivision, Mutation{Entity: "contacts", Deletes: 1001})
		if err != nil || len(res.Deleted) != 1001 {
			t.Fatalf("Mutate: %v, %d deleted", err, len(res.Deleted))
		}
		after := strconv.FormatInt(restTS(t, history[len(history)-1]), 10)
		rows, sizes, _ := r.walk(t, "sync/Deleted?$select=EntityKey,Timestamp&$filter=Timestamp gt "+after+"L")
		if !slices.Equal(sizes, []int{1000, 1}) || len(rows) != 1001 {
			t.Fatalf("got pages of %v, want [1000 1]", sizes)
		}
	})
}

func TestTopSelectAndCounts(t *testing.T) {
	const accounts = 300
	r := newRestEnv(t, Options{}, accounts, 1700)
	r.create(t, "Accounts", map[string]any{"Name": "Teller Conformance B.V."})
	total := accounts + 1

	for _, tc := range []struct {
		name  string
		path  string
		pages []int
	}{
		{"$top below the page size is one short page", "crm/Accounts?$top=5&$filter=" + zeroGUIDFilter, []int{5}},
		{"$top above the page size cannot grow a page", "crm/Accounts?$top=100&$filter=" + zeroGUIDFilter, []int{60, 40}},
		{"$top above the bulk page size", "bulk/CRM/Contacts?$select=ID&$top=1500&$filter=" + zeroGUIDFilter, []int{1000, 500}},
		{"$top on sync", "sync/CRM/Contacts?$select=ID&$top=7&$filter=Timestamp gt 1", []int{7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, sizes, _ := r.walk(t, tc.path)
			if !slices.Equal(sizes, tc.pages) {
				t.Fatalf("got pages of %v, want %v", sizes, tc.pages)
			}
		})
	}

	t.Run("$select projects and keeps __metadata", func(t *testing.T) {
		_, rows := r.rows(t, "crm/Accounts?$select=ID,Name&$filter="+zeroGUIDFilter)
		for _, row := range rows {
			if !slices.Equal(restKeys(row), []string{"ID", "Name", "__metadata"}) {
				t.Fatalf("row keys %v, want ID, Name and __metadata only", restKeys(row))
			}
		}
	})

	t.Run("$select of a navigation property defers it", func(t *testing.T) {
		_, rows := r.rows(t, "crm/Accounts?$select=ID,BankAccounts&$filter="+zeroGUIDFilter)
		if !slices.Equal(restKeys(rows[0]), []string{"BankAccounts", "ID", "__metadata"}) {
			t.Fatalf("row keys %v", restKeys(rows[0]))
		}
		if _, ok := rows[0]["BankAccounts"].(map[string]any)["__deferred"]; !ok {
			t.Fatalf("BankAccounts = %v", rows[0]["BankAccounts"])
		}
	})

	t.Run("$inlinecount=allpages adds __count as a string", func(t *testing.T) {
		for filter, want := range map[string]string{zeroGUIDFilter: strconv.Itoa(total), "Name eq 'Teller Conformance B.V.'": "1"} {
			d, _ := r.rows(t, "crm/Accounts?$select=ID&$inlinecount=allpages&$filter="+filter)
			if got, ok := d["__count"].(string); !ok || got != want {
				t.Fatalf("%s: __count = %#v, want the string %q", filter, d["__count"], want)
			}
		}
		if d, _ := r.rows(t, "crm/Accounts?$select=ID&$filter="+zeroGUIDFilter); d["__count"] != nil {
			t.Fatalf("__count without $inlinecount: %v", d["__count"])
		}
	})

	t.Run("/$count is a bare number", func(t *testing.T) {
		for filter, want := range map[string]string{zeroGUIDFilter: strconv.Itoa(total), "Name eq 'Teller Conformance B.V.'": "1", "Name eq 'nobody'": "0"} {
			resp, body := r.get(t, "crm/Accounts/$count?$filter="+filter)
			if resp.StatusCode != 200 || body != want {
				t.Fatalf("%s: got %d %q, want 200 %q", filter, resp.StatusCode, body, want)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Fatalf("Content-Type = %q, want text/plain", ct)
			}
		}
	})
}

func TestEncodedSkiptokenDollarStillPages(t *testing.T) {
	r := newRestEnv(t, Options{EncodeSkiptokenDollar: true}, 300, 0)
	rows, sizes, links := r.walk(t, "crm/Accounts?$select=ID&$filter="+zeroGUIDFilter)
	for i, link := range links {
		last := rows[(i+1)*60-1]["ID"].(string)
		if !strings.HasSuffix(link, "&%24skiptoken=guid'"+last+"'") || strings.Contains(link, "$skiptoken") {
			t.Fatalf("__next = %q, want %%24skiptoken=guid'%s'", link, last)
		}
	}
	seen := map[any]bool{}
	for _, row := range rows {
		seen[row["ID"]] = true
	}
	if !slices.Equal(sizes, []int{60, 60, 60, 60, 60}) || len(seen) != 300 {
		t.Fatalf("pages %v with %d distinct records, want 5 pages of 60 and 300", sizes, len(seen))
	}
}

func TestFilterSyntax(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	// Two records at 16:24 Amsterdam time, one at 17:24.
	r.create(t, "Accounts", map[string]any{"Name": "Alfa Bouw", "City": "Zwolle", "Code": "4711"})
	brien := r.create(t, "Accounts", map[string]any{"Name": "O'Brien Consultancy", "City": "Deventer", "Blocked": true})["ID"].(string)
	r.clock.Advance(time.Hour)
	r.relogin()
	r.create(t, "Accounts", map[string]any{"Name": "Charlie Logistiek", "City": "Zwolle"})
	const alfa, obrien, charlie = "Alfa Bouw", "O'Brien Consultancy", "Charlie Logistiek"

	for _, tc := range []struct {
		name, filter string
		want         []string
	}{
		{"eq", "Name eq 'Alfa Bouw'", []string{alfa}},
		{"ne", "Name ne 'Alfa Bouw'", []string{charlie, obrien}},
		{"doubled quote in a string", "Name eq 'O''Brien Consultancy'", []string{obrien}},
		{"guid literal", "ID eq guid'" + brien + "'", []string{obrien}},
		{"boolean true", "Blocked eq true", []string{obrien}},
		{"boolean false", "Blocked eq false", []string{alfa, charlie}},
		{"and", "City eq 'Zwolle' and Blocked eq false", []string{alfa, charlie}},
		{"or", "Name eq 'Alfa Bouw' or Name eq 'Charlie Logistiek'", []string{alfa, charlie}},
		// 17:00 Amsterdam is 15:00 UTC; read as UTC it would match nothing.
		{"datetime gt is Amsterdam local time", "Modified gt datetime'2026-06-25T17:00:00'", []string{charlie}},
		{"datetime lt is Amsterdam local time", "Modified lt datetime'2026-06-25T17:00:00'", []string{alfa, obrien}},
		{"ge includes the second itself", "Created ge datetime'2026-06-25T16:24:00'", []string{alfa, charlie, obrien}},
		{"le includes the second itself", "Created le datetime'2026-06-25T16:24:00'", []string{alfa, obrien}},
		{"trim of the padded code", "trim(Code) eq '4711'", []string{alfa}},
		{"substringof", "substringof('brien', Name)", []string{obrien}},
		{"startswith", "startswith(Name, 'Char')", []string{charlie}},
		{"no match is an empty page", "Name eq 'Delta'", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rows := r.rows(t, "crm/Accounts?$select=Name&$filter="+url.QueryEscape(tc.filter))
			if got := restNames(rows); !slices.Equal(got, tc.want) {
				t.Fatalf("%s: got %q, want %q", tc.filter, got, tc.want)
			}
		})
	}

	for _, garbage := range []string{
		"Name eq",
		"Name eq 'unterminated",
		"Name like 'Alfa'",
		"(Name eq 'Alfa Bouw'",
		"Name eq 'Alfa Bouw' and",
		"ID eq guid'not-a-guid'",
		"Modified gt datetime'yesterday'",
		"Name eq Code",
	} {
		t.Run("garbage "+garbage, func(t *testing.T) {
			resp, body := r.get(t, "crm/Accounts?$filter="+url.QueryEscape(garbage))
			wantODataError(t, resp, body, http.StatusBadRequest, "Error in query syntax.")
		})
	}
}

func TestMandatoryFilteringAndBulkRules(t *testing.T) {
	const mandatory = "This endpoint has mandatory filtering applied."
	off := false
	on := newRestEnv(t, Options{}, 5, 10)
	relaxed := newRestEnv(t, Options{MandatoryFilterContacts: &off}, 5, 10)
	for _, tc := range []struct {
		name   string
		r      *restEnv
		path   string
		status int
		prefix string
	}{
		{"unfiltered crm/Accounts", on, "crm/Accounts", 400, mandatory},
		{"crm/Accounts filtered only on a field outside the list", on, "crm/Accounts?$filter=Website eq 'x'", 400, mandatory},
		{"crm/Accounts filtered on Name", on, "crm/Accounts?$filter=Name eq 'x'", 200, ""},
		{"unfiltered crm/Accounts/$count", on, "crm/Accounts/$count", 400, mandatory},
		{"unfiltered crm/Contacts by default", on, "crm/Contacts", 400, mandatory},
		{"unfiltered crm/Contacts with the switch off", relaxed, "crm/Contacts", 200, ""},
		{"unfiltered crm/Accounts with the contacts switch off", relaxed, "crm/Accounts", 400, mandatory},
		{"bulk without $select", on, "bulk/CRM/Accounts?$filter=Name eq 'x'", 400, "Please add a $select or a $top=1 statement to the query string."},
		{"bulk with $top=1 instead of $select", on, "bulk/CRM/Accounts?$top=1&$filter=Name eq 'x'", 200, ""},
		{"unfiltered bulk accounts", on, "bulk/CRM/Accounts?$select=ID", 400, mandatory},
		{"unfiltered bulk contacts by default", on, "bulk/CRM/Contacts?$select=ID", 400, mandatory},
		{"unfiltered bulk contacts with the switch off", relaxed, "bulk/CRM/Contacts?$select=ID", 200, ""},
		{"bulk filter on a field outside the list", on, "bulk/CRM/Accounts?$select=ID&$filter=Website eq 'x'", 400, "Filtering on these fields is not supported: Website"},
		{"bulk filter mixing allowed and other fields", on, "bulk/CRM/Accounts?$select=ID&$filter=Name eq 'x' and Website eq 'x'", 400, "Filtering on these fields is not supported: Website"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.r.get(t, tc.path)
			if tc.status == 200 {
				restCollection(t, resp, body)
				return
			}
			msg := wantODataError(t, resp, body, tc.status, tc.prefix)
			if tc.prefix == mandatory {
				for _, f := range []string{"ID", "Code", "Name", "Modified", "Email"} {
					if !strings.Contains(msg, f) {
						t.Fatalf("the mandatory filtering message does not list %s: %q", f, msg)
					}
				}
			}
		})
	}
}

func TestSyncEndpointRules(t *testing.T) {
	r := newRestEnv(t, Options{}, 300, 0)
	const notSupported = "This $filter parameter is not supported for this resource."
	for _, tc := range []struct {
		name, path, prefix string
	}{
		{"ge is refused", "sync/CRM/Accounts?$select=ID&$filter=Timestamp ge 5", notSupported},
		{"a range is refused", "sync/CRM/Accounts?$select=ID&$filter=Timestamp gt 5 and Timestamp lt 9", notSupported},
		{"another field is refused by name", "sync/CRM/Accounts?$select=ID&$filter=Name eq 'x'", "Filtering on these fields is not supported: Name"},
		{"no $select", "sync/CRM/Accounts?$filter=Timestamp gt 1", "Please add a $select or a $top=1 statement to the query string."},
		{"contacts: no $select", "sync/CRM/Contacts?$filter=Timestamp gt 1", "Please add a $select or a $top=1 statement to the query string."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := r.get(t, tc.path)
			wantODataError(t, resp, body, http.StatusBadRequest, tc.prefix)
		})
	}

	var before []map[string]any
	t.Run("rows ascend by Timestamp, which is a JSON string", func(t *testing.T) {
		for _, f := range []string{"Timestamp gt 1", "Timestamp gt 1L"} {
			_, rows := r.rows(t, "sync/CRM/Accounts?$select=ID,Timestamp&$filter="+f)
			if len(rows) != 300 {
				t.Fatalf("%s: got %d rows, want 300", f, len(rows))
			}
			for i := 1; i < len(rows); i++ {
				if restTS(t, rows[i]) <= restTS(t, rows[i-1]) {
					t.Fatalf("row %d: Timestamp %d after %d", i, restTS(t, rows[i]), restTS(t, rows[i-1]))
				}
			}
			before = rows
		}
	})

	t.Run("an update moves the record to the end with a higher Timestamp", func(t *testing.T) {
		id := before[0]["ID"].(string)
		maxTS := restTS(t, before[len(before)-1])
		r.put(t, "Accounts", id, `{"Name":"Hernoemd B.V."}`)
		_, rows := r.rows(t, "sync/CRM/Accounts?$select=ID,Name,Timestamp&$filter=Timestamp gt "+strconv.FormatInt(maxTS, 10)+"L")
		if len(rows) != 1 || rows[0]["ID"] != id || rows[0]["Name"] != "Hernoemd B.V." || restTS(t, rows[0]) <= maxTS {
			t.Fatalf("after the update: %v, want only %s with a Timestamp above %d", rows, id, maxTS)
		}
		_, all := r.rows(t, "sync/CRM/Accounts?$select=ID&$filter=Timestamp gt 1")
		if len(all) != 300 || all[len(all)-1]["ID"] != id {
			t.Fatalf("the updated record is not last of %d", len(all))
		}
	})

	t.Run("MoveDivision lowers every Timestamp and sets DivisionMoveDate", func(t *testing.T) {
		_, old := r.rows(t, "sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1")
		minOld := restTS(t, old[0])
		r.clock.Advance(2 * time.Minute)
		if err := r.sim.MoveDivision(testDivision); err != nil {
			t.Fatal(err)
		}
		_, rows := r.rows(t, "sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1")
		if len(rows) != len(old) {
			t.Fatalf("%d rows after the move, %d before", len(rows), len(old))
		}
		for _, row := range rows {
			if restTS(t, row) >= minOld {
				t.Fatalf("Timestamp %d after the move is not below the lowest before (%d)", restTS(t, row), minOld)
			}
		}
		_, divs := r.rows(t, "system/Divisions")
		want := restDate(time.Date(2026, 6, 25, 16, 26, 0, 0, time.UTC))
		for _, d := range divs {
			if d["Code"].(json.Number).String() == strconv.Itoa(testDivision) && d["DivisionMoveDate"] != want {
				t.Fatalf("DivisionMoveDate = %v, want %s", d["DivisionMoveDate"], want)
			}
		}
	})
}

func TestSyncTimestampAsNumberSwitch(t *testing.T) {
	r := newRestEnv(t, Options{TimestampAsNumber: true}, 3, 3)
	acc := r.create(t, "Accounts", map[string]any{"Name": "Getal B.V."})["ID"].(string)
	r.del(t, "Accounts", acc)
	for _, path := range []string{
		"sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1",
		"sync/CRM/Contacts?$select=ID,Timestamp&$filter=Timestamp gt 1",
		"sync/Deleted?$select=ID,Timestamp&$filter=Timestamp gt 1",
	} {
		t.Run(path, func(t *testing.T) {
			_, rows := r.rows(t, path)
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			for _, row := range rows {
				if _, ok := row["Timestamp"].(json.Number); !ok {
					t.Fatalf("Timestamp = %#v, want a JSON number", row["Timestamp"])
				}
			}
		})
	}
}

func TestSyncDeletedLog(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	lone := r.create(t, "Accounts", map[string]any{"Name": "Alleen B.V."})["ID"].(string)
	parent := r.create(t, "Accounts", map[string]any{"Name": "Ouder B.V."})["ID"].(string)
	con := r.create(t, "Contacts", map[string]any{"Account": parent, "LastName": "Kind"})["ID"].(string)
	const deleted = "sync/Deleted?$select=ID,Timestamp,EntityType,EntityKey,DeletedDate,Division&$filter="
	if _, rows := r.rows(t, deleted+"Timestamp gt 1"); len(rows) != 0 {
		t.Fatalf("the log of a fresh division has %d rows", len(rows))
	}
	r.del(t, "Contacts", con)
	r.del(t, "Accounts", lone)

	var rows []map[string]any
	t.Run("a DELETE logs EntityType and EntityKey", func(t *testing.T) {
		_, rows = r.rows(t, deleted+"Timestamp gt 1")
		if len(rows) != 2 {
			t.Fatalf("got %d rows, want 2", len(rows))
		}
		for i, want := range []struct {
			typ string
			key string
		}{{"5", con}, {"2", lone}} {
			row := rows[i]
			if n, ok := row["EntityType"].(json.Number); !ok || n.String() != want.typ || row["EntityKey"] != want.key {
				t.Fatalf("row %d = %v, want EntityType %s and EntityKey %s", i, row, want.typ, want.key)
			}
			if n, ok := row["Division"].(json.Number); !ok || n.String() != strconv.Itoa(testDivision) {
				t.Fatalf("Division = %#v", row["Division"])
			}
			if row["DeletedDate"] != restDate(time.Date(2026, 6, 25, 16, 24, 0, 0, time.UTC)) {
				t.Fatalf("DeletedDate = %v", row["DeletedDate"])
			}
			restTS(t, row)
		}
		if restTS(t, rows[1]) <= restTS(t, rows[0]) {
			t.Fatal("the log is not in Timestamp order")
		}
		if resp, body := r.get(t, "crm/Contacts(guid'"+con+"')"); resp.StatusCode != 404 {
			t.Fatalf("the deleted contact still answers %d %s", resp.StatusCode, body)
		}
	})

	t.Run("EntityType eq filters the log", func(t *testing.T) {
		for typ, want := range map[string]string{"5": con, "2": lone} {
			_, got := r.rows(t, deleted+"Timestamp gt 1L and EntityType eq "+typ)
			if len(got) != 1 || got[0]["EntityKey"] != want {
				t.Fatalf("EntityType %s: %v", typ, got)
			}
		}
		_, got := r.rows(t, deleted+"Timestamp gt "+strconv.FormatInt(restTS(t, rows[0]), 10))
		if len(got) != 1 || got[0]["EntityKey"] != lone {
			t.Fatalf("after the first row: %v", got)
		}
	})

	t.Run("refuses other filters and a missing $select", func(t *testing.T) {
		resp, body := r.get(t, "sync/Deleted?$select=ID&$filter=EntityKey eq guid'"+con+"'")
		wantODataError(t, resp, body, 400, "Filtering on these fields is not supported: EntityKey")
		resp, body = r.get(t, "sync/Deleted?$filter=Timestamp gt 1")
		wantODataError(t, resp, body, 400, "Please add a $select or a $top=1 statement to the query string.")
	})

	t.Run("rows go after the retention", func(t *testing.T) {
		r.clock.Advance(59 * 24 * time.Hour)
		r.relogin()
		if _, got := r.rows(t, deleted+"Timestamp gt 1"); len(got) != 2 {
			t.Fatalf("after 59 days: %d rows, want 2", len(got))
		}
		r.clock.Advance(2 * 24 * time.Hour)
		r.relogin()
		if _, got := r.rows(t, deleted+"Timestamp gt 1"); len(got) != 0 {
			t.Fatalf("after 61 days: %d rows, want 0", len(got))
		}
	})
}

func TestFieldsCodePaddingNullsAndAliases(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	acc := r.create(t, "Accounts", map[string]any{"Name": "Opvulling B.V."})["ID"].(string)
	a := r.byKey(t, "Accounts", acc)

	t.Run("Code is left-padded to 18 characters", func(t *testing.T) {
		code, _ := a["Code"].(string)
		short := strings.TrimLeft(code, " ")
		if len(code) != 18 || short == "" || code != strings.Repeat(" ", 18-len(short))+short {
			t.Fatalf("Code = %q, want 18 characters padded with leading spaces", code)
		}
		if code != "                 1" {
			t.Fatalf("the first account of an empty division: Code = %q", code)
		}
		for filter, want := range map[string]int{"Code eq '" + code + "'": 1, "Code eq '" + short + "'": 0} {
			if _, rows := r.rows(t, "crm/Accounts?$select=ID&$filter="+url.QueryEscape(filter)); len(rows) != want {
				t.Fatalf("%s: %d rows, want %d", filter, len(rows), want)
			}
		}
	})

	t.Run("empty fields are null, not absent", func(t *testing.T) {
		for _, f := range []string{"Fax", "Website", "Email", "AddressLine3", "Parent", "VATNumber", "StartDate"} {
			v, ok := a[f]
			if !ok || v != nil {
				t.Fatalf("%s: present %v, value %#v, want null", f, ok, v)
			}
		}
		if b, ok := a["Blocked"].(bool); !ok || b {
			t.Fatalf("Blocked = %#v, want the JSON boolean false", a["Blocked"])
		}
	})

	con := r.create(t, "Contacts", map[string]any{"Account": acc, "LastName": "Dubbel"})["ID"].(string)
	for _, pair := range [][2]string{{"Email", "BusinessEmail"}, {"Phone", "BusinessPhone"}, {"Mobile", "BusinessMobile"}} {
		for _, dir := range [][2]string{pair, {pair[1], pair[0]}} {
			t.Run("contact "+dir[0]+" is also "+dir[1], func(t *testing.T) {
				value := "via-" + dir[0]
				r.put(t, "Contacts", con, `{"`+dir[0]+`":"`+value+`"}`)
				c := r.byKey(t, "Contacts", con)
				if c[dir[0]] != value || c[dir[1]] != value {
					t.Fatalf("%s = %v, %s = %v, want both %q", dir[0], c[dir[0]], dir[1], c[dir[1]], value)
				}
			})
		}
	}
}

func TestDatesAreAmsterdamWallClockAsUTC(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	id := r.create(t, "Accounts", map[string]any{"Name": "Tijd B.V."})["ID"].(string)

	t.Run("summer: UTC+2", func(t *testing.T) {
		a := r.byKey(t, "Accounts", id)
		want := restDate(time.Date(2026, 6, 25, 16, 24, 0, 0, time.UTC))
		if a["Modified"] != want || a["Created"] != want {
			t.Fatalf("Created %v, Modified %v, want %s (14:24 UTC is 16:24 in Amsterdam)", a["Created"], a["Modified"], want)
		}
	})

	t.Run("winter: UTC+1", func(t *testing.T) {
		r.clock.Set(time.Date(2027, 1, 15, 10, 0, 0, 0, time.UTC))
		r.relogin()
		r.put(t, "Accounts", id, `{"City":"Winterswijk"}`)
		a := r.byKey(t, "Accounts", id)
		if want := restDate(time.Date(2027, 1, 15, 11, 0, 0, 0, time.UTC)); a["Modified"] != want {
			t.Fatalf("Modified = %v, want %s", a["Modified"], want)
		}
		_, me := r.rows(t, "/api/v1/current/Me")
		if me[0]["ServerTime"] != "2027-01-15T11:00:00" || me[0]["ServerUtcOffset"] != json.Number("3600") {
			t.Fatalf("Me in winter: ServerTime %v, ServerUtcOffset %v", me[0]["ServerTime"], me[0]["ServerUtcOffset"])
		}
	})
}

func TestWrites(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)

	t.Run("POST answers 201 with the ID and the posted fields", func(t *testing.T) {
		d := r.create(t, "Accounts", map[string]any{"Name": "Nieuw B.V.", "City": "Utrecht"})
		if !slices.Equal(restKeys(d), []string{"City", "ID", "Name", "__metadata"}) {
			t.Fatalf("keys %v, want only ID and the posted fields", restKeys(d))
		}
		id, _ := d["ID"].(string)
		mustGUID(t, id)
		if d["Name"] != "Nieuw B.V." || d["City"] != "Utrecht" {
			t.Fatalf("echo %v", d)
		}
		meta := d["__metadata"].(map[string]any)
		if meta["uri"] != r.srv.URL+"/api/v1/"+strconv.Itoa(testDivision)+"/crm/Accounts(guid'"+id+"')" {
			t.Fatalf("__metadata.uri = %v", meta["uri"])
		}
	})

	t.Run("POST with Prefer return=representation answers every field", func(t *testing.T) {
		resp, body := r.call(t, http.MethodPost, "crm/Accounts", `{"Name":"Volledig B.V."}`, http.Header{"Prefer": {"return=representation"}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("want 201, got %d %s", resp.StatusCode, body)
		}
		d := restObject(t, body)
		full := r.byKey(t, "Accounts", d["ID"].(string))
		if !slices.Equal(restKeys(d), restKeys(full)) {
			t.Fatalf("POST answered %v, GET has %v", restKeys(d), restKeys(full))
		}
		if d["Fax"] != nil || d["Code"] != full["Code"] || d["Modified"] != full["Modified"] {
			t.Fatalf("representation differs from GET: %v", d)
		}
	})

	t.Run("every write bumps Modified and Timestamp", func(t *testing.T) {
		id := r.create(t, "Accounts", map[string]any{"Name": "Stempel B.V."})["ID"].(string)
		syncRow := func() map[string]any {
			_, rows := r.rows(t, "sync/CRM/Accounts?$select=ID,Modified,Timestamp&$filter=Timestamp gt 1")
			for _, row := range rows {
				if row["ID"] == id {
					return row
				}
			}
			t.Fatalf("%s is not in the sync listing", id)
			return nil
		}
		v0 := syncRow()
		r.clock.Advance(90 * time.Second)
		r.put(t, "Accounts", id, `{"Phone":"030 1234567"}`)
		v1 := syncRow()
		if restTS(t, v1) <= restTS(t, v0) {
			t.Fatalf("PUT: Timestamp %d, was %d", restTS(t, v1), restTS(t, v0))
		}
		if want := restDate(time.Date(2026, 6, 25, 16, 25, 30, 0, time.UTC)); v1["Modified"] != want || v0["Modified"] == want {
			t.Fatalf("PUT: Modified %v, was %v, want %s", v1["Modified"], v0["Modified"], want)
		}
		r.clock.Advance(90 * time.Second)
		r.del(t, "Accounts", id)
		_, log := r.rows(t, "sync/Deleted?$select=EntityKey,Timestamp,DeletedDate&$filter=Timestamp gt "+strconv.FormatInt(restTS(t, v1), 10)+"L")
		if len(log) != 1 || log[0]["EntityKey"] != id || log[0]["DeletedDate"] != restDate(time.Date(2026, 6, 25, 16, 27, 0, 0, time.UTC)) {
			t.Fatalf("DELETE: log after the update's Timestamp is %v", log)
		}
	})

	acc := r.create(t, "Accounts", map[string]any{"Name": "Houder B.V."})["ID"].(string)
	con := r.create(t, "Contacts", map[string]any{"Account": acc, "FirstName": "Piet", "LastName": "Houder"})["ID"].(string)

	t.Run("PUT changes only the given fields", func(t *testing.T) {
		r.put(t, "Contacts", con, `{"JobTitleDescription":"Inkoper"}`)
		c := r.byKey(t, "Contacts", con)
		if c["JobTitleDescription"] != "Inkoper" || c["FirstName"] != "Piet" || c["Account"] != acc {
			t.Fatalf("after PUT: %v", c)
		}
	})

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"unknown property in a POST", http.MethodPost, "crm/Accounts", `{"Name":"x","Bogus":1}`, 400, "Bogus"},
		{"unknown property in a PUT", http.MethodPut, "crm/Accounts(guid'" + acc + "')", `{"Bogus":1}`, 400, "Bogus"},
		{"a body that is not JSON", http.MethodPost, "crm/Accounts", `Name=x`, 400, ""},
		{"contact without Account", http.MethodPost, "crm/Contacts", `{"LastName":"Wees"}`, 400, "Account"},
		{"account without Name", http.MethodPost, "crm/Accounts", `{"City":"Ede"}`, 400, "Name"},
		{"deleting an account that has contacts", http.MethodDelete, "crm/Accounts(guid'" + acc + "')", "", 400, ""},
		{"PUT of a missing record", http.MethodPut, "crm/Accounts(guid'0badc0de-0000-4000-8000-000000000000')", `{"City":"Ede"}`, 404, ""},
		{"DELETE of a missing record", http.MethodDelete, "crm/Contacts(guid'0badc0de-0000-4000-8000-000000000000')", "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := r.call(t, tc.method, tc.path, tc.body, nil)
			if msg := wantODataError(t, resp, body, tc.status, ""); !strings.Contains(msg, tc.contains) {
				t.Fatalf("message %q does not mention %q", msg, tc.contains)
			}
		})
	}

	t.Run("the refused delete left the account, the contact's delete frees it", func(t *testing.T) {
		r.byKey(t, "Accounts", acc)
		r.del(t, "Contacts", con)
		r.del(t, "Accounts", acc)
		if resp, _ := r.get(t, "crm/Accounts(guid'"+acc+"')"); resp.StatusCode != 404 {
			t.Fatalf("deleted account answers %d", resp.StatusCode)
		}
	})
}

func TestUnknownEndpointsAndMethods(t *testing.T) {
	r := newRestEnv(t, Options{}, 0, 0)
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"unknown entity", http.MethodGet, "crm/Nonsense", 404},
		{"unknown module", http.MethodGet, "foo/Bar?$filter=ID eq 1", 404},
		{"POST on sync accounts", http.MethodPost, "sync/CRM/Accounts", 405},
		{"POST on sync contacts", http.MethodPost, "sync/CRM/Contacts", 405},
		{"DELETE on sync/Deleted", http.MethodDelete, "sync/Deleted", 405},
		{"POST on bulk", http.MethodPost, "bulk/CRM/Accounts", 405},
		{"POST on $count", http.MethodPost, "crm/Accounts/$count", 405},
		{"PUT without a key", http.MethodPut, "crm/Accounts", 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == http.MethodPost || tc.method == http.MethodPut {
				body = `{"Name":"x"}`
			}
			resp, raw := r.call(t, tc.method, tc.path, body, nil)
			wantODataError(t, resp, raw, tc.status, "")
		})
	}
}
