package exactsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The tests in this file hold the simulator to what recorded answers of the
// real Exact Online show (issue 14): one test per difference found.

// rowKeys returns the property names of each row of a collection answer
// in the order the body lists them.
func rowKeys(t *testing.T, body string) [][]string {
	t.Helper()
	var env struct {
		D struct {
			Results []json.RawMessage `json:"results"`
		} `json:"d"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("not a collection: %v: %.200s", err, body)
	}
	var out [][]string
	for _, raw := range env.D.Results {
		dec := json.NewDecoder(bytes.NewReader(raw))
		var keys []string
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, keys)
	}
	return out
}

// Item 1: fixed-width codes come padded; filters match them unpadded.
func TestConformancePaddedCodes(t *testing.T) {
	r := newRestEnv(t, Options{}, 40, 40)
	id := r.create(t, "Accounts", map[string]any{"Name": "Breedte B.V.", "Country": "NL", "Language": "NL", "State": "UT"})["ID"].(string)
	_, rows := r.rows(t, "crm/Accounts?$select=ID,Code,Country,Language,State&$filter=ID eq guid'"+id+"' and Country eq 'NL'")
	if len(rows) != 1 {
		t.Fatalf("Country eq 'NL' must match the padded column: %v", rows)
	}
	for field, want := range map[string]string{"Country": "NL ", "Language": "NL        ", "State": "UT "} {
		if rows[0][field] != want {
			t.Errorf("%s = %q, want %q", field, rows[0][field], want)
		}
	}
	if code, _ := rows[0]["Code"].(string); len(code) != 18 || strings.TrimSpace(code) == "" || code[0] != ' ' {
		t.Errorf("Code = %q, want left-padded to 18", code)
	}
	_, contacts := r.rows(t, "crm/Contacts?$select=ID,Country&$filter="+zeroGUIDFilter)
	padded := 0
	for _, c := range contacts {
		if c["Country"] == nil {
			continue
		}
		if s, _ := c["Country"].(string); len(s) != 3 || s[2] != ' ' {
			t.Fatalf("contact Country = %q, want padded to three", c["Country"])
		}
		padded++
	}
	if padded == 0 {
		t.Fatal("no contact has a Country")
	}
}

// Item 2: system/Divisions rows as recorded, 60 a page, $select honoured;
// an accountant sees hundreds.
func TestConformanceDivisions(t *testing.T) {
	e := newEnv(t, Options{MinutelyLimit: -1, DailyLimit: -1}, 0, 0)
	codes := make([]int, 0, 300)
	for i := range 300 {
		codes = append(codes, 500000+i*7)
	}
	if _, err := e.sim.AddUser("accountant", "boekhouder", codes...); err != nil {
		t.Fatal(err)
	}
	r := &restEnv{env: e, tok: e.loginUser("accountant", "boekhouder").access}
	first := "/api/v1/" + strconv.Itoa(codes[0]) + "/system/Divisions?$select=Description,Code"
	rows, sizes, links := r.walk(t, first)
	if !slices.Equal(sizes, []int{60, 60, 60, 60, 60}) || len(rows) != 300 {
		t.Fatalf("pages %v, want five of 60", sizes)
	}
	for _, l := range links {
		if !strings.HasPrefix(l, e.srv.URL+"/api/v1/") || !strings.Contains(l, "$select=Description,Code") {
			t.Errorf("__next %q: want an absolute link that repeats $select", l)
		}
	}
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row["Code"].(json.Number).String()] = true
	}
	if len(seen) != 300 {
		t.Fatalf("%d distinct divisions over the pages, want 300", len(seen))
	}
	resp, body := r.get(t, first)
	if keys := rowKeys(t, body)[0]; !slices.Equal(keys, []string{"__metadata", "Code", "Description"}) {
		t.Errorf("selected row keys %v, want the key first, then alphabetical", keys)
	}
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}

	_, all := r.rows(t, "/api/v1/"+strconv.Itoa(codes[0])+"/system/Divisions?$filter=Code eq "+strconv.Itoa(codes[0]))
	if len(all) != 1 {
		t.Fatalf("$filter=Code eq …: %d rows", len(all))
	}
	row := all[0]
	meta := row["__metadata"].(map[string]any)
	if meta["type"] != "Exact.Web.Api.Models.System.Division" {
		t.Errorf("type %v", meta["type"])
	}
	if hid, _ := row["Hid"].(string); hid == "" || strings.Trim(hid, "0123456789") != "" || row["IsMainDivision"] != true || row["BlockingStatus"] != json.Number("0") ||
		row["Country"] != "NL " || row["DivisionMoveDate"] != nil || row["Current"] != true {
		t.Errorf("row %v: want Hid an Int64 string, IsMainDivision, BlockingStatus 0, Country \"NL \", DivisionMoveDate null, Current", row)
	}
	for _, invented := range []string{"Main", "Blocked", "HID"} {
		if _, ok := row[invented]; ok {
			t.Errorf("the row has %s, which real rows do not", invented)
		}
	}
	_, body = r.get(t, "/api/v1/"+strconv.Itoa(codes[0])+"/system/Divisions?$top=1")
	keys := rowKeys(t, body)[0][1:]
	if !slices.IsSortedFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
		t.Errorf("full row keys %v, want alphabetical", keys)
	}
	resp, body = r.get(t, "/api/v1/"+strconv.Itoa(codes[0])+"/system/Divisions?$select=Main")
	wantODataError(t, resp, body, 400, "Could not find a property named 'Main'")
}

// Item 3: a first sync call without $filter reads everything.
func TestConformanceSyncWithoutFilter(t *testing.T) {
	r := newRestEnv(t, Options{}, 30, 30)
	for _, set := range []string{"sync/CRM/Accounts", "sync/CRM/Contacts", "sync/Deleted"} {
		_, plain := r.rows(t, set+"?$select=ID,Timestamp")
		_, filtered := r.rows(t, set+"?$select=ID,Timestamp&$filter=Timestamp gt 1L")
		if len(plain) == 0 || len(plain) != len(filtered) {
			t.Errorf("%s without $filter: %d rows, with Timestamp gt 1: %d", set, len(plain), len(filtered))
		}
	}
}

// Item 4: a seeded division's deletion log holds two months of history of
// several entity types, with rowversions around 10^12 and gaps.
func TestConformanceDeletedHistory(t *testing.T) {
	r := newRestEnv(t, Options{}, 200, 600)
	log, _, _ := r.walk(t, "sync/Deleted?$select=ID,Timestamp,EntityType,EntityKey,DeletedDate&$filter=Timestamp gt 1L")
	if len(log) < 50 {
		t.Fatalf("%d history rows, want a log of some size", len(log))
	}
	types := map[string]int{}
	var oldest, newest int64
	gaps := 0
	for i, row := range log {
		types[row["EntityType"].(json.Number).String()]++
		ts := restTS(t, row)
		if ts < 1_000_000_000_000 {
			t.Fatalf("Timestamp %d, want around 10^12", ts)
		}
		if i > 0 && ts > restTS(t, log[i-1])+1 {
			gaps++
		}
		ms, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(row["DeletedDate"].(string), "/Date("), ")/"), 10, 64)
		if err != nil {
			t.Fatalf("DeletedDate %v", row["DeletedDate"])
		}
		if i == 0 || ms < oldest {
			oldest = ms
		}
		newest = max(newest, ms)
	}
	if types["2"] == 0 || types["5"] == 0 || len(types) < 4 {
		t.Errorf("entity types %v: want accounts, contacts and others", types)
	}
	if gaps < len(log)/2 {
		t.Errorf("%d gaps in %d rowversions, want most of them apart", gaps, len(log))
	}
	span := time.Duration(newest-oldest) * time.Millisecond
	if span < 45*24*time.Hour || span > 60*24*time.Hour {
		t.Errorf("the history spans %s, want about two months", span)
	}
	_, accounts := r.rows(t, "sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1L")
	if ts := restTS(t, accounts[0]); ts <= restTS(t, log[len(log)-1]) {
		t.Errorf("the first account's Timestamp %d is not after the history", ts)
	}
}

// Item 5: __next is absolute and repeats $select; by switch every name
// and value is percent-encoded, and the link still pages.
func TestConformanceNextLinks(t *testing.T) {
	const first = "crm/Accounts?$select=ID,Name&$filter=" + zeroGUIDFilter
	t.Run("default", func(t *testing.T) {
		r := newRestEnv(t, Options{}, 130, 0)
		_, sizes, links := r.walk(t, first)
		if !slices.Equal(sizes, []int{60, 60, 10}) {
			t.Fatalf("pages %v", sizes)
		}
		if !strings.HasPrefix(links[0], r.srv.URL+"/api/v1/123456/crm/Accounts?") || !strings.Contains(links[0], "$select=ID,Name") ||
			!strings.Contains(links[0], "$skiptoken=guid'") {
			t.Errorf("__next %s", links[0])
		}
	})
	t.Run("EncodeNextLinks", func(t *testing.T) {
		r := newRestEnv(t, Options{EncodeNextLinks: true}, 130, 0)
		rows, sizes, links := r.walk(t, first)
		if !slices.Equal(sizes, []int{60, 60, 10}) || len(rows) != 130 {
			t.Fatalf("pages %v", sizes)
		}
		for _, l := range links {
			if !regexp.MustCompile(`\?%24filter=[^&$' ]+&%24select=ID%2CName&%24skiptoken=guid%27[0-9a-f-]{36}%27$`).MatchString(l) {
				t.Errorf("__next %s: want every name and value percent-encoded", l)
			}
		}
	})
}

