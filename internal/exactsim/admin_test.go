package exactsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/clock"
)

// loginUser runs the OAuth flow with the harness app as another user.
func (e *env) loginUser(name, password string) tokens {
	e.t.Helper()
	b := e.browser()
	form := url.Values{"client_id": {e.app.ClientID.String()}, "redirect_uri": {e.app.RedirectURI}, "response_type": {"code"}, "state": {"s"},
		"username": {name}, "password": {password}}
	resp := e.do(b, "POST", e.srv.URL+"/api/oauth2/auth", form, nil)
	if body := readAll(e.t, resp); resp.StatusCode != 200 || !strings.Contains(body, `value="allow"`) {
		e.t.Fatalf("login as %s: want the consent page, got %d %.300s", name, resp.StatusCode, body)
	}
	form.Del("username")
	form.Del("password")
	form.Set("consent", "allow")
	resp = e.do(b, "POST", e.srv.URL+"/api/oauth2/auth", form, nil)
	readAll(e.t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	r, m := e.exchange("", loc.Query().Get("code"))
	if r.StatusCode != 200 {
		e.t.Fatalf("exchange as %s: %d %v", name, r.StatusCode, m)
	}
	return tokens{access: m["access_token"].(string), refresh: m["refresh_token"].(string)}
}

// me returns the one row of current/Me.
func (e *env) me(tok string) map[string]any {
	e.t.Helper()
	resp, body := e.api(tok, "GET", "/api/v1/current/Me", "")
	rows := decodePage(e.t, body).D.Results
	if resp.StatusCode != 200 || len(rows) != 1 {
		e.t.Fatalf("current/Me: %d %s", resp.StatusCode, body)
	}
	return rows[0]
}

// syncRow is one row of a sync or deleted page, Timestamp parsed.
type syncRow struct {
	ID, EntityKey string
	EntityType    float64
	TS            int64
}

// syncRows reads one page of a sync endpoint after ts.
func (e *env) syncRows(tok, endpoint, sel string, after int64) []syncRow {
	e.t.Helper()
	path := "/api/v1/123456/" + endpoint + "?$filter=Timestamp%20gt%20" + strconv.FormatInt(after, 10) + "L&$select=" + sel
	resp, body := e.api(tok, "GET", path, "")
	if resp.StatusCode != 200 {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var out []syncRow
	for _, r := range decodePage(e.t, body).D.Results {
		ts, err := strconv.ParseInt(r["Timestamp"].(string), 10, 64)
		if err != nil {
			e.t.Fatalf("Timestamp %v: %v", r["Timestamp"], err)
		}
		row := syncRow{TS: ts}
		row.ID, _ = r["ID"].(string)
		row.EntityKey, _ = r["EntityKey"].(string)
		row.EntityType, _ = r["EntityType"].(float64)
		out = append(out, row)
	}
	return out
}

func TestAdminSummaryHidesSecrets(t *testing.T) {
	e := newEnv(t, Options{}, 3, 2)
	tok := e.login()
	e.api(tok.access, "GET", meteredPath(testDivision), "")
	resp, body := e.simCall("GET", "/_sim/", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET /_sim/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, secret := range []string{testPassword, e.app.Secret, e.app.WebhookSecret, tok.access, tok.refresh, `"password"`, `"secret"`, `client_secret`, `webhook_secret`} {
		if strings.Contains(body, secret) {
			t.Errorf("the summary gives away %q: %s", secret, body)
		}
	}
	var sum Summary
	if err := json.Unmarshal([]byte(body), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Users) != 1 || sum.Users[0].Name != testUser || sum.Users[0].Current != testDivision ||
		len(sum.Users[0].Divisions) != 2 || sum.Users[0].Divisions[1] != testDivision2 {
		t.Errorf("users: %+v", sum.Users)
	}
	if len(sum.Apps) != 1 || sum.Apps[0].ClientID != e.app.ClientID.String() || sum.Apps[0].RedirectURI != testRedirect || sum.Apps[0].Name != e.app.Name {
		t.Errorf("apps: %+v", sum.Apps)
	}
	if len(sum.Divisions) != 2 || sum.Divisions[0].Code != testDivision || sum.Divisions[0].Accounts != 3 || sum.Divisions[0].Contacts != 2 ||
		sum.Divisions[1].Code != testDivision2 || sum.Divisions[1].Accounts != 0 || !sum.Divisions[0].MoveDate.IsZero() {
		t.Errorf("divisions: %+v", sum.Divisions)
	}
	if sum.Stats.APICalls != 1 || sum.Stats.TokenCalls != 1 {
		t.Errorf("stats: %+v", sum.Stats)
	}
}

func TestAdminAddsApps(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	resp, body := e.simCall("POST", "/_sim/apps", `{"name":"Portal","redirect_uri":"https://portal.example.org/cb"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sim/apps: %d %s", resp.StatusCode, body)
	}
	var created map[string]string
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	id := mustGUID(t, created["client_id"])
	var app *App
	for _, a := range e.sim.Apps() {
		if a.ClientID == id {
			app = &a
		}
	}
	if app == nil || created["name"] != "Portal" || created["redirect_uri"] != "https://portal.example.org/cb" ||
		created["client_secret"] != app.Secret || created["webhook_secret"] != app.WebhookSecret || app.Secret == "" || app.WebhookSecret == "" {
		t.Fatalf("created %v, registered %+v", created, app)
	}
	// The new app can run the OAuth flow at once.
	if tok := e.loginWith(app); tok.access == "" {
		t.Fatal("no token for the new app")
	}

	const fixed = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"given id and secret", `{"name":"Fixed","redirect_uri":"http://localhost:8080/cb","client_id":"{` + fixed + `}","client_secret":"s3cret"}`, 201, `"client_secret": "s3cret"`},
		{"same id again", `{"name":"Again","redirect_uri":"https://x.example.org/cb","client_id":"` + fixed + `"}`, 400, "exactsim: an app with client id " + fixed + " exists already"},
		{"plain http off loopback", `{"redirect_uri":"http://portal.example.org/cb"}`, 400, `the redirect URI \"http://portal.example.org/cb\" must use https`},
		{"no redirect URI", `{"name":"Nowhere"}`, 400, "a redirect URI is required"},
		{"client id not a GUID", `{"redirect_uri":"https://x.example.org/cb","client_id":"roger"}`, 400, `exactsim: client id \"roger\" is not a GUID`},
		{"not JSON", `name=x`, 400, "the request body is not the expected JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.simCall("POST", "/_sim/apps", tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("want %d with %s, got %d %s", tc.status, tc.want, resp.StatusCode, body)
			}
		})
	}
	if n := len(e.sim.Apps()); n != 3 {
		t.Fatalf("%d apps registered, want 3", n)
	}
}

func TestAdminAddsUsers(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	resp, body := e.simCall("POST", "/_sim/users", `{"name":"bert","password":"wachtwoord","divisions":[345678,123456]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sim/users: %d %s", resp.StatusCode, body)
	}
	var u UserSummary
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		t.Fatal(err)
	}
	mustGUID(t, u.ID)
	if u.Name != "bert" || u.Current != 345678 || len(u.Divisions) != 2 || u.Divisions[0] != 345678 || u.Divisions[1] != testDivision {
		t.Fatalf("created %+v", u)
	}
	if strings.Contains(body, "wachtwoord") {
		t.Errorf("the answer repeats the password: %s", body)
	}
	// Bert can sign in, and his first division now exists.
	tok := e.loginUser("bert", "wachtwoord")
	if me := e.me(tok.access); me["CurrentDivision"] != float64(345678) || me["UserName"] != "bert@example.com" || me["UserID"] != u.ID {
		t.Fatalf("Bert's current/Me: %v", me)
	}
	if resp, body := e.api(tok.access, "GET", meteredPath(345678), ""); resp.StatusCode != 200 {
		t.Fatalf("Bert's new division: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.api(tok.access, "GET", meteredPath(testDivision2), ""); resp.StatusCode != 403 || resp.Header.Get("Reason") != "NoDivisionAccess" {
		t.Fatalf("a division Bert was not given: %d %q", resp.StatusCode, resp.Header.Get("Reason"))
	}

	for _, tc := range []struct{ name, body, want string }{
		{"same name", `{"name":"Bert","password":"x","divisions":[1]}`, `exactsim: user \"Bert\" exists already`},
		{"no password", `{"name":"carla","divisions":[1]}`, "exactsim: a user needs a name and a password"},
		{"no divisions", `{"name":"carla","password":"x"}`, `exactsim: user \"carla\" needs at least one division`},
		{"not JSON", `[`, "the request body is not the expected JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.simCall("POST", "/_sim/users", tc.body)
			if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
				t.Fatalf("want 400 with %s, got %d %s", tc.want, resp.StatusCode, body)
			}
		})
	}
}

