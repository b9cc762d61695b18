package exactsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/clock"
)

// FuzzRouter sends arbitrary methods, paths and query strings with a valid
// token through the simulator: it must never panic, never answer 5xx on its
// own (no fault is armed) and every JSON answer must parse.
func FuzzRouter(f *testing.F) {
	for _, seed := range []struct{ method, target string }{
		{"GET", "/api/v1/123456/crm/Accounts?$filter=Name eq 'x'"},
		{"GET", "/api/v1/123456/sync/CRM/Contacts?$select=ID&$filter=Timestamp gt 1L"},
		{"GET", "/api/v1/123456/sync/Deleted?$select=EntityKey&$filter=Timestamp gt 1 and EntityType eq 2"},
		{"GET", "/api/v1/123456/crm/Accounts(guid'00000000-0000-0000-0000-000000000000')"},
		{"GET", "/api/v1/123456/crm/Accounts/$count?$filter=Blocked eq false"},
		{"GET", "/api/v1/123456/bulk/CRM/Contacts?$select=ID,FullName&$top=1"},
		{"PUT", "/api/v1/123456/crm/Contacts(guid'x')"},
		{"DELETE", "/api/v1/123456/webhooks/WebhookSubscriptions(guid'')"},
		{"GET", "/be/api/v1/current/Me?$select=CurrentDivision"},
		{"GET", "/api/v1/abc/system/Divisions"},
		{"GET", "/api/v1/123456/system/Divisions?$select=Code,Hid&$filter=Code eq 123456&$top=1&$skiptoken=5"},
		{"GET", "/api/v1/123456/sync/CRM/Accounts?$select=ID,Timestamp"},
		{"POST", "/api/v1/123456/crm/Accounts"},
		{"GET", "/api/v1/123456/crm/Accounts?$skiptoken=guid'zz'&$filter=ID eq guid'1'"},
		{"GET", "/docs/CRMAccountCard.aspx?AccountID=%7bnot-a-guid%7d&_Division_=x"},
		{"GET", "/co.uk/api/v1/123456/sync/CRM/Accounts?$select=*&$filter=Timestamp gt 99999999999999999999L"},
	} {
		f.Add(seed.method, seed.target, `{"Name":"x"}`)
	}
	clk := clock.NewFake(testStart)
	// Webhook validation calls go nowhere: a fuzzed callback must not make
	// the fuzzer wait on the network.
	offline := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errOffline })}
	sim := New(Options{Clock: clk, Seed: 3, MinutelyLimit: -1, DailyLimit: -1, ErrorsPerHour: -1, WebhookClient: offline})
	defer sim.Close()
	if _, err := sim.AddUser(testUser, testPassword, testDivision); err != nil {
		f.Fatal(err)
	}
	sim.Seed(testDivision, 5, 20)
	app, err := sim.RegisterApp("fuzz", testRedirect, "", "")
	if err != nil {
		f.Fatal(err)
	}
	sim.mu.Lock()
	key := chainKey{client: app.ClientID, user: testUser}
	c := &chain{region: "nl"}
	sim.chains[key] = c
	tok := sim.issue(key, c, clk.Now())
	sim.mu.Unlock()
	h := sim.Handler()

	f.Fuzz(func(t *testing.T, method, target, body string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH":
		default:
			return
		}
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \x00\r\n#") || strings.HasPrefix(target, "/_sim") {
			return
		}
		req, err := http.NewRequest(method, "http://sim.test"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		clk.Advance(time.Millisecond) // keep the token alive but let time pass
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && !strings.Contains(rec.Body.String(), "Data already exists") {
			t.Fatalf("%s %s answered %d: %s", method, target, rec.Code, rec.Body.String())
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s answered invalid JSON: %s", method, target, rec.Body.String())
		}
	})
}

var errOffline = errors.New("offline")

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
