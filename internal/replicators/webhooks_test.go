package replicators

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

// callbackTransport delivers the simulator's posts to roger's public
// host to a local server that answers 200, as roger's receiver answers
// Exact's empty validation POST; it counts them.
type callbackTransport struct {
	target *url.URL
	posts  atomic.Int64
}

func (c *callbackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.posts.Add(1)
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = c.target.Scheme, c.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

// TestWebhookSubscriptionFollowsTheReplicator subscribes an active
// replicator once its webhook secret is saved, adopts its own
// subscription when Exact answers "Data already exists", says why
// webhooks are off when the subscription is another's or the public URL
// is plain http, and removes the subscription on pause and delete.
func TestWebhookSubscriptionFollowsTheReplicator(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			ctx := context.Background()
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
			t.Cleanup(receiver.Close)
			target, _ := url.Parse(receiver.URL)
			callbacks := &callbackTransport{target: target}
			f := newFixture(t, db.dsn(t))
			svc, syncer, rep, _ := simulatedReplicator(t, f, exactsim.Options{WebhookClient: &http.Client{Transport: callbacks}})
			public := "https://roger.example"
			svc.WebhookURL = func(id int64) string { return public + "/webhooks/exact/" + strconv.FormatInt(id, 10) }
			subscriptions := func() []string {
				t.Helper()
				client, err := svc.Client(ctx, rep)
				if err != nil {
					t.Fatal(err)
				}
				subs, err := client.WebhookSubscriptions(ctx, rep.Division)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, s := range subs {
					out = append(out, s.Topic+" "+s.CallbackURL)
				}
				return out
			}
			reload := func() *roger.Replicator {
				t.Helper()
				r, err := f.store.FindReplicatorByID(ctx, rep.ID)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			if _, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual); err != nil {
				t.Fatal(err)
			}
			if r := reload(); r.Webhook.On() || !strings.Contains(r.Webhook.Message, "webhook secret") {
				t.Fatalf("without a webhook secret: %+v", r.Webhook)
			}

			// The secret saved on an active replicator subscribes at once;
			// Exact's validation POST reached the callback.
			if _, err := svc.SetCredentials(ctx, 0, rep.ID, roger.CredentialsInput{ExactURL: rep.ExactURL, ClientID: rep.ClientID, WebhookSecret: "hook-secret"}); err != nil {
				t.Fatal(err)
			}
			r := reload()
			want := "Contacts " + public + "/webhooks/exact/" + strconv.FormatInt(rep.ID, 10)
			if !r.Webhook.On() || r.Webhook.Message != "" || callbacks.posts.Load() != 1 {
				t.Fatalf("after saving the secret: %+v, %d validation posts", r.Webhook, callbacks.posts.Load())
			}
			if got := subscriptions(); len(got) != 1 || got[0] != want {
				t.Fatalf("Exact's subscriptions: %q, want %q", got, want)
			}
			first := r.Webhook.Subscription

			// Forgotten by roger (a crash before it was recorded): Exact
			// answers "Data already exists", and the subscription to this
			// callback is adopted.
			if err := f.store.SetWebhookSubscription(ctx, rep.ID, "", r.Webhook.Since, ""); err != nil {
				t.Fatal(err)
			}
			svc.EnsureWebhook(ctx, reload())
			if r := reload(); r.Webhook.Subscription != first {
				t.Fatalf("the existing subscription %s was not adopted: %+v", first, r.Webhook)
			}

			// Another callback for the same topic is someone else's.
			if err := f.store.SetWebhookSubscription(ctx, rep.ID, "", r.Webhook.Since, ""); err != nil {
				t.Fatal(err)
			}
			public = "https://other.roger.example"
			svc.EnsureWebhook(ctx, reload())
			if r := reload(); r.Webhook.On() || !strings.Contains(r.Webhook.Message, "Data already exists") || !strings.Contains(r.Webhook.Message, "another app or user") {
				t.Fatalf("another's subscription: %+v", r.Webhook)
			}

			// Plain http on a host other than loopback: off, and why.
			public = "http://roger.example"
			svc.EnsureWebhook(ctx, reload())
			if r := reload(); r.Webhook.On() || !strings.Contains(r.Webhook.Message, "https") {
				t.Fatalf("plain http: %+v", r.Webhook)
			}

			// Pause removes the subscription from Exact.
			public = "https://roger.example"
			if err := f.store.SetWebhookSubscription(ctx, rep.ID, first, r.Webhook.Since, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Pause(ctx, 0, rep.ID); err != nil {
				t.Fatal(err)
			}
			if r := reload(); r.Webhook.Subscription != "" || !strings.Contains(r.Webhook.Message, "paused") {
				t.Fatalf("after pause: %+v", r.Webhook)
			}
			if got := subscriptions(); len(got) != 0 {
				t.Fatalf("after pause Exact still has %q", got)
			}

			// Resumed, the next sync subscribes again; delete removes it.
			if _, err := svc.Resume(ctx, 0, rep.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual); err != nil {
				t.Fatal(err)
			}
			if r := reload(); !r.Webhook.On() {
				t.Fatalf("after resume and a sync: %+v", r.Webhook)
			}
			if got := subscriptions(); len(got) != 1 {
				t.Fatalf("after resume Exact has %q", got)
			}
			// Exact is asked with the token the replicator had, once it
			// is gone.
			tok, err := f.store.TokenStore(rep.ID).LoadToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Delete(ctx, 0, rep.ID); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", rep.ExactURL+"/api/v1/123456/webhooks/WebhookSubscriptions", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			req.Header.Set("Accept", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"results":[]`) {
				t.Fatalf("after delete Exact answers %s %s", resp.Status, body)
			}
		})
	}
}