func TestAdminCurrentDivisionChangesMe(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	if me := e.me(tok.access); me["CurrentDivision"] != float64(testDivision) {
		t.Fatalf("before: %v", me["CurrentDivision"])
	}
	// The user switched company in the web UI; names are not case-sensitive.
	resp, body := e.simCall("POST", "/_sim/users/ANNA/current-division", `{"division":234567}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"current_division": 234567`) {
		t.Fatalf("POST current-division: %d %s", resp.StatusCode, body)
	}
	me := e.me(tok.access)
	if me["CurrentDivision"] != float64(testDivision2) || me["AccountingDivision"] != float64(testDivision2) {
		t.Fatalf("after: CurrentDivision %v, AccountingDivision %v", me["CurrentDivision"], me["AccountingDivision"])
	}
	for _, tc := range []struct{ path, body, want string }{
		{"/_sim/users/anna/current-division", `{"division":999}`, `user \"anna\" has no access to division 999`},
		{"/_sim/users/zoe/current-division", `{"division":123456}`, `there is no user \"zoe\"`},
		{"/_sim/users/anna/current-division", `{"division":"123456"}`, "the request body is not the expected JSON"},
	} {
		resp, body := e.simCall("POST", tc.path, tc.body)
		if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s %s: want 400 with %s, got %d %s", tc.path, tc.body, tc.want, resp.StatusCode, body)
		}
	}
	if me := e.me(tok.access); me["CurrentDivision"] != float64(testDivision2) {
		t.Fatalf("a refused change must not move the user: %v", me["CurrentDivision"])
	}
}

