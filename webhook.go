package roger

import (
	"strings"
	"time"
)

// WebhookState is where a replicator stands with Exact Online's
// webhooks: with a subscription and the webhook secret, a change in
// Exact is in the directory within seconds, and the scheduled sync is
// only the safety net.
type WebhookState struct {
	// SecretSet says the app's webhook secret is stored (sealed); it is
	// never shown again, not even in part.
	SecretSet bool
	// Subscription is the ID of the replicator's subscription in Exact
	// ("" when there is none) and Since when it was made or adopted.
	Subscription string
	Since        time.Time
	// Message says why webhooks are off, "" when nothing stands in the
	// way.
	Message string
	// LastEvent is when the last signed event was received.
	LastEvent time.Time
	// Gaps counts increments that found changes no event had announced.
	Gaps int64
	// Pending says events wait to be applied: the replicator is due.
	Pending bool
}

// On reports whether webhooks work for the replicator: subscribed, with
// the secret to check what arrives.
func (w WebhookState) On() bool { return w.Subscription != "" && w.SecretSet }

// WebhookEvent is one signed notification of Exact Online, accepted for
// a replicator. It carries no record data: the record is read from Exact.
type WebhookEvent struct {
	ID           int64
	ReplicatorID int64
	// Key is the record's GUID (lower case, no braces).
	Key string
	// Action is Exact's: Create, Update or Delete.
	Action string
	// EventCreatedOn is Exact's text, as received: with the key it makes
	// an event unique.
	EventCreatedOn string
	// EventAt is EventCreatedOn read as an instant (zero when it could
	// not be read); Received is when roger accepted it.
	EventAt  time.Time
	Received time.Time
}

// Deletes reports whether the event says the record is gone.
func (e WebhookEvent) Deletes() bool { return strings.EqualFold(e.Action, "Delete") }

// WebhookTopic is the Exact webhook topic of entity e.
func WebhookTopic(e Entity) string {
	if e == Contacts {
		return "Contacts"
	}
	return "Accounts"
}

// ValidateWebhookSecret checks a webhook secret as pasted ("" is allowed:
// it keeps the stored one, or leaves webhooks off).
func ValidateWebhookSecret(secret string) string {
	if strings.ContainsAny(secret, " \t\r\n") {
		return "A webhook secret has no spaces: copy it again from the app's page in the Exact App Center."
	}
	return ""
}
