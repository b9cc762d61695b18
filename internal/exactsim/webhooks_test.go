package exactsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const subscriptionsPath = "/api/v1/123456/webhooks/WebhookSubscriptions"

// hookCall is one request that reached a webhook callback.
type hookCall struct {
	host, method, contentType, body string
	contentLength                   int64
	at                              time.Time
}

// hookSink is a webhook callback on 127.0.0.1 that records every request.
// answer picks the status: validation calls (empty bodies) get 200 unless
// answer says otherwise for n == 0; deliveries are numbered from 1.
type hookSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []hookCall
	n      int
	answer func(n int) int
}

func newHookSink(t *testing.T, answer func(n int) int) *hookSink {
	h := &hookSink{answer: answer}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.calls = append(h.calls, hookCall{host: r.Host, method: r.Method, contentType: r.Header.Get("Content-Type"), body: string(b),
			contentLength: r.ContentLength, at: time.Now()})
		n := 0
		if len(b) > 0 {
			h.n++
			n = h.n
		}
		status := http.StatusOK
		if h.answer != nil {
			status = h.answer(n)
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// received returns the calls so far, validations included when all.
func (h *hookSink) received(all bool) []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookCall
	for _, c := range h.calls {
		if all || c.body != "" {
			out = append(out, c)
		}
	}
	return out
}

// waitDeliveries polls until n notifications (non-empty bodies) arrived.
func (h *hookSink) waitDeliveries(t *testing.T, n int) []hookCall {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := h.received(false)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %d webhook deliveries, got %d", n, len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitRecorded polls until the simulator has finished n deliveries.
func waitRecorded(t *testing.T, sim *Simulator, n int) []Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := sim.Deliveries()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %d finished deliveries, got %d", n, len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loginWith runs the OAuth flow for app instead of the harness's own.
func (e *env) loginWith(app *App) tokens {
	e.t.Helper()
	other := *e
	other.app = app
	return other.login()
}

// hookEnv is a simulator with seeded data, a callback sink and an app whose
// loopback redirect URI puts the sink on its domain.
type hookEnv struct {
	*env
	sink *hookSink
	app  *App
	tok  tokens
}

func newHookEnv(t *testing.T, opts Options, answer func(n int) int) *hookEnv {
	e := newEnv(t, opts, 4, 4)
	sink := newHookSink(t, answer)
	app, err := e.sim.RegisterApp("Hooks", sink.srv.URL+"/oauth/callback", "", "")
	if err != nil {
		t.Fatal(err)
	}
	return &hookEnv{env: e, sink: sink, app: app, tok: e.loginWith(app)}
}

func (h *hookEnv) subscribe(topic, callback string) (*http.Response, string) {
	h.t.Helper()
	b, _ := json.Marshal(map[string]string{"Topic": topic, "CallbackURL": callback})
	return h.api(h.tok.access, "POST", subscriptionsPath, string(b))
}

func (h *hookEnv) mustSubscribe(topic string) string {
	h.t.Helper()
	resp, body := h.subscribe(topic, h.sink.srv.URL+"/exact/"+topic)
	if resp.StatusCode != http.StatusCreated {
		h.t.Fatalf("subscribe %s: %d %s", topic, resp.StatusCode, body)
	}
	var d struct {
		D struct{ ID string } `json:"d"`
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		h.t.Fatal(err)
	}
	return d.D.ID
}

// hookContent is the literal Content object the simulator must sign.
func hookContent(topic string, app *App, action, key, base string, at time.Time) string {
	return `{"Topic":"` + topic + `","ClientId":"` + app.ClientID.String() + `","Division":123456,"Action":"` + action + `","Key":"` + key +
		`","ExactOnlineEndpoint":"` + base + `/api/v1/123456/crm/` + topic + `(guid'` + key + `')","EventCreatedOn":"` +
		at.In(amsterdam).Format("2006-01-02T15:04:05.000") + `"}`
}

var upperHex64 = regexp.MustCompile(`^[0-9A-F]{64}$`)

// checkSigned splits a notification the way picqer's Authenticatable does
// (the raw Content text between the markers, never re-serialized) and
// verifies its HashCode with secret. It returns the Content text.
func checkSigned(t *testing.T, raw, secret string) string {
	t.Helper()
	const open, mid = `{"Content":`, `,"HashCode":"`
	i := strings.Index(raw, mid)
	if !strings.HasPrefix(raw, open) || i < 0 || !strings.HasSuffix(raw, `"}`) {
		t.Fatalf("not a notification: %s", raw)
	}
	content, hash := raw[len(open):i], raw[i+len(mid):len(raw)-2]
	if !upperHex64.MatchString(hash) {
		t.Fatalf("HashCode %q is not 64 upper-case hex digits", hash)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(content))
	if want := strings.ToUpper(hex.EncodeToString(mac.Sum(nil))); hash != want {
		t.Fatalf("HashCode %s, want HMAC-SHA256 of the raw Content %s", hash, want)
	}
	if !json.Valid([]byte(raw)) {
		t.Fatalf("the notification is not JSON: %s", raw)
	}
	return content
}

func TestWebhookSubscriptionLifecycle(t *testing.T) {
	h := newHookEnv(t, Options{}, nil)
	callback := h.sink.srv.URL + "/exact/accounts?secret=1"
	resp, body := h.api(h.tok.access, "POST", subscriptionsPath,
		`{"Topic":"Accounts","CallbackURL":"`+callback+`","Description":"roger"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var created struct {
		D map[string]any `json:"d"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	d := created.D
	id := d["ID"].(string)
	mustGUID(t, id)
	var userID string
	for _, u := range h.sim.Users() {
		if u.Name == testUser {
			userID = u.ID.String()
		}
	}
	want := map[string]any{
		"CallbackURL": callback, "Topic": "Accounts", "Division": float64(testDivision), "ClientID": h.app.ClientID.String(),
		"UserID": userID, "Description": "roger", "IsInstant": false,
		"Created": "/Date(" + strconv.FormatInt(exactMillis(testStart), 10) + ")/",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %#v, want %#v", k, d[k], v)
		}
	}
	meta, _ := d["__metadata"].(map[string]any)
	if meta["uri"] != h.srv.URL+subscriptionsPath+"(guid'"+id+"')" || meta["type"] != "Exact.Web.Api.Models.Webhooks.WebhookSubscription" {
		t.Errorf("__metadata = %v", meta)
	}

	// The validation call came first, and it was an empty POST.
	calls := h.sink.received(true)
	if len(calls) != 1 {
		t.Fatalf("want one validation call, got %d", len(calls))
	}
	if c := calls[0]; c.method != "POST" || c.body != "" || c.contentLength != 0 {
		t.Fatalf("validation call: %s with %d bytes %q, want an empty POST", c.method, c.contentLength, c.body)
	}

	list := func(path string) []map[string]any {
		t.Helper()
		resp, body := h.api(h.tok.access, "GET", path, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return decodePage(t, body).D.Results
	}
	if got := list(subscriptionsPath); len(got) != 1 || got[0]["ID"] != id || got[0]["CallbackURL"] != callback {
		t.Fatalf("list: %v", got)
	}

	resp, body = h.subscribe("Accounts", h.sink.srv.URL+"/elsewhere")
	if resp.StatusCode != 500 || odataMessage(t, body) != "Data already exists" {
		t.Fatalf("duplicate (topic, division): want 500 Data already exists, got %d %s", resp.StatusCode, body)
	}
	if n := len(h.sink.received(true)); n != 1 {
		t.Errorf("a duplicate must be refused before the callback is called, got %d calls", n)
	}

	contacts := h.mustSubscribe("Contacts")
	if got := list(subscriptionsPath); len(got) != 2 {
		t.Fatalf("after subscribing Contacts: %d subscriptions", len(got))
	}
	if got := list("/api/v1/234567/webhooks/WebhookSubscriptions"); len(got) != 0 {
		t.Fatalf("subscriptions belong to their division, division 2 lists %v", got)
	}

	resp, body = h.api(h.tok.access, "DELETE", subscriptionsPath+"(guid'"+id+"')", "")
	if resp.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("delete: want 204 with an empty body, got %d %q", resp.StatusCode, body)
	}
	if got := list(subscriptionsPath); len(got) != 1 || got[0]["ID"] != contacts {
		t.Fatalf("after delete: %v", got)
	}
	resp, body = h.api(h.tok.access, "DELETE", subscriptionsPath+"(guid'"+id+"')", "")
	if resp.StatusCode != 404 || odataMessage(t, body) != "Not found: WebhookSubscriptions(guid'"+id+"')" {
		t.Fatalf("second delete: %d %s", resp.StatusCode, body)
	}
	// Another app cannot see or delete the subscription.
	_, otherTok := h.loginSecondApp("Other", "https://other.example.org/cb")
	if resp, body := h.api(otherTok.access, "GET", subscriptionsPath, ""); len(decodePage(t, body).D.Results) != 0 {
		t.Fatalf("another app lists %d %s", resp.StatusCode, body)
	}
	if resp, _ := h.api(otherTok.access, "DELETE", subscriptionsPath+"(guid'"+contacts+"')", ""); resp.StatusCode != 404 {
		t.Fatalf("another app deleting: %d", resp.StatusCode)
	}
	if resp, body := h.subscribe("Accounts", callback); resp.StatusCode != http.StatusCreated {
		t.Fatalf("subscribing again after the delete: %d %s", resp.StatusCode, body)
	}
}

func TestWebhookSubscriptionNeedsAnAcceptingCallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int // the callback's answer to the validation call; 0: nobody listens
		want   string
	}{
		{"200", 200, ""},
		{"201", 201, ""},
		{"202", 202, "The callback URL did not accept the validation request: it answered 202. It must answer 200 or 201 to an empty POST."},
		{"500", 500, "The callback URL did not accept the validation request: it answered 500. It must answer 200 or 201 to an empty POST."},
		{"unreachable", 0, "The callback URL did not accept the validation request: it could not be reached. It must answer 200 or 201 to an empty POST."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHookEnv(t, Options{}, func(int) int { return tc.status })
			callback := h.sink.srv.URL + "/exact"
			if tc.status == 0 {
				h.sink.srv.Close()
			}
			resp, body := h.subscribe("Contacts", callback)
			_, listed := h.api(h.tok.access, "GET", subscriptionsPath, "")
			n := len(decodePage(t, listed).D.Results)
			if tc.want == "" {
				if resp.StatusCode != http.StatusCreated || n != 1 {
					t.Fatalf("want 201 and a subscription, got %d %s and %d", resp.StatusCode, body, n)
				}
				return
			}
			if resp.StatusCode != 400 || odataMessage(t, body) != tc.want {
				t.Fatalf("want 400 %q, got %d %s", tc.want, resp.StatusCode, body)
			}
			if n != 0 {
				t.Fatalf("a refused callback must leave no subscription, got %d", n)
			}
		})
	}
}

