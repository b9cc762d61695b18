package exact

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/roger365io/roger"
)

// WebhookSubscription is a subscription of the app to a webhook topic in
// a division (webhooks/WebhookSubscriptions).
type WebhookSubscription struct {
	ID, CallbackURL, Topic, Description string
}

type wireSubscription struct {
	ID, CallbackURL, Topic, Description nstring
}

func (w *wireSubscription) subscription() (WebhookSubscription, error) {
	id, _ := normalizeGUID(string(w.ID))
	return WebhookSubscription{ID: id, CallbackURL: string(w.CallbackURL), Topic: string(w.Topic), Description: string(w.Description)}, nil
}

const subscriptionsEndpoint = "webhooks/WebhookSubscriptions"

// WebhookSubscriptions lists the app's subscriptions in division.
func (c *Client) WebhookSubscriptions(ctx context.Context, division int) ([]WebhookSubscription, error) {
	var out []WebhookSubscription
	err := pages(c, ctx, "exact.WebhookSubscriptions", division, subscriptionsEndpoint, "$select=ID,CallbackURL,Topic,Description", "",
		func(body []byte) ([]WebhookSubscription, string, error) {
			return decodePageAs(body, (*wireSubscription).subscription)
		},
		func(rows []WebhookSubscription, _ string) error {
			out = append(out, rows...)
			return nil
		})
	return out, err
}

// Subscribe subscribes the app to topic (Accounts or Contacts) in
// division with callback; Exact checks the callback with an empty POST
// before it answers. A subscription for the topic that exists already
// (this app's or another user's) is an ECONFLICT.
func (c *Client) Subscribe(ctx context.Context, division int, topic, callback, description string) (WebhookSubscription, error) {
	const op = "exact.Subscribe"
	if err := c.checkDivision(op, division); err != nil {
		return WebhookSubscription{}, err
	}
	body, _ := json.Marshal(map[string]string{"CallbackURL": callback, "Topic": topic, "Description": description})
	var out WebhookSubscription
	err := c.get(ctx, request{op: op, url: c.divisionURL(division, subscriptionsEndpoint), endpoint: subscriptionsEndpoint, division: division,
		method: http.MethodPost, body: body}, func(b []byte) error {
		w, err := decodeEntity[wireSubscription](b)
		if err != nil {
			return err
		}
		out, err = w.subscription()
		return err
	})
	return out, err
}

// Unsubscribe removes subscription id from division; one Exact no longer
// has is no error.
func (c *Client) Unsubscribe(ctx context.Context, division int, id string) error {
	const op = "exact.Unsubscribe"
	if err := c.checkDivision(op, division); err != nil {
		return err
	}
	g, ok := normalizeGUID(id)
	if !ok {
		return &roger.Error{Code: roger.EINVALID, Op: op, Message: "The webhook subscription " + strings.TrimSpace(id) + " is not an Exact Online ID."}
	}
	err := c.get(ctx, request{op: op, url: c.divisionURL(division, subscriptionsEndpoint+"(guid'"+g+"')"), endpoint: subscriptionsEndpoint, division: division,
		method: http.MethodDelete}, func([]byte) error { return nil })
	if roger.ErrorCodeOf(err) == roger.ENOTFOUND {
		return nil
	}
	return err
}

func (c *Client) checkDivision(op string, division int) error {
	if division <= 0 {
		return &roger.Error{Code: roger.EINVALID, Op: op, Message: "The Exact Online division is not valid: choose a division."}
	}
	return nil
}

// ParseEventTime reads a webhook's EventCreatedOn ("2023-01-17T22:56:23.087",
// Amsterdam wall-clock time without an offset, as Exact's other dates);
// zero when it is not such a time.
func ParseEventTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", strings.TrimSpace(s), amsterdam)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