func TestAdminMoveDivisionResetsTimestamps(t *testing.T) {
	e := newEnv(t, Options{}, 5, 5)
	tok := e.login()
	contacts := e.syncRows(tok.access, "sync/CRM/Contacts", "ID,Timestamp", 1)
	if resp, body := e.api(tok.access, "DELETE", "/api/v1/123456/crm/Contacts(guid'"+contacts[0].ID+"')", ""); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	// The seeded division's log holds two months of history, all of it
	// older than every record; the deletion is the one row after them.
	if rows := e.syncRows(tok.access, "sync/Deleted", "EntityKey,Timestamp", contacts[0].TS); len(rows) != 1 {
		t.Fatalf("deleted log before the move: %v", rows)
	}
	before := e.syncRows(tok.access, "sync/CRM/Accounts", "ID,Timestamp", 1)
	checkpoint := before[len(before)-1].TS

	e.clock.Advance(time.Hour)
	tok = e.login()
	resp, body := e.simCall("POST", "/_sim/divisions/123456/move", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"moved": "123456"`) {
		t.Fatalf("move: %d %s", resp.StatusCode, body)
	}
	if rows := e.syncRows(tok.access, "sync/CRM/Accounts", "ID,Timestamp", checkpoint); len(rows) != 0 {
		t.Fatalf("a checkpoint from before the move must see nothing new, got %v", rows)
	}
	after := e.syncRows(tok.access, "sync/CRM/Accounts", "ID,Timestamp", 1)
	if len(after) != len(before) {
		t.Fatalf("%d rows after the move, %d before", len(after), len(before))
	}
	for i := range after {
		if after[i].ID != before[i].ID || after[i].TS >= before[0].TS || (i > 0 && after[i].TS <= after[i-1].TS) {
			t.Fatalf("row %d: %+v, before %+v: want the same order with new, lower, ascending Timestamps", i, after[i], before[i])
		}
	}
	if rows := e.syncRows(tok.access, "sync/Deleted", "EntityKey,Timestamp", 1); len(rows) != 0 {
		t.Fatalf("the deleted log does not survive a move: %v", rows)
	}

	_, body = e.api(tok.access, "GET", meteredPath(testDivision), "")
	moved := map[float64]any{}
	for _, d := range decodePage(t, body).D.Results {
		moved[d["Code"].(float64)] = d["DivisionMoveDate"]
	}
	want := "/Date(" + strconv.FormatInt(exactMillis(e.clock.Now()), 10) + ")/"
	if moved[testDivision] != want || moved[testDivision2] != nil {
		t.Fatalf("DivisionMoveDate: %v, want %s for %d and null for %d", moved, want, testDivision, testDivision2)
	}
	if d := e.sim.Summarize().Divisions[0]; !d.MoveDate.Equal(e.clock.Now()) {
		t.Errorf("summary move date %s", d.MoveDate)
	}

	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/_sim/divisions/999/move", 404, "there is no division 999"},
		{"/_sim/divisions/abc/move", 400, "the division must be a number"},
	} {
		resp, body := e.simCall("POST", tc.path, "")
		if resp.StatusCode != tc.status || simError(t, body) != tc.want {
			t.Errorf("POST %s: want %d %q, got %d %s", tc.path, tc.status, tc.want, resp.StatusCode, body)
		}
	}
}

func TestAdminMutateChangesWhatSyncReturns(t *testing.T) {
	e := newEnv(t, Options{}, 5, 5)
	tok := e.login()
	accounts := e.syncRows(tok.access, "sync/CRM/Accounts", "ID,Timestamp", 1)
	checkpoint := accounts[len(accounts)-1].TS

	resp, body := e.simCall("POST", "/_sim/divisions/123456/mutate", `{"entity":"accounts","creates":2,"updates":1}`)
	var res MutationResult
	if err := json.Unmarshal([]byte(body), &res); err != nil || resp.StatusCode != 200 {
		t.Fatalf("mutate: %d %s", resp.StatusCode, body)
	}
	if len(res.Created) != 2 || len(res.Updated) != 1 || len(res.Deleted) != 0 {
		t.Fatalf("mutate result %+v", res)
	}
	changed := e.syncRows(tok.access, "sync/CRM/Accounts", "ID,Timestamp", checkpoint)
	want := map[string]bool{res.Created[0]: true, res.Created[1]: true, res.Updated[0]: true}
	got := map[string]bool{}
	for i, r := range changed {
		got[r.ID] = true
		if r.TS <= checkpoint || (i > 0 && r.TS <= changed[i-1].TS) {
			t.Errorf("row %d: Timestamp %d after checkpoint %d, out of order or old", i, r.TS, checkpoint)
		}
	}
	if len(got) != len(want) || len(changed) != len(want) {
		t.Fatalf("sync after the checkpoint: %v, want exactly %v", changed, want)
	}
	for id := range want {
		if !got[id] {
			t.Errorf("%s is missing from sync", id)
		}
	}
	for _, id := range res.Created {
		if resp, body := e.api(tok.access, "GET", "/api/v1/123456/crm/Accounts(guid'"+id+"')", ""); resp.StatusCode != 200 {
			t.Errorf("created account %s: %d %s", id, resp.StatusCode, body)
		}
	}

	resp, body = e.simCall("POST", "/_sim/divisions/123456/mutate", `{"entity":"contacts","deletes":2}`)
	if err := json.Unmarshal([]byte(body), &res); err != nil || resp.StatusCode != 200 || len(res.Deleted) != 2 {
		t.Fatalf("mutate deletes: %d %s", resp.StatusCode, body)
	}
	deleted := e.syncRows(tok.access, "sync/Deleted", "EntityKey,EntityType,Timestamp", checkpoint)
	gotKeys := []string{}
	for _, r := range deleted {
		gotKeys = append(gotKeys, r.EntityKey)
		if r.EntityType != 5 {
			t.Errorf("EntityType %v for a contact, want 5", r.EntityType)
		}
	}
	sort.Strings(gotKeys)
	sort.Strings(res.Deleted)
	if strings.Join(gotKeys, ",") != strings.Join(res.Deleted, ",") {
		t.Fatalf("sync/Deleted keys %v, want %v", gotKeys, res.Deleted)
	}
	for _, r := range e.syncRows(tok.access, "sync/CRM/Contacts", "ID,Timestamp", 1) {
		if r.ID == res.Deleted[0] || r.ID == res.Deleted[1] {
			t.Errorf("deleted contact %s still syncs", r.ID)
		}
	}

	for _, tc := range []struct{ path, body, want string }{
		{"/_sim/divisions/123456/mutate", `{"entity":"items","creates":1}`, `entity must be accounts or contacts, not "items"`},
		{"/_sim/divisions/123456/mutate", `{"entity":"accounts","updates":-1}`, "creates, updates and deletes cannot be negative"},
		{"/_sim/divisions/999/mutate", `{"entity":"accounts","creates":1}`, "there is no division 999"},
		{"/_sim/divisions/x/mutate", `{"entity":"accounts","creates":1}`, "the division must be a number"},
	} {
		resp, body := e.simCall("POST", tc.path, tc.body)
		if resp.StatusCode != 400 || simError(t, body) != tc.want {
			t.Errorf("POST %s %s: want 400 %q, got %d %s", tc.path, tc.body, tc.want, resp.StatusCode, body)
		}
	}
}

func TestAdminClockAdvance(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	resp, body := e.simCall("POST", "/_sim/clock/advance", `{"by":"10m"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"now": "2026-06-25T14:34:00Z"`) {
		t.Fatalf("advance: %d %s", resp.StatusCode, body)
	}
	if now := e.clock.Now(); !now.Equal(testStart.Add(10 * time.Minute)) {
		t.Fatalf("the fake clock reads %s", now)
	}
	// The simulator runs on that clock: the token has expired.
	if resp, _ := e.api(tok.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 401 {
		t.Fatalf("after 10 minutes the token must be expired, got %d", resp.StatusCode)
	}
	for _, body := range []string{`{"by":"-5m"}`, `{"by":"0s"}`, `{"by":"soon"}`, `{}`, ``} {
		resp, b := e.simCall("POST", "/_sim/clock/advance", body)
		if resp.StatusCode != 400 || simError(t, b) != `"by" must be a positive duration such as 10m or 720h` {
			t.Errorf("advance %s: %d %s", body, resp.StatusCode, b)
		}
	}

	sim := New(Options{Clock: clock.System{}})
	rec := httptest.NewRecorder()
	sim.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/_sim/clock/advance", strings.NewReader(`{"by":"1h"}`)))
	if rec.Code != http.StatusConflict || simError(t, rec.Body.String()) != "this simulator runs on a clock that cannot be moved" {
		t.Fatalf("wall clock: %d %s", rec.Code, rec.Body.String())
	}
}

func TestAdminSupersedeChain(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	resp, body := e.simCall("POST", "/_sim/chains/supersede", `{"client_id":"`+e.app.ClientID.String()+`","user":"anna"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"superseded": true`) {
		t.Fatalf("supersede: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.api(tok.access, "GET", "/api/v1/current/Me", ""); resp.StatusCode != 401 {
		t.Fatalf("the first integration's access token must be gone, got %d", resp.StatusCode)
	}
	e.clock.Advance(600 * time.Second)
	r, m := e.refresh("", tok.refresh)
	if r.StatusCode != 401 || m["error"] != "unauthorized_client" || m["error_description"] != "Old refresh token used." {
		t.Fatalf("the first integration's refresh: %d %v", r.StatusCode, m)
	}

	other, err := e.sim.RegisterApp("Unused", "https://unused.example.org/cb", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"client_id":"` + other.ClientID.String() + `","user":"anna"}`, 404, `user "anna" has not authorized app ` + other.ClientID.String() + ` yet`},
		{`{"client_id":"` + e.app.ClientID.String() + `","user":"zoe"}`, 404, `user "zoe" has not authorized app ` + e.app.ClientID.String() + ` yet`},
		{`{"client_id":"app","user":"anna"}`, 400, "client_id is not a GUID"},
	} {
		resp, body := e.simCall("POST", "/_sim/chains/supersede", tc.body)
		if resp.StatusCode != tc.status || simError(t, body) != tc.want {
			t.Errorf("supersede %s: want %d %q, got %d %s", tc.body, tc.status, tc.want, resp.StatusCode, body)
		}
	}
}

func TestAdminExpireTokens(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tokA := e.login()
	appB, tokB := e.loginSecondApp("B", "https://b.example.org/cb")
	e.clock.Advance(time.Minute)

	resp, body := e.simCall("POST", "/_sim/tokens/expire", `{"client_id":"`+e.app.ClientID.String()+`"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"expired": 1`) {
		t.Fatalf("expire A: %d %s", resp.StatusCode, body)
	}
	resp, body = e.api(tokA.access, "GET", meteredPath(testDivision), "")
	checkUnauthorized(t, resp, body, false, "")
	if resp, _ := e.api(tokB.access, "GET", meteredPath(testDivision), ""); resp.StatusCode != 200 {
		t.Fatalf("B's token must survive, got %d", resp.StatusCode)
	}
	// One minute after issue would be too early; an early expiry lifts that.
	r, m := e.refresh("", tokA.refresh)
	if r.StatusCode != 200 {
		t.Fatalf("refresh right after the early expiry: %d %v", r.StatusCode, m)
	}
	if resp, _ := e.api(m["access_token"].(string), "GET", meteredPath(testDivision), ""); resp.StatusCode != 200 {
		t.Fatalf("the refreshed token: %d", resp.StatusCode)
	}

	resp, body = e.simCall("POST", "/_sim/tokens/expire", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"expired": 2`) {
		t.Fatalf("expire all: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.api(tokB.access, "GET", meteredPath(testDivision), ""); resp.StatusCode != 401 {
		t.Fatalf("B after expiring all: %d", resp.StatusCode)
	}
	if n := e.sim.ExpireTokens(appB.ClientID); n != 0 {
		t.Fatalf("expiring already expired tokens counted %d", n)
	}
	if resp, body := e.simCall("POST", "/_sim/tokens/expire", `{"client_id":"b"}`); resp.StatusCode != 400 || simError(t, body) != "client_id is not a GUID" {
		t.Fatalf("bad client_id: %d %s", resp.StatusCode, body)
	}
}

func TestAdminUsageAndDeliveries(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	for i := 0; i < 3; i++ {
		e.api(tok.access, "GET", meteredPath(testDivision), "")
	}
	resp, body := e.simCall("GET", "/_sim/usage", "")
	var usage []Usage
	if err := json.Unmarshal([]byte(body), &usage); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /_sim/usage: %d %s", resp.StatusCode, body)
	}
	if len(usage) != 1 || usage[0].ClientID != e.app.ClientID || usage[0].Division != testDivision ||
		usage[0].MinutelyRemaining != 57 || usage[0].DailyRemaining != 4997 {
		t.Fatalf("usage %+v", usage)
	}
	// The minute is over: the budget reads full again without a call.
	e.clock.Advance(time.Minute)
	if u := e.sim.Usage(); u[0].MinutelyRemaining != 60 || u[0].DailyRemaining != 4997 {
		t.Fatalf("usage a minute later %+v", u)
	}
	resp, body = e.simCall("GET", "/_sim/webhooks/deliveries", "")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("no deliveries yet: %d %s", resp.StatusCode, body)
	}
}
