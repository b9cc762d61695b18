package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/exactsim/crm"
)

// webhookRig is "roger serve" with replicator 1 copying the contacts of
// an in-process simulator, authorized and subscribed to Exact's webhooks
// after its first sync. It counts the API calls the simulator answered,
// and its 429s.
type webhookRig struct {
	sim       *exactsim.Simulator
	simURL    string
	base      string
	env       func(string) string
	app       *app
	key       string
	secret    string
	calls     atomic.Int64
	throttled atomic.Int64
}

const rigDivision = 123456

func startWebhookRig(t *testing.T, records int) *webhookRig {
	t.Helper()
	rig := &webhookRig{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rig.simURL = "http://" + ln.Addr().String()
	rig.sim = exactsim.New(exactsim.Options{Seed: 1, BaseURL: rig.simURL})
	t.Cleanup(rig.sim.Close)
	if err := setUp(rig.sim, []string{"demo:demo:123456"}, records); err != nil {
		t.Fatal(err)
	}
	h := rig.sim.Handler()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			h.ServeHTTP(w, r)
			return
		}
		rig.calls.Add(1)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			rig.throttled.Add(1)
		}
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	env := testEnv(t, "127.0.0.1:0")
	addContactsReplicator(t, env, ln.Addr().String())
	base, _, _ := serveInstance(t, env)
	rig.base = base
	app, err := rig.sim.RegisterApp("roger", base+"/oauth/exact/1/callback", simClientID, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	rig.secret = app.WebhookSecret
	rig.env = func(k string) string {
		if k == "ROGER_PUBLIC_URL" {
			return base
		}
		return env(k)
	}
	authorizeReplicator(t, rig.env)
	file := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(file, []byte(rig.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, rig.env, "replicator", "set", "--id", "1", "--webhook-secret-file", file); err != nil {
		t.Fatalf("replicator set --webhook-secret-file: %v\n%s", err, out)
	}
	out, err := run(t, rig.env, "apikey", "create", "--org", "default", "--name", "webhooks")
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	rig.key = strings.SplitN(out, "\n", 2)[0]
	a, err := (&Main{Getenv: rig.env}).openApp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	rig.app = a
	// The first sync loads the division; its end subscribes.
	rig.waitFor(t, 60*time.Second, "webhooks on after the first sync", func() bool {
		r, err := a.store.FindReplicatorByID(context.Background(), 1)
		return err == nil && r.Webhook.On() && !r.LastSyncAt.IsZero()
	})
	return rig
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (rig *webhookRig) waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// finds reports whether the lookup API finds contact id under number.
func (rig *webhookRig) finds(t *testing.T, number, id string) bool {
	t.Helper()
	status, body := getWithKey(t, rig.base, "/api/v1/lookup?number="+url.QueryEscape(number), rig.key)
	return status == http.StatusOK && strings.Contains(body, `"sourceId":"`+id+`"`)
}

// scheduledRuns counts the runs of replicator 1 not started by a webhook.
func (rig *webhookRig) runs(t *testing.T) (scheduled, webhook int) {
	t.Helper()
	list, err := rig.app.store.ListSyncRuns(context.Background(), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.Trigger == roger.TriggerWebhook {
			webhook++
		} else {
			scheduled++
		}
	}
	return scheduled, webhook
}

// TestWebhooksBringChangesWithinSeconds creates, changes and deletes a
// contact in the simulator and finds each change through the lookup API
// within 2 seconds, with no sync run in between: the webhook events bring
// them.
func TestWebhooksBringChangesWithinSeconds(t *testing.T) {
	rig := startWebhookRig(t, 100)
	scheduled, _ := rig.runs(t)
	const first, second = "+31205550123", "+31205550177"
	id, err := rig.sim.CreateContact(rigDivision, func(c *crm.Contact) { c.Phone, c.Mobile, c.BusinessFax = first, "", "" })
	if err != nil {
		t.Fatal(err)
	}
	took := rig.waitFor(t, 2*time.Second, "the new contact found by the lookup API", func() bool { return rig.finds(t, first, id) })
	t.Logf("created: found after %s", took)

	if err := rig.sim.EditContact(rigDivision, id, func(c *crm.Contact) { c.Phone = second }); err != nil {
		t.Fatal(err)
	}
	took = rig.waitFor(t, 2*time.Second, "the changed number found, the old one gone", func() bool {
		return rig.finds(t, second, id) && !rig.finds(t, first, id)
	})
	t.Logf("changed: found after %s", took)

	if err := rig.sim.DeleteContact(rigDivision, id); err != nil {
		t.Fatal(err)
	}
	took = rig.waitFor(t, 2*time.Second, "the deleted contact no longer found", func() bool { return !rig.finds(t, second, id) })
	t.Logf("deleted: gone after %s", took)

	after, webhook := rig.runs(t)
	if after != scheduled {
		t.Errorf("%d scheduled or manual runs happened meanwhile; the changes must come with the webhooks alone", after-scheduled)
	}
	if webhook == 0 {
		t.Error("no run with the trigger webhook is in the history")
	}
	if rig.throttled.Load() != 0 {
		t.Errorf("%d answers of 429", rig.throttled.Load())
	}

	// The subscription removed in Exact behind roger's back: a new
	// contact is announced by no event, and the next increment finds it
	// and counts a webhook gap.
	ctx := context.Background()
	r, err := rig.app.store.FindReplicatorByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := rig.app.store.TokenStore(1).LoadToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("DELETE", rig.simURL+"/api/v1/123456/webhooks/WebhookSubscriptions(guid'"+r.Webhook.Subscription+"')", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove the subscription in the simulator: %s", resp.Status)
	}
	const unannounced = "+31205550199"
	id, err = rig.sim.CreateContact(rigDivision, func(c *crm.Contact) { c.Phone, c.Mobile, c.BusinessFax = unannounced, "", "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := rig.app.store.RequestSync(ctx, 1); err != nil {
		t.Fatal(err)
	}
	rig.waitFor(t, 30*time.Second, "the unannounced contact found by the increment", func() bool { return rig.finds(t, unannounced, id) })
	rig.waitFor(t, 10*time.Second, "a webhook gap counted", func() bool {
		r, err := rig.app.store.FindReplicatorByID(ctx, 1)
		return err == nil && r.Webhook.Gaps == 1
	})
}

// TestForgedWebhooksChangeNothing posts events with a forged or altered
// HashCode: each is refused with 401, none is stored, and 1,000 of them
// cost no call to Exact.
func TestForgedWebhooksChangeNothing(t *testing.T) {
	rig := startWebhookRig(t, 100)
	ctx := context.Background()
	const key = "5cb718a4-f1c8-4432-9d7f-daf2bc427889"
	content := `{"Topic":"Contacts","ClientId":"` + simClientID + `","Division":123456,"Action":"Update","Key":"` + key +
		`","ExactOnlineEndpoint":"` + rig.simURL + `/api/v1/123456/crm/Contacts(guid'` + key + `')","EventCreatedOn":"2026-12-02T10:00:00.000"}`
	sign := func(secret, content string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(content))
		return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
	}
	genuine := sign(rig.secret, content)
	flipped := []byte(genuine)
	if flipped[0] == 'A' {
		flipped[0] = 'B'
	} else {
		flipped[0] = 'A'
	}
	cases := []struct{ name, content, hash string }{
		{"another secret", content, sign("not-the-secret", content)},
		{"one digit changed", content, string(flipped)},
		{"content changed", strings.Replace(content, "Update", "Delete", 1), genuine},
		{"lower-case hex of another secret", content, strings.ToLower(sign("x", content))},
		{"no HashCode", content, ""},
	}
	post := func(content, hash string) int {
		body := `{"Content":` + content + `,"HashCode":"` + hash + `"}`
		resp, err := http.Post(rig.base+"/webhooks/exact/1", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	callsBefore := rig.calls.Load()
	scheduled, webhook := rig.runs(t)
	for _, c := range cases {
		if status := post(c.content, c.hash); status != http.StatusUnauthorized {
			t.Errorf("%s: answered %d, want 401", c.name, status)
		}
	}
	for i := range 1000 {
		if status := post(content, sign(fmt.Sprint("guess", i), content)); status != http.StatusUnauthorized {
			t.Fatalf("forged POST %d: answered %d, want 401", i, status)
		}
	}
	// A moment for anything the POSTs might have set off.
	time.Sleep(300 * time.Millisecond)
	if n := rig.calls.Load() - callsBefore; n != 0 {
		t.Errorf("the forged POSTs cost %d calls to Exact", n)
	}
	pending, err := rig.app.store.PendingWebhookEvents(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("forged events were stored: %+v", pending)
	}
	if s, w := rig.runs(t); s != scheduled || w != webhook {
		t.Errorf("runs went from %d scheduled and %d webhook to %d and %d", scheduled, webhook, s, w)
	}
	_, metrics := getWithKey(t, rig.base, "/metrics", "")
	if !strings.Contains(metrics, `roger_webhook_requests_refused_total{reason="signature"} 1005`) {
		t.Errorf("the refusals are not counted:\n%s", grepLines(metrics, "roger_webhook"))
	}
	// The genuine signature of the same content is accepted: the 401s
	// were the signature's doing.
	if status := post(content, genuine); status != http.StatusOK {
		t.Errorf("the genuinely signed event was answered %d", status)
	}
}

// TestWebhookBurstIsCoalesced creates 5,000 contacts at once, as an
// import would: they reach the directory with fewer than 20 calls and no
// 429, since the waiting events are read with increments instead of one
// by one.
func TestWebhookBurstIsCoalesced(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 webhook deliveries")
	}
	rig := startWebhookRig(t, 100)
	ctx := context.Background()
	before, _, err := rig.app.store.CountEntries(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	callsBefore := rig.calls.Load()
	res, err := rig.sim.Mutate(rigDivision, exactsim.Mutation{Entity: "contacts", Creates: 5000})
	if err != nil || len(res.Created) != 5000 {
		t.Fatalf("mutate: %v (%d created)", err, len(res.Created))
	}
	took := rig.waitFor(t, 120*time.Second, "5,000 new contacts in the directory", func() bool {
		n, _, err := rig.app.store.CountEntries(ctx, 1)
		return err == nil && n == before+5000
	})
	// The deliveries go on for a while after the records are in: every
	// event must be settled, and the calls counted then.
	settled := func() bool {
		_, metrics := getWithKey(t, rig.base, "/metrics", "")
		pending, err := rig.app.store.PendingWebhookEvents(ctx, 1, 1)
		return err == nil && len(pending) == 0 && strings.Contains(metrics, "roger_webhook_events_received_total 5000\n")
	}
	for deadline := time.Now().Add(120 * time.Second); !settled(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			_, metrics := getWithKey(t, rig.base, "/metrics", "")
			pending, _ := rig.app.store.PendingWebhookEvents(ctx, 1, 10000)
			failed := 0
			for _, d := range rig.sim.Deliveries() {
				if !d.Delivered {
					failed++
				}
			}
			t.Fatalf("the events were not all received and settled within 120 s: %d pending, %d of the last deliveries failed\n%s",
				len(pending), failed, grepLines(metrics, "roger_webhook"))
		}
	}
	calls := rig.calls.Load() - callsBefore
	t.Logf("5,000 creations in the directory after %s with %d calls", took, calls)
	if calls >= 20 {
		t.Errorf("the burst cost %d calls, want fewer than 20", calls)
	}
	if rig.throttled.Load() != 0 {
		t.Errorf("%d answers of 429", rig.throttled.Load())
	}
	_, metrics := getWithKey(t, rig.base, "/metrics", "")
	if !strings.Contains(metrics, "roger_webhook_coalesced_total ") || strings.Contains(metrics, "roger_webhook_coalesced_total 0\n") {
		t.Errorf("no coalesced run counted:\n%s", grepLines(metrics, "roger_webhook"))
	}
}

// TestWebhookLatencyFigures measures, against the simulator, the time
// from a change in Exact to the changed number answering the lookup API
// (p50 and p99 over 200 changes, one every 1.1 s: Exact's 60 calls a
// minute allow one fetch a second), and the calls a day an idle division
// costs with webhooks on. It prints the figures for docs/PERFORMANCE.md;
// it runs only with ROGER_WEBHOOK_FIGURES=1 (about four minutes).
func TestWebhookLatencyFigures(t *testing.T) {
	if os.Getenv("ROGER_WEBHOOK_FIGURES") == "" {
		t.Skip("set ROGER_WEBHOOK_FIGURES=1 to measure")
	}
	rig := startWebhookRig(t, 2000)
	ctx := context.Background()
	id, err := rig.sim.CreateContact(rigDivision, func(c *crm.Contact) { c.Phone, c.Mobile, c.BusinessFax = "+31205551000", "", "" })
	if err != nil {
		t.Fatal(err)
	}
	rig.waitFor(t, 10*time.Second, "the probe contact", func() bool { return rig.finds(t, "+31205551000", id) })
	callsBefore := rig.calls.Load()
	const changes = 200
	var took []time.Duration
	for i := range changes {
		number := fmt.Sprintf("+312055520%02d", i%100)
		if i >= 100 {
			number = fmt.Sprintf("+312055530%02d", i%100)
		}
		start := time.Now()
		if err := rig.sim.EditContact(rigDivision, id, func(c *crm.Contact) { c.Phone = number }); err != nil {
			t.Fatal(err)
		}
		for !rig.finds(t, number, id) {
			if time.Since(start) > 90*time.Second {
				t.Fatalf("change %d not found within 90 s", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(start))
		time.Sleep(max(1100*time.Millisecond-time.Since(start), 0))
	}
	slices.Sort(took)
	calls := rig.calls.Load() - callsBefore
	t.Logf("change to lookup over %d changes: p50 %s, p99 %s, max %s; %d calls (%.2f a change), %d answers of 429",
		changes, took[changes/2].Round(time.Millisecond), took[changes*99/100].Round(time.Millisecond), took[changes-1].Round(time.Millisecond),
		calls, float64(calls)/changes, rig.throttled.Load())

	// An idle increment, as the safety sync runs it.
	idleBefore := rig.calls.Load()
	scheduled, _ := rig.runs(t)
	if err := rig.app.store.RequestSync(ctx, 1); err != nil {
		t.Fatal(err)
	}
	rig.waitFor(t, 30*time.Second, "the idle increment", func() bool { s, _ := rig.runs(t); return s > scheduled })
	time.Sleep(500 * time.Millisecond)
	idle := rig.calls.Load() - idleBefore
	safety := 120 * time.Minute
	perDay := int(24*time.Hour/safety)*int(idle) + int(24*time.Hour/(6*time.Hour))
	t.Logf("idle division with webhooks on: %d calls an increment, one every %s, plus the division check every 6 h: %d calls a day (polling every 5 min: %d)",
		idle, safety, perDay, int(24*time.Hour/(5*time.Minute))*int(idle)+4)
	if took[changes-1] <= 0 || idle == 0 {
		t.Fatal("nothing was measured")
	}
}

// TestWebhooksWithTwoInstances runs a second instance on the same
// database, as behind a load balancer: Exact's events reach the first,
// each change is fetched once, whichever instance applies it, and the
// second instance's lookups find it within 2 seconds.
func TestWebhooksWithTwoInstances(t *testing.T) {
	rig := startWebhookRig(t, 100)
	second, _, _ := serveInstance(t, rig.env)
	for i, number := range []string{"+31205550311", "+31205550322", "+31205550333"} {
		calls := rig.calls.Load()
		_, webhookRuns := rig.runs(t)
		id, err := rig.sim.CreateContact(rigDivision, func(c *crm.Contact) { c.Phone, c.Mobile, c.BusinessFax = number, "", "" })
		if err != nil {
			t.Fatal(err)
		}
		took := rig.waitFor(t, 2*time.Second, "the new contact found on the second instance", func() bool {
			status, body := getWithKey(t, second, "/api/v1/lookup?number="+url.QueryEscape(number), rig.key)
			return status == http.StatusOK && strings.Contains(body, `"sourceId":"`+id+`"`)
		})
		t.Logf("change %d: found on the second instance after %s", i, took)
		time.Sleep(200 * time.Millisecond)
		if n := rig.calls.Load() - calls; n != 1 {
			t.Errorf("change %d cost %d calls, want one fetch", i, n)
		}
		if _, w := rig.runs(t); w != webhookRuns+1 {
			t.Errorf("change %d was applied by %d webhook runs, want 1", i, w-webhookRuns)
		}
	}
}
