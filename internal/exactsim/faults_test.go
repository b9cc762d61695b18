package exactsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Paths the fault tests aim at; faults narrowed to "sync/CRM" hit the
// first two and spare the third.
const (
	faultSyncAccounts = "/api/v1/123456/sync/CRM/Accounts?$filter=Timestamp%20gt%201L&$select=ID,Timestamp"
	faultSyncContacts = "/api/v1/123456/sync/CRM/Contacts?$filter=Timestamp%20gt%201L&$select=ID,Timestamp"
)

var faultSpared = meteredPath(testDivision)

// simCall calls the admin API under /_sim/.
func (e *env) simCall(method, path, body string) (*http.Response, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, readAll(e.t, resp)
}

// simError returns the message of an admin API error body.
func simError(t *testing.T, body string) string {
	t.Helper()
	var m struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Error == "" {
		t.Fatalf("not an admin error body: %q", body)
	}
	return m.Error
}

// armFault arms f through the Go API or through POST /_sim/faults, so each
// fault test covers both switches.
func (e *env) armFault(viaAdmin bool, f Fault) Fault {
	e.t.Helper()
	if !viaAdmin {
		armed, err := e.sim.AddFault(f)
		if err != nil {
			e.t.Fatal(err)
		}
		return armed
	}
	spec := map[string]any{"kind": f.Kind}
	if f.Count != 0 {
		spec["count"] = f.Count
	}
	if f.Path != "" {
		spec["path"] = f.Path
	}
	if f.ClientID != "" {
		spec["client_id"] = f.ClientID
	}
	if f.Status != 0 {
		spec["status"] = f.Status
	}
	if f.Reason != "" {
		spec["reason"] = f.Reason
	}
	if f.Delay != 0 {
		spec["delay"] = f.Delay.String()
	}
	b, _ := json.Marshal(spec)
	resp, body := e.simCall("POST", "/_sim/faults", string(b))
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("POST /_sim/faults %s: %d %s", b, resp.StatusCode, body)
	}
	var armed Fault
	if err := json.Unmarshal([]byte(body), &armed); err != nil || armed.ID == 0 || armed.Kind != f.Kind {
		e.t.Fatalf("POST /_sim/faults answered %s", body)
	}
	return armed
}

// faultEnv is a simulator with three accounts and a signed-in app. The
// error budget is off: these tests provoke many 4xx on purpose.
func faultEnv(t *testing.T, opts Options) (*env, tokens) {
	if opts.ErrorsPerHour == 0 {
		opts.ErrorsPerHour = -1
	}
	e := newEnv(t, opts, 3, 3)
	return e, e.login()
}

func viaBoth(t *testing.T, test func(t *testing.T, viaAdmin bool)) {
	t.Run("AddFault", func(t *testing.T) { test(t, false) })
	t.Run("admin", func(t *testing.T) { test(t, true) })
}