// hostRewrite sends every request to one test server, standing in for the
// DNS of hosts such as hooks.portal.example.com; the Host header keeps the
// name that was asked for.
type hostRewrite struct{ target *url.URL }

func (rw hostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Host = r.URL.Host
	r2.URL.Scheme, r2.URL.Host = rw.target.Scheme, rw.target.Host
	return http.DefaultTransport.RoundTrip(r2)
}

func TestWebhookCallbackMustBeHTTPSOnTheRedirectDomain(t *testing.T) {
	sink := newHookSink(t, nil)
	target, _ := url.Parse(sink.srv.URL)
	e := newEnv(t, Options{WebhookClient: &http.Client{Transport: hostRewrite{target}}}, 0, 0)
	tok := e.login() // redirect URI https://portal.example.com/…
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"plain http", `{"Topic":"Accounts","CallbackURL":"http://portal.example.com/exact"}`, 400, "CallbackURL must use https."},
		{"other domain", `{"Topic":"Accounts","CallbackURL":"https://portal.example.net/exact"}`, 400, "CallbackURL must be on the same domain as the app's redirect URI."},
		{"loopback is not the app's domain", `{"Topic":"Accounts","CallbackURL":"` + sink.srv.URL + `/exact"}`, 400, "CallbackURL must be on the same domain as the app's redirect URI."},
		{"not a URL", `{"Topic":"Accounts","CallbackURL":"hooks"}`, 400, "CallbackURL 'hooks' is not a valid URL."},
		{"no topic", `{"CallbackURL":"https://portal.example.com/exact"}`, 400, "CallbackURL and Topic are mandatory."},
		{"no callback", `{"Topic":"Accounts"}`, 400, "CallbackURL and Topic are mandatory."},
		{"unsupported topic", `{"Topic":"Items","CallbackURL":"https://portal.example.com/exact"}`, 400, "Topic 'Items' is not a webhook topic. Supported here: Accounts, Contacts."},
		{"not JSON", `Topic=Accounts`, 400, "Error processing request stream. The request body must be a JSON object."},
		{"https on a sibling host", `{"Topic":"Accounts","CallbackURL":"https://hooks.example.com/exact"}`, 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(tok.access, "POST", subscriptionsPath, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("want %d, got %d %s", tc.status, resp.StatusCode, body)
			}
			if tc.want != "" && odataMessage(t, body) != tc.want {
				t.Fatalf("message %q, want %q", odataMessage(t, body), tc.want)
			}
		})
	}
	calls := sink.received(true)
	if len(calls) != 1 || calls[0].host != "hooks.example.com" || calls[0].body != "" {
		t.Fatalf("only the accepted subscription may be validated, got %+v", calls)
	}
}

