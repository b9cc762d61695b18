package replicators

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// webhookCallback is replicator id's callback URL, or why Exact cannot
// call roger there: Exact posts only to https, on the redirect URI's
// domain (which is roger's public URL too); plain http is used only on
// loopback, where the simulator runs beside roger.
func (s *Service) webhookCallback(id int64) (string, string) {
	if s.WebhookURL == nil {
		return "", "Webhooks are off: this roger does not receive them (no public URL)."
	}
	callback := s.WebhookURL(id)
	u, err := url.Parse(callback)
	if err != nil || u.Host == "" {
		return "", "Webhooks are off: roger's public URL (ROGER_PUBLIC_URL) is not a valid address."
	}
	if u.Scheme != "https" && !roger.IsLoopbackHost(u.Hostname()) {
		return "", "Webhooks are off: Exact Online sends them only to an https address, and roger's public URL (ROGER_PUBLIC_URL) is " +
			u.Scheme + "://" + u.Host + ". Serve roger over https to turn them on; until then changes arrive with the scheduled sync."
	}
	return callback, ""
}

// offForNoSecret is why webhooks are off without the app's secret.
const offForNoSecret = "Webhooks are off: paste the app's webhook secret (on its page in the Exact App Center, beside the Client Secret) in step 2 to turn them on."

// setWebhook records rep's subscription and why webhooks are off, when
// that changed.
func (s *Service) setWebhook(ctx context.Context, rep *roger.Replicator, subscription string, since time.Time, message string) {
	if rep.Webhook.Subscription == subscription && rep.Webhook.Message == message && (subscription == "" || rep.Webhook.Since.Equal(since)) {
		return
	}
	if err := s.Store.SetWebhookSubscription(context.WithoutCancel(ctx), rep.ID, subscription, since, message); err != nil {
		s.log().Error("record webhook subscription", "replicator", rep.ID, "err", err)
		return
	}
	rep.Webhook.Subscription, rep.Webhook.Since, rep.Webhook.Message = subscription, since, message
}

// EnsureWebhook subscribes an active replicator to its topic in its
// division when it is not yet and can be: its webhook secret is set and
// roger's public URL can be called by Exact. Otherwise, or when Exact
// refuses, the replicator's page says why webhooks are off; the sync goes
// on as the only source of changes. It costs a call to Exact only when a
// subscription is made.
func (s *Service) EnsureWebhook(ctx context.Context, rep *roger.Replicator) {
	if rep.Webhook.Subscription != "" || rep.State != roger.StateActive || rep.Division == 0 {
		return
	}
	if !rep.Webhook.SecretSet {
		s.setWebhook(ctx, rep, "", time.Time{}, offForNoSecret)
		return
	}
	callback, why := s.webhookCallback(rep.ID)
	if why != "" {
		s.setWebhook(ctx, rep, "", time.Time{}, why)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*exactTimeout)
	defer cancel()
	client, err := s.Client(ctx, rep)
	if err != nil {
		return
	}
	topic := roger.WebhookTopic(rep.Entity)
	sub, err := client.Subscribe(ctx, rep.Division, topic, callback, "roger: "+rep.Name)
	if roger.ErrorCodeOf(err) == roger.ECONFLICT {
		// Exact allows one subscription per topic and division. One to
		// this very callback is ours (made before a crash, or by another
		// instance): adopt it.
		subs, lerr := client.WebhookSubscriptions(ctx, rep.Division)
		if lerr == nil {
			for _, o := range subs {
				if strings.EqualFold(o.Topic, topic) && o.CallbackURL == callback {
					s.setWebhook(ctx, rep, o.ID, s.now(), "")
					s.audit(ctx, rep, "replicator.webhook", "adopted the existing subscription to "+topic)
					return
				}
			}
		}
		s.setWebhook(ctx, rep, "", time.Time{}, fmt.Sprintf("Webhooks are off: Exact Online already has a subscription to %s in division %d (\"Data already exists\"), made by another app or user of this administration, and allows only one. "+
			"Remove that subscription in Exact Online, or leave webhooks off; the next sync tries again. Changes arrive with the scheduled sync meanwhile.", topic, rep.Division))
		return
	}
	if err != nil {
		s.log().Warn("webhook subscription refused", "replicator", rep.ID, "err", roger.ErrorMessage(err))
		s.setWebhook(ctx, rep, "", time.Time{}, "Webhooks are off: Exact Online did not accept the subscription ("+strings.TrimSuffix(roger.ErrorMessage(err), ".")+"). The next sync tries again.")
		return
	}
	s.setWebhook(ctx, rep, sub.ID, s.now(), "")
	s.audit(ctx, rep, "replicator.webhook", "subscribed to "+topic+" in division "+strconv.Itoa(rep.Division))
}

// dropWebhook removes rep's subscription from Exact (on pause, delete or
// another app) and records why webhooks are off. A subscription Exact
// would not remove is kept on record, so a later attempt finds it.
func (s *Service) dropWebhook(ctx context.Context, rep *roger.Replicator, why string) {
	if rep.Webhook.Subscription == "" {
		if rep.Webhook.SecretSet && why != "" {
			s.setWebhook(ctx, rep, "", time.Time{}, why)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exactTimeout)
	defer cancel()
	client, err := s.Client(ctx, rep)
	if err == nil {
		err = client.Unsubscribe(ctx, rep.Division, rep.Webhook.Subscription)
	}
	if err != nil {
		s.log().Warn("remove webhook subscription", "replicator", rep.ID, "err", roger.ErrorMessage(err))
		s.setWebhook(ctx, rep, rep.Webhook.Subscription, rep.Webhook.Since, "Exact Online did not remove the webhook subscription ("+
			strings.TrimSuffix(roger.ErrorMessage(err), ".")+"); events that arrive are kept until the replicator syncs again.")
		return
	}
	s.setWebhook(ctx, rep, "", time.Time{}, why)
	s.audit(ctx, rep, "replicator.webhook", "removed the subscription")
}