func TestFaultStatusBurst(t *testing.T) {
	viaBoth(t, func(t *testing.T, viaAdmin bool) {
		e, tok := faultEnv(t, Options{})
		_, normal := e.api(tok.access, "GET", faultSyncAccounts, "")
		e.armFault(viaAdmin, Fault{Kind: FaultStatus, Status: 503, Count: 3, Path: "sync/CRM"})
		for i := 1; i <= 3; i++ {
			// The narrowed fault spares other endpoints and does not spend
			// its uses on them.
			if resp, _ := e.api(tok.access, "GET", faultSpared, ""); resp.StatusCode != 200 {
				t.Fatalf("spared endpoint during the burst: %d", resp.StatusCode)
			}
			// A 503 comes from the front end, so it is an HTML page.
			resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
			if resp.StatusCode != 503 || !strings.HasPrefix(body, "<!DOCTYPE html>") || !strings.Contains(body, "503 Service Unavailable") {
				t.Fatalf("call %d: want 503 with an HTML page, got %d %s", i, resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
				t.Errorf("Content-Type %q", ct)
			}
			// A 5xx is still a metered call.
			if got := resp.Header.Get("X-RateLimit-Minutely-Remaining"); got == "" {
				t.Errorf("call %d: no rate-limit headers on the 503", i)
			}
		}
		resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
		if resp.StatusCode != 200 || body != normal {
			t.Fatalf("after the burst: want the normal page, got %d %.200s", resp.StatusCode, body)
		}
		if f := e.sim.Faults(); len(f) != 0 {
			t.Fatalf("a spent fault must be gone, still armed: %+v", f)
		}
	})
}

func TestFaultRequestTimeout408(t *testing.T) {
	viaBoth(t, func(t *testing.T, viaAdmin bool) {
		e, tok := faultEnv(t, Options{})
		e.armFault(viaAdmin, Fault{Kind: FaultStatus, Status: 408, Count: 1})
		resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
		if resp.StatusCode != 408 || odataMessage(t, body) != "The request is too broad: add filters or select fewer records." {
			t.Fatalf("want 408 request too broad, got %d %s", resp.StatusCode, body)
		}
		if resp, _ := e.api(tok.access, "GET", faultSyncAccounts, ""); resp.StatusCode != 200 {
			t.Fatalf("after one 408: %d", resp.StatusCode)
		}
	})
}

func TestFaultSlow(t *testing.T) {
	viaBoth(t, func(t *testing.T, viaAdmin bool) {
		e, tok := faultEnv(t, Options{})
		_, normal := e.api(tok.access, "GET", faultSyncAccounts, "")
		const delay = 100 * time.Millisecond
		e.armFault(viaAdmin, Fault{Kind: FaultSlow, Delay: delay, Count: 1})
		start := time.Now()
		resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
		if took := time.Since(start); took < delay {
			t.Fatalf("the slow answer took %s, want at least %s", took, delay)
		}
		if resp.StatusCode != 200 || body != normal {
			t.Fatalf("a slow answer is otherwise normal, got %d %.200s", resp.StatusCode, body)
		}
	})
}

func TestFaultDamagedBodies(t *testing.T) {
	for _, kind := range []FaultKind{FaultTruncate, FaultMalformed} {
		t.Run(string(kind), func(t *testing.T) {
			viaBoth(t, func(t *testing.T, viaAdmin bool) {
				e, tok := faultEnv(t, Options{})
				_, normal := e.api(tok.access, "GET", faultSyncAccounts, "")
				e.armFault(viaAdmin, Fault{Kind: kind, Count: 1})
				resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				if json.Valid([]byte(body)) {
					t.Fatalf("the body must not parse: %s", body)
				}
				if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
					t.Fatalf("Content-Length %s for a body of %d bytes", cl, len(body))
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type %q: the damage must hide behind a JSON content type", ct)
				}
				if kind == FaultTruncate && body != normal[:len(normal)/2] {
					t.Fatalf("want the first half of the page,\n got %s\nfull %s", body, normal)
				}
				if _, body := e.api(tok.access, "GET", faultSyncAccounts, ""); body != normal {
					t.Fatalf("the next answer is whole again: %.200s", body)
				}
			})
		})
	}
}

func TestFaultLoopNext(t *testing.T) {
	viaBoth(t, func(t *testing.T, viaAdmin bool) {
		e, tok := faultEnv(t, Options{})
		e.armFault(viaAdmin, Fault{Kind: FaultLoopNext, Count: 2})
		target := e.srv.URL + faultSyncAccounts
		for i := 1; i <= 2; i++ {
			resp, body := e.api(tok.access, "GET", target, "")
			p := decodePage(t, body)
			if resp.StatusCode != 200 || len(p.D.Results) != 3 {
				t.Fatalf("call %d: %d with %d rows", i, resp.StatusCode, len(p.D.Results))
			}
			if p.D.Next != target {
				t.Fatalf("call %d: __next = %q, want the request URL %q", i, p.D.Next, target)
			}
			target = p.D.Next
		}
		_, body := e.api(tok.access, "GET", target, "")
		if p := decodePage(t, body); p.D.Next != "" {
			t.Fatalf("after the fault the last page has no __next, got %q", p.D.Next)
		}
	})
}

func TestFaultUnauthorized(t *testing.T) {
	for _, tc := range []struct {
		kind FaultKind
		html bool
	}{{FaultUnauthorized, false}, {FaultUnauthorizedHTML, true}} {
		t.Run(string(tc.kind), func(t *testing.T) {
			viaBoth(t, func(t *testing.T, viaAdmin bool) {
				e, tok := faultEnv(t, Options{})
				e.armFault(viaAdmin, Fault{Kind: tc.kind, Count: 1})
				resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
				checkUnauthorized(t, resp, body, tc.html, "/docs/Login.aspx?ReturnUrl=%2fapi%2fv1%2f123456%2fsync%2fCRM%2fAccounts")
				// The fault mimics an expiry without causing one.
				if resp, _ := e.api(tok.access, "GET", faultSyncAccounts, ""); resp.StatusCode != 200 {
					t.Fatalf("the token must still work: %d", resp.StatusCode)
				}
			})
		})
	}
}