// Item 6: the key first, then alphabetical; escaped dates by switch; a
// front-end 5xx is an HTML page while the application's 500 is OData JSON.
func TestConformanceOrderDatesAndErrorPages(t *testing.T) {
	r := newRestEnv(t, Options{}, 5, 5)
	_, body := r.get(t, "crm/Contacts?$select=Phone,Modified,ID,LastName,FullName,FirstName,Email,Account&$filter="+zeroGUIDFilter)
	want := []string{"__metadata", "ID", "Account", "Email", "FirstName", "FullName", "LastName", "Modified", "Phone"}
	if keys := rowKeys(t, body)[0]; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	_, body = r.get(t, "crm/Accounts?$filter="+zeroGUIDFilter)
	keys := rowKeys(t, body)[0][1:]
	if !slices.IsSortedFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
		t.Errorf("a full row lists %v, want alphabetical", keys)
	}

	esc := newRestEnv(t, Options{EscapeDateSlashes: true}, 5, 5)
	_, body = esc.get(t, "crm/Accounts?$select=ID,Modified&$filter="+zeroGUIDFilter)
	if !strings.Contains(body, `"Modified":"\/Date(`) || !strings.Contains(body, `)\/"`) {
		t.Errorf("EscapeDateSlashes: %.200s", body)
	}
	_, rows := esc.rows(t, "crm/Accounts?$select=ID,Modified&$filter="+zeroGUIDFilter)
	if m, _ := rows[0]["Modified"].(string); !strings.HasPrefix(m, "/Date(") {
		t.Errorf("escaped date decodes to %q", m)
	}

	for _, tc := range []struct {
		status int
		html   bool
	}{{500, false}, {502, true}, {503, true}, {504, true}} {
		if _, err := r.sim.AddFault(Fault{Kind: FaultStatus, Status: tc.status, Count: 1, Path: "sync/CRM"}); err != nil {
			t.Fatal(err)
		}
		resp, body := r.get(t, "sync/CRM/Accounts?$select=ID&$filter=Timestamp gt 1L")
		isHTML := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && strings.HasPrefix(body, "<!DOCTYPE html>")
		if resp.StatusCode != tc.status || isHTML != tc.html {
			t.Errorf("fault %d: got %d %s %.80s, want HTML %v", tc.status, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.html)
		}
	}
}