func TestWebhookTopicsDoesNotExist(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	resp, body := e.api(tok.access, "GET", "/api/v1/123456/webhooks/WebhookTopics", "")
	if resp.StatusCode != 404 || odataMessage(t, body) != "Resource not found for the segment 'WebhookTopics'." {
		t.Fatalf("want 404, got %d %s", resp.StatusCode, body)
	}
}

func TestWebhookDeliveriesOnRESTWrites(t *testing.T) {
	for _, tc := range []struct {
		name, option, create string
	}{
		{"Create by default", "", "Create"},
		{"switch Update", "Update", "Update"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHookEnv(t, Options{WebhookCreateAction: tc.option}, nil)
			h.mustSubscribe("Accounts")
			h.mustSubscribe("Contacts")
			next := 0
			expect := func(topic, action, key string) {
				t.Helper()
				next++
				c := h.sink.waitDeliveries(t, next)[next-1]
				if c.method != "POST" || c.contentType != "application/json" {
					t.Errorf("delivery %d: %s with Content-Type %q", next, c.method, c.contentType)
				}
				if !strings.HasSuffix(c.host, strings.TrimPrefix(h.sink.srv.URL, "http://")) {
					t.Errorf("delivery %d went to %s", next, c.host)
				}
				content := checkSigned(t, c.body, h.app.WebhookSecret)
				if want := hookContent(topic, h.app, action, key, h.srv.URL, h.clock.Now()); content != want {
					t.Fatalf("delivery %d Content\n got %s\nwant %s", next, content, want)
				}
			}

			resp, body := h.api(h.tok.access, "POST", "/api/v1/123456/crm/Accounts", `{"Name":"Webhook BV"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("create account: %d %s", resp.StatusCode, body)
			}
			var acc struct{ D struct{ ID string } }
			_ = json.Unmarshal([]byte(body), &acc)
			expect("Accounts", tc.create, acc.D.ID)

			// EventCreatedOn is Amsterdam wall-clock time: 17:24 in summer.
			h.clock.Advance(time.Hour)
			h.tok = h.loginWith(h.app)
			if resp, body := h.api(h.tok.access, "PUT", "/api/v1/123456/crm/Accounts(guid'"+acc.D.ID+"')", `{"Phone":"+31 20 555 0100"}`); resp.StatusCode != 204 {
				t.Fatalf("update account: %d %s", resp.StatusCode, body)
			}
			expect("Accounts", "Update", acc.D.ID)
			if c := h.sink.received(false)[1]; !strings.Contains(c.body, `"EventCreatedOn":"2026-06-25T17:24:00.000"}`) {
				t.Fatalf("EventCreatedOn must be local time without offset: %s", c.body)
			}

			resp, body = h.api(h.tok.access, "POST", "/api/v1/123456/crm/Contacts", `{"Account":"`+acc.D.ID+`","LastName":"Haak"}`)
			if resp.StatusCode != 201 {
				t.Fatalf("create contact: %d %s", resp.StatusCode, body)
			}
			var con struct{ D struct{ ID string } }
			_ = json.Unmarshal([]byte(body), &con)
			expect("Contacts", tc.create, con.D.ID)

			if resp, body := h.api(h.tok.access, "DELETE", "/api/v1/123456/crm/Contacts(guid'"+con.D.ID+"')", ""); resp.StatusCode != 204 {
				t.Fatalf("delete contact: %d %s", resp.StatusCode, body)
			}
			expect("Contacts", "Delete", con.D.ID)
			if resp, body := h.api(h.tok.access, "DELETE", "/api/v1/123456/crm/Accounts(guid'"+acc.D.ID+"')", ""); resp.StatusCode != 204 {
				t.Fatalf("delete account: %d %s", resp.StatusCode, body)
			}
			expect("Accounts", "Delete", acc.D.ID)

			// Writes that fail, reads and other divisions send nothing.
			h.api(h.tok.access, "PUT", "/api/v1/123456/crm/Accounts(guid'"+acc.D.ID+"')", `{"Phone":"1"}`)
			h.api(h.tok.access, "GET", "/api/v1/123456/crm/Accounts?$filter=Name%20eq%20'x'", "")
			h.api(h.tok.access, "POST", "/api/v1/234567/crm/Accounts", `{"Name":"Elders BV"}`)
			waitRecorded(t, h.sim, 5)
			h.sim.Close()
			got := h.sim.Deliveries()
			if len(got) != 5 {
				t.Fatalf("Deliveries() has %d entries, want 5", len(got))
			}
			// Each delivery is recorded when its callback has answered, so
			// the log's order may differ from the order of sending.
			sent := map[string]bool{}
			for _, c := range h.sink.received(false) {
				sent[c.body] = true
			}
			for i, d := range got {
				if !d.Delivered || d.Attempts != 1 || d.Status != 200 || !strings.HasPrefix(d.CallbackURL, h.sink.srv.URL+"/exact/") {
					t.Errorf("delivery %d: %+v", i, d)
				}
				if !sent[d.Body] {
					t.Errorf("delivery %d: the recorded body was never sent: %s", i, d.Body)
				}
			}
		})
	}
}

func TestWebhookDeliveriesOnMutate(t *testing.T) {
	for _, tc := range []struct {
		name, option, create string
	}{
		{"Create by default", "", "Create"},
		{"switch Update", "Update", "Update"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHookEnv(t, Options{WebhookCreateAction: tc.option}, nil)
			h.mustSubscribe("Contacts")
			res, err := h.sim.Mutate(testDivision, Mutation{Entity: "contacts", Creates: 1, Updates: 1, Deletes: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Created) != 1 || len(res.Updated) != 1 || len(res.Deleted) != 1 {
				t.Fatalf("Mutate result %+v: want one of each whatever the webhook action", res)
			}
			// The update may pick the contact just created, so one Content
			// text can come twice (with the Update switch): count them.
			want := map[string]int{}
			want[hookContent("Contacts", h.app, tc.create, res.Created[0], "http://127.0.0.1", testStart)]++
			want[hookContent("Contacts", h.app, "Update", res.Updated[0], "http://127.0.0.1", testStart)]++
			want[hookContent("Contacts", h.app, "Delete", res.Deleted[0], "http://127.0.0.1", testStart)]++
			// Changes to accounts and to another division reach no Contacts
			// subscription of division 1.
			if _, err := h.sim.Mutate(testDivision, Mutation{Entity: "accounts", Updates: 1}); err != nil {
				t.Fatal(err)
			}
			h.sim.Seed(testDivision2, 2, 2)
			if _, err := h.sim.Mutate(testDivision2, Mutation{Entity: "contacts", Updates: 1}); err != nil {
				t.Fatal(err)
			}
			// Close cancels what is still under way, so the expected three
			// must have landed first; any fourth would be logged as failed.
			waitRecorded(t, h.sim, 3)
			h.sim.Close()
			if got := h.sim.Deliveries(); len(got) != 3 {
				t.Fatalf("want 3 deliveries, got %+v", got)
			}
			calls := h.sink.received(false)
			if len(calls) != 3 {
				t.Fatalf("want 3 deliveries at the callback, got %d", len(calls))
			}
			// No request caused them, so the endpoints are on Options.BaseURL.
			for _, c := range calls {
				content := checkSigned(t, c.body, h.app.WebhookSecret)
				if want[content] == 0 {
					t.Fatalf("unexpected delivery %s\nwant one of %v", content, want)
				}
				want[content]--
			}
		})
	}
}

func TestWebhookEachAppSignsWithItsOwnSecret(t *testing.T) {
	sink := newHookSink(t, nil)
	target, _ := url.Parse(sink.srv.URL)
	e := newEnv(t, Options{WebhookClient: &http.Client{Transport: hostRewrite{target}}}, 0, 0)
	tokA := e.login()
	if resp, body := e.api(tokA.access, "POST", subscriptionsPath, `{"Topic":"Accounts","CallbackURL":"https://portal.example.com/exact"}`); resp.StatusCode != 201 {
		t.Fatalf("app A: %d %s", resp.StatusCode, body)
	}
	appB, err := e.sim.RegisterApp("B", sink.srv.URL+"/cb", "", "")
	if err != nil {
		t.Fatal(err)
	}
	tokB := e.loginWith(appB)
	if resp, body := e.api(tokB.access, "POST", subscriptionsPath, `{"Topic":"Accounts","CallbackURL":"`+sink.srv.URL+`/exact"}`); resp.StatusCode != 201 {
		t.Fatalf("app B: %d %s", resp.StatusCode, body)
	}
	resp, body := e.api(tokA.access, "POST", "/api/v1/123456/crm/Accounts", `{"Name":"Twee Apps BV"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var acc struct{ D struct{ ID string } }
	_ = json.Unmarshal([]byte(body), &acc)
	calls := sink.waitDeliveries(t, 2)
	for _, c := range calls {
		app := appB
		if c.host == "portal.example.com" {
			app = e.app
		}
		content := checkSigned(t, c.body, app.WebhookSecret)
		if want := hookContent("Accounts", app, "Create", acc.D.ID, e.srv.URL, testStart); content != want {
			t.Errorf("to %s:\n got %s\nwant %s", c.host, content, want)
		}
	}
	if calls[0].host == calls[1].host {
		t.Fatalf("both deliveries went to %s", calls[0].host)
	}
}

// failDeliveries accepts the validation call and fails every notification.
func failDeliveries(n int) int {
	if n == 0 {
		return http.StatusOK
	}
	return http.StatusInternalServerError
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	const base, attempts = 5 * time.Millisecond, 4
	for _, tc := range []struct {
		name        string
		answer      func(n int) int
		unreachable bool
		attempts    int
		status      int
		delivered   bool
	}{
		{"500 every time", failDeliveries, false, attempts, 500, false},
		{"unreachable", nil, true, attempts, 0, false},
		{"201 after two failures", func(n int) int { return [...]int{200, 500, 503, 201, 200}[min(n, 4)] }, false, 3, 201, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHookEnv(t, Options{WebhookRetryBase: base, WebhookAttempts: attempts}, tc.answer)
			h.mustSubscribe("Accounts")
			if tc.unreachable {
				h.sink.srv.Close()
			}
			start := time.Now()
			res, err := h.sim.Mutate(testDivision, Mutation{Entity: "accounts", Updates: 1})
			if err != nil {
				t.Fatal(err)
			}
			d := waitRecorded(t, h.sim, 1)[0]
			elapsed := time.Since(start)
			if d.Attempts != tc.attempts || d.Status != tc.status || d.Delivered != tc.delivered {
				t.Fatalf("delivery %+v: want %d attempts, last status %d, delivered %v", d, tc.attempts, tc.status, tc.delivered)
			}
			if !strings.Contains(d.Body, `"Key":"`+res.Updated[0]+`"`) {
				t.Fatalf("the recorded body is not the notification: %s", d.Body)
			}
			// The waits double: base, 2·base, 4·base, … so n attempts take
			// at least base·(2^(n-1) − 1).
			if least := base * (1<<(tc.attempts-1) - 1); elapsed < least {
				t.Fatalf("%d attempts took %s, want at least %s", tc.attempts, elapsed, least)
			}
			h.sim.Close() // nothing is still retrying after the record
			if tc.unreachable {
				return
			}
			calls := h.sink.received(false)
			if len(calls) != tc.attempts {
				t.Fatalf("the callback saw %d attempts, want %d", len(calls), tc.attempts)
			}
			for i := 1; i < len(calls); i++ {
				if calls[i].body != calls[0].body {
					t.Fatalf("attempt %d sent another body", i+1)
				}
				if gap, want := calls[i].at.Sub(calls[i-1].at), base<<(i-1); gap < want {
					t.Errorf("wait before attempt %d: %s, want at least %s", i+1, gap, want)
				}
			}
			resp, body := h.simCall("GET", "/_sim/webhooks/deliveries", "")
			var listed []Delivery
			if err := json.Unmarshal([]byte(body), &listed); err != nil || resp.StatusCode != 200 || len(listed) != 1 || listed[0] != d {
				t.Fatalf("GET /_sim/webhooks/deliveries: %d %s, want %+v", resp.StatusCode, body, d)
			}
		})
	}
}

func TestWebhookRetryDefaultsFollowExact(t *testing.T) {
	o := Options{}.withDefaults()
	if o.WebhookAttempts != 10 || o.WebhookRetryBase != time.Minute || o.WebhookCreateAction != "Create" {
		t.Fatalf("defaults: %d attempts, base %s, create action %q; want 10, 1m0s (2^n minutes), Create",
			o.WebhookAttempts, o.WebhookRetryBase, o.WebhookCreateAction)
	}
}