// checkUnauthorized asserts Exact's 401: the WWW-Authenticate hint and
// either an empty body or the "Object moved" page pointing at location.
func checkUnauthorized(t *testing.T, resp *http.Response, body string, html bool, location string) {
	t.Helper()
	if resp.StatusCode != 401 {
		t.Fatalf("want 401, got %d %s", resp.StatusCode, body)
	}
	if wa := resp.Header.Get("WWW-Authenticate"); !strings.Contains(wa, "access token expired") {
		t.Errorf("WWW-Authenticate = %q", wa)
	}
	if !html {
		if body != "" || resp.Header.Get("Location") != "" {
			t.Fatalf("want an empty body and no Location, got %q, Location %q", body, resp.Header.Get("Location"))
		}
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	if got := resp.Header.Get("Location"); got != location {
		t.Errorf("Location %q, want %q", got, location)
	}
	if !strings.Contains(body, "<title>Object moved</title>") || !strings.Contains(body, `<a href="`+location+`">here</a>`) {
		t.Fatalf("want the Object moved page linking %s, got %s", location, body)
	}
}

func TestFaultForbiddenReasons(t *testing.T) {
	for _, reason := range []string{"BlockedUser", "InactiveUser", "BlockedCustomer", "LicenseExpired", "DivisionBlocked", "NoDivisionAccess", "ScopeViolation", ""} {
		name := reason
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			viaBoth(t, func(t *testing.T, viaAdmin bool) {
				e, tok := faultEnv(t, Options{})
				armed := e.armFault(viaAdmin, Fault{Kind: FaultForbidden, Reason: reason, Count: 1})
				resp, body := e.api(tok.access, "GET", faultSyncAccounts, "")
				if resp.StatusCode != 403 {
					t.Fatalf("want 403, got %d %s", resp.StatusCode, body)
				}
				wantReason, wantMsg := reason, "Forbidden"
				switch reason {
				case "":
					wantReason = "NoDivisionAccess"
				case "ScopeViolation":
					// picqer#509: the scope 403 says so in the body, not in a Reason header.
					wantReason, wantMsg = "", "Forbidden - Application Scope Violated. Cannot read"
				}
				if reason == "" && armed.Reason != "NoDivisionAccess" {
					t.Errorf("the armed rule shows reason %q, want the default NoDivisionAccess", armed.Reason)
				}
				if got := resp.Header.Values("Reason"); (wantReason == "" && len(got) != 0) || (wantReason != "" && (len(got) != 1 || got[0] != wantReason)) {
					t.Errorf("Reason header %q, want %q", got, wantReason)
				}
				if got := odataMessage(t, body); got != wantMsg {
					t.Errorf("message %q, want %q", got, wantMsg)
				}
			})
		})
	}
}