// Item 7: phone fields as people leave them reach the client intact, and
// some contacts live in another country than their account.
func TestConformanceMessyPhoneFields(t *testing.T) {
	r := newRestEnv(t, Options{}, 400, 1600)
	accounts, _, _ := r.walk(t, "sync/CRM/Accounts?$select=ID,Country,Phone&$filter=Timestamp gt 1L")
	contacts, _, _ := r.walk(t, "sync/CRM/Contacts?$select=ID,Account,Country,Phone,Mobile&$filter=Timestamp gt 1L")
	country := map[string]string{}
	kinds := map[string]int{}
	see := func(v any) {
		s, _ := v.(string)
		switch {
		case strings.ContainsAny(s, "\u00a0\u202f"):
			kinds["non-breaking space"]++
		case strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) >= 0:
			kinds["format character"]++
		case regexp.MustCompile(`^[A-Za-zé.: ]+[:.] ?[+0(]`).MatchString(s):
			kinds["label"]++
		case regexp.MustCompile(`\d \([^)0-9]*[a-z][^)]*\)$`).MatchString(s):
			kinds["remark"]++
		case s == "n.v.t." || s == "-" || s == "onbekend" || s == "nvt":
			kinds["placeholder"]++
		case strings.Contains(s, " tst") || strings.Contains(s, " toestel ") || strings.Contains(s, " x"):
			kinds["extension"]++
		case strings.Contains(s, "(0)"):
			kinds["(0)"]++
		case strings.HasPrefix(s, "0031") || strings.HasPrefix(s, "0032"):
			kinds["00 prefix"]++
		}
	}
	for _, a := range accounts {
		country[a["ID"].(string)] = strings.TrimSpace(text(a["Country"]))
		see(a["Phone"])
	}
	abroad := 0
	for _, c := range contacts {
		see(c["Phone"])
		see(c["Mobile"])
		own, theirs := strings.TrimSpace(text(c["Country"])), country[c["Account"].(string)]
		if own != "" && theirs != "" && own != theirs && c["Mobile"] != nil && c["Phone"] == nil {
			abroad++
		}
	}
	t.Logf("phone fields by kind: %v; %d contacts live abroad", kinds, abroad)
	for _, k := range []string{"non-breaking space", "format character", "label", "remark", "placeholder", "extension", "(0)", "00 prefix"} {
		if kinds[k] == 0 {
			t.Errorf("no phone field with a %s among %d records: %v", k, len(accounts)+len(contacts), kinds)
		}
	}
	if abroad == 0 {
		t.Error("no contact lives in another country than their account")
	}
}

