package sqlstore

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// Webhook events are stored once per (replicator, record, EventCreatedOn)
// whichever instance receives them, make their replicator due (before
// its schedule, and once per claim), and wait until marked applied; the
// webhook secret is sealed, and the subscription and gaps are kept.
func TestWebhookEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		// Not due on its schedule before events arrive.
		if err := f.store.ReleaseLease(ctx, r.ID, "", f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, err := f.store.ClaimDue(ctx, "one", schedulerLease, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d before any event (%v)", len(got), err)
		}
		if _, err := f.store.WebhookSecret(ctx, r.ID); code(err) != roger.ENOTFOUND {
			t.Fatalf("webhook secret before one is saved: %v", err)
		}
		if err := f.store.SaveCredentials(ctx, r.OrgID, r.ID, roger.CredentialsChange{ClientID: r.ClientID, ExactURL: r.ExactURL, WebhookSecret: "hook-secret"}); err != nil {
			t.Fatal(err)
		}
		if s, err := f.store.WebhookSecret(ctx, r.ID); err != nil || s != "hook-secret" {
			t.Fatalf("webhook secret %q, %v", s, err)
		}

		at := time.Date(2026, 6, 25, 11, 59, 0, 0, time.UTC)
		a := roger.WebhookEvent{Key: "aaaaaaaa-0000-0000-0000-000000000001", Action: "Update", EventCreatedOn: "2026-06-25T13:59:00.000", EventAt: at}
		b := roger.WebhookEvent{Key: "aaaaaaaa-0000-0000-0000-000000000002", Action: "Delete", EventCreatedOn: "2026-06-25T13:59:01.000", EventAt: at.Add(time.Second)}
		if n, err := f.store.AddWebhookEvents(ctx, r.ID, []roger.WebhookEvent{a, b}); err != nil || n != 2 {
			t.Fatalf("added %d, %v", n, err)
		}
		// A redelivery, received by another instance.
		if n, err := f.open().AddWebhookEvents(ctx, r.ID, []roger.WebhookEvent{a}); err != nil || n != 0 {
			t.Fatalf("a redelivery added %d, %v", n, err)
		}
		if _, err := f.store.AddWebhookEvents(ctx, r.ID+100, []roger.WebhookEvent{a}); code(err) != roger.ENOTFOUND {
			t.Fatalf("an event of no replicator: %v", err)
		}
		claimed, err := f.store.ClaimDue(ctx, "one", schedulerLease, 10)
		if err != nil || len(claimed) != 1 || !claimed[0].Webhook.Pending || claimed[0].Webhook.LastEvent.IsZero() {
			t.Fatalf("claim with events waiting: %v %v", claimed, err)
		}
		if err := f.store.ReleaseLease(ctx, r.ID, "one", f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, err := f.store.ClaimDue(ctx, "one", schedulerLease, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed again for the same events: %d (%v)", len(got), err)
		}
		pending, err := f.store.PendingWebhookEvents(ctx, r.ID, 10)
		if err != nil || len(pending) != 2 || pending[0].Key != a.Key || !pending[0].EventAt.Equal(at) || pending[1].Action != "Delete" {
			t.Fatalf("pending %+v %v", pending, err)
		}
		if err := f.store.MarkWebhookEventsApplied(ctx, r.ID, []int64{pending[0].ID}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if pending, err = f.store.PendingWebhookEvents(ctx, r.ID, 10); err != nil || len(pending) != 1 || pending[0].Key != b.Key {
			t.Fatalf("after marking one: %+v %v", pending, err)
		}
		f.clock.Advance(time.Second)
		if err := f.store.MarkWebhookEventsApplied(ctx, r.ID, nil, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if pending, err = f.store.PendingWebhookEvents(ctx, r.ID, 10); err != nil || len(pending) != 0 {
			t.Fatalf("after marking those received before now: %+v %v", pending, err)
		}
		// Applied, the event is still known: a redelivery is dropped.
		if n, err := f.store.AddWebhookEvents(ctx, r.ID, []roger.WebhookEvent{a}); err != nil || n != 0 {
			t.Fatalf("a redelivery after applying added %d, %v", n, err)
		}
		missing, err := f.store.UnannouncedChanges(ctx, r.ID, []string{a.Key, b.Key, "cccccccc-0000-0000-0000-000000000003"}, at)
		if err != nil || missing != 1 {
			t.Fatalf("unannounced: %d %v", missing, err)
		}

		// Stored versions, for events an increment answered already.
		page := roger.Page{ReplicatorID: r.ID, OrgID: r.OrgID, Upserts: []roger.Entry{{Kind: roger.KindContact, SourceID: a.Key, DisplayName: "A",
			SourceModified: at, SourceTimestamp: 5}}, Cursor: 5}
		if _, err := f.store.ApplyPage(ctx, page); err != nil {
			t.Fatal(err)
		}
		stored, err := f.store.StoredModified(ctx, r.ID, []string{a.Key, b.Key})
		if err != nil || len(stored) != 1 || !stored[a.Key].Equal(at) {
			t.Fatalf("stored versions %v %v", stored, err)
		}
		// A removal a webhook found is newer than any stored version.
		page = roger.Page{ReplicatorID: r.ID, OrgID: r.OrgID, Deletes: []roger.Deletion{{SourceID: a.Key, Timestamp: math.MaxInt64}}, Cursor: 5}
		if res, err := f.store.ApplyPage(ctx, page); err != nil || res.Deleted != 1 {
			t.Fatalf("removal: %+v %v", res, err)
		}

		since := f.clock.Now()
		if err := f.store.SetWebhookSubscription(ctx, r.ID, "sub-1", since, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.store.AddWebhookGap(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.FindReplicatorByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if w := got.Webhook; !w.On() || w.Subscription != "sub-1" || !w.Since.Equal(since) || w.Gaps != 1 || w.Pending {
			t.Fatalf("webhook state %+v", w)
		}
		// The key rotation re-seals the webhook secret too.
		sealed := 0
		if _, err := f.store.ResealAll(ctx, func(s, binding string) (string, bool, error) {
			if binding == webhookSecretBinding(r.ID) {
				sealed++
			}
			return s, false, nil
		}); err != nil || sealed != 1 {
			t.Fatalf("reseal saw the webhook secret %d times (%v)", sealed, err)
		}
	})
}