func TestFaultCountZeroLastsUntilRemoved(t *testing.T) {
	e, tok := faultEnv(t, Options{})
	armed := e.armFault(true, Fault{Kind: FaultStatus, Status: 502, Path: "sync/CRM/Accounts"})
	for i := 0; i < 5; i++ {
		if resp, _ := e.api(tok.access, "GET", faultSyncAccounts, ""); resp.StatusCode != 502 {
			t.Fatalf("call %d: want 502, got %d", i, resp.StatusCode)
		}
	}
	resp, body := e.simCall("GET", "/_sim/faults", "")
	var listed []Fault
	if err := json.Unmarshal([]byte(body), &listed); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /_sim/faults: %d %s", resp.StatusCode, body)
	}
	if len(listed) != 1 || listed[0].ID != armed.ID || listed[0].Used != 5 || listed[0].Count != 0 {
		t.Fatalf("GET /_sim/faults = %+v, want rule %d used 5 times", listed, armed.ID)
	}
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/_sim/faults/" + strconv.Itoa(armed.ID+100), `"removed": 0`, 200},
		{"/_sim/faults/" + strconv.Itoa(armed.ID), `"removed": 1`, 200},
		{"/_sim/faults/" + strconv.Itoa(armed.ID), `"removed": 0`, 200},
		{"/_sim/faults/first", `"error": "the fault id must be a positive number"`, 400},
		{"/_sim/faults/0", `"error": "the fault id must be a positive number"`, 400},
	} {
		resp, body := e.simCall("DELETE", tc.path, "")
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Fatalf("DELETE %s: want %d %s, got %d %s", tc.path, tc.status, tc.want, resp.StatusCode, body)
		}
	}
	if resp, _ := e.api(tok.access, "GET", faultSyncAccounts, ""); resp.StatusCode != 200 {
		t.Fatalf("after DELETE /_sim/faults/{id}: %d", resp.StatusCode)
	}

	e.armFault(true, Fault{Kind: FaultStatus, Status: 500})
	e.armFault(false, Fault{Kind: FaultMalformed, Count: 4})
	resp, body = e.simCall("DELETE", "/_sim/faults", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"removed": 2`) {
		t.Fatalf("DELETE /_sim/faults: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.api(tok.access, "GET", faultSyncAccounts, ""); resp.StatusCode != 200 {
		t.Fatalf("after DELETE /_sim/faults: %d", resp.StatusCode)
	}
	if n := e.sim.ClearFaults(0); n != 0 {
		t.Fatalf("ClearFaults found %d rules left", n)
	}
}

func TestFaultNarrowedByPathAndClient(t *testing.T) {
	viaBoth(t, func(t *testing.T, viaAdmin bool) {
		e, tok := faultEnv(t, Options{})
		other, otherTok := e.loginSecondApp("Other integration", "https://other.example.org/cb")
		e.armFault(viaAdmin, Fault{Kind: FaultStatus, Status: 500, Path: "sync/crm/contacts", ClientID: other.ClientID.String()})
		for _, tc := range []struct {
			name, tok, path string
			want            int
		}{
			{"first app, contacts", tok.access, faultSyncContacts, 200},
			{"other app, accounts", otherTok.access, faultSyncAccounts, 200},
			{"other app, contacts", otherTok.access, faultSyncContacts, 500},
			{"other app, contacts on the Belgian host", otherTok.access, "/be" + faultSyncContacts, 401},
		} {
			if resp, body := e.api(tc.tok, "GET", tc.path, ""); resp.StatusCode != tc.want {
				t.Errorf("%s: want %d, got %d %.200s", tc.name, tc.want, resp.StatusCode, body)
			}
		}
		if f := e.sim.Faults(); len(f) != 1 || f[0].Used != 1 {
			t.Fatalf("only the matching call spends the rule: %+v", f)
		}
	})
}

func TestFaultSpecRejected(t *testing.T) {
	e, _ := faultEnv(t, Options{})
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unknown kind", `{"kind":"explode"}`, `unknown fault kind "explode"`},
		{"no kind", `{"status":503}`, `unknown fault kind ""`},
		{"status out of range", `{"kind":"status","status":200}`, `fault "status" needs a status between 400 and 599`},
		{"status missing", `{"kind":"status"}`, `fault "status" needs a status between 400 and 599`},
		{"slow without delay", `{"kind":"slow"}`, `fault "slow" needs a positive delay`},
		{"slow with a bad delay", `{"kind":"slow","delay":"soon"}`, "delay must be a duration such as 2s or 500ms"},
		{"unknown reason", `{"kind":"forbidden","reason":"Tuesday"}`, `fault "forbidden": reason must be one of BlockedUser, InactiveUser, BlockedCustomer, LicenseExpired, DivisionBlocked, NoDivisionAccess, ScopeViolation`},
		{"negative count", `{"kind":"truncate","count":-1}`, "fault count must be 0 (until removed) or more"},
		{"client id not a GUID", `{"kind":"truncate","client_id":"roger"}`, `fault client_id "roger" is not a GUID`},
		{"not JSON", `kind=status`, "the request body is not the expected JSON: "},
		{"count as text", `{"kind":"truncate","count":"3"}`, "the request body is not the expected JSON: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.simCall("POST", "/_sim/faults", tc.body)
			if resp.StatusCode != 400 || !strings.HasPrefix(simError(t, body), tc.want) {
				t.Fatalf("want 400 %q, got %d %s", tc.want, resp.StatusCode, body)
			}
		})
	}
	if _, err := e.sim.AddFault(Fault{Kind: FaultStatus, Status: 302}); err == nil {
		t.Error("AddFault accepted status 302")
	}
	if f := e.sim.Faults(); len(f) != 0 {
		t.Fatalf("refused specs must not be armed: %+v", f)
	}
}

func TestExpiredTokenAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		html bool
	}{{"empty body by default", false}, {"UnauthorizedHTML", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{UnauthorizedHTML: tc.html}, 0, 0)
			tok := e.login()
			e.clock.Advance(600 * time.Second)
			for _, c := range []struct{ path, location string }{
				{meteredPath(testDivision), "/docs/Login.aspx?ReturnUrl=%2fapi%2fv1%2f123456%2fsystem%2fDivisions"},
				{"/api/v1/current/Me", "/docs/Login.aspx?ReturnUrl=%2fapi%2fv1%2fcurrent%2fMe"},
				// The login page is on the host that was called.
				{"/be" + meteredPath(testDivision), "/be/docs/Login.aspx?ReturnUrl=%2fapi%2fv1%2f123456%2fsystem%2fDivisions"},
			} {
				resp, body := e.api(tok.access, "GET", c.path, "")
				checkUnauthorized(t, resp, body, tc.html, c.location)
				checkRateLimitHeaders(t, resp.Header, nil)
			}
			resp, body := e.api("", "GET", meteredPath(testDivision), "")
			checkUnauthorized(t, resp, body, tc.html, "/docs/Login.aspx?ReturnUrl=%2fapi%2fv1%2f123456%2fsystem%2fDivisions")
		})
	}
}