func text(v any) string {
	s, _ := v.(string)
	return s
}

// Item 8: codes and refresh tokens shaped as recorded, the '!' encoded in
// the redirect, the token answer's cache headers, Me.UserName an e-mail.
func TestConformanceTokenDetails(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	b := e.browser()
	loc := e.consent(b, "", "s1")
	shape := regexp.MustCompile(`^[A-Za-z0-9_-]{4}!IAAAA[A-Za-z0-9_!-]+$`)
	code := loc.Query().Get("code")
	if !shape.MatchString(code) || !strings.Contains(loc.RawQuery, code[:4]+"%21IAAAA") {
		t.Errorf("redirect %s: want a code like XTzM!IAAAA… with the ! as %%21", loc)
	}
	resp, m := e.exchange("", code)
	if resp.StatusCode != 200 {
		t.Fatalf("exchange: %d %v", resp.StatusCode, m)
	}
	if rt, _ := m["refresh_token"].(string); !shape.MatchString(rt) {
		t.Errorf("refresh_token %q, want like 4dCx!IAAAA…", rt)
	}
	if resp.Header.Get("Cache-Control") != "private" || resp.Header.Get("Pragma") != "no-cache" {
		t.Errorf("token answer headers Cache-Control %q, Pragma %q", resp.Header.Get("Cache-Control"), resp.Header.Get("Pragma"))
	}
	if name, _ := e.me(m["access_token"].(string))["UserName"].(string); !strings.Contains(name, "@") {
		t.Errorf("Me.UserName %q, want an e-mail address", name)
	}
	if resp, _ := e.exchange("", code); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a code works once: second exchange %d", resp.StatusCode)
	}
}
