package roger

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// AlertCondition is something wrong with a replicator that people are
// told about.
type AlertCondition string

// The conditions roger alerts on.
const (
	// AlertReauthorization: Exact no longer accepts the replicator's
	// authorization; nothing syncs until someone signs in again.
	AlertReauthorization AlertCondition = "needs_reauthorization"
	// AlertFailing: the replicator's last runs all failed.
	AlertFailing AlertCondition = "failing"
	// AlertStale: no run succeeded for longer than the staleness limit.
	AlertStale AlertCondition = "stale"
	// AlertDailyCalls: the replicator has spent more than its share
	// (80%) of the API calls Exact allows its app in its division a day;
	// when they run out, its syncs stop until midnight UTC.
	AlertDailyCalls AlertCondition = "daily_calls"
	// AlertUnparseable: in the replicator's latest sync, the numbers that
	// did not parse were more than a tenth of the records it read, as when
	// an import in Exact wrote numbers in a new notation.
	AlertUnparseable AlertCondition = "unparseable"
)

// Alert is a condition of one replicator, open from the evaluation that
// found it until the one that finds it gone (Cleared).
type Alert struct {
	ID           int64
	OrgID        int64
	ReplicatorID int64
	Condition    AlertCondition
	// Since is when the condition began, as far as roger can tell.
	Since  time.Time
	Opened time.Time
	// Reminded is when the last notice of it went out: its opening or
	// the latest daily reminder.
	Reminded time.Time
	Cleared  time.Time
	// Detail says what happened in plain words.
	Detail string
}

// NoticeKind says why a notice is sent.
type NoticeKind string

// The kinds of notices.
const (
	NoticeAlert    NoticeKind = "alert"
	NoticeReminder NoticeKind = "reminder"
	NoticeRecovery NoticeKind = "recovery"
	NoticeTest     NoticeKind = "test"
)

// Notice is what one notification says, the same on every channel. It
// holds nothing secret: it is stored, logged and shown as it is.
type Notice struct {
	Kind         NoticeKind     `json:"kind"`
	Condition    AlertCondition `json:"condition,omitempty"`
	Organization string         `json:"organization"`
	ReplicatorID int64          `json:"replicator_id,omitempty"`
	Replicator   string         `json:"replicator,omitempty"`
	// Title is one line: the subject of an e-mail, the heading of a card.
	Title string `json:"title"`
	// What happened, in plain words.
	Text string `json:"text"`
	// Since is when the condition began (zero for a test).
	Since time.Time `json:"since,omitzero"`
	// Action says what to do; Link is where to do it.
	Action string    `json:"action,omitempty"`
	Link   string    `json:"link,omitempty"`
	At     time.Time `json:"at"`
}

// ChannelKind is how notices reach people.
type ChannelKind string

// The kinds of channels.
const (
	ChannelEmail   ChannelKind = "email"
	ChannelTeams   ChannelKind = "teams"
	ChannelWebhook ChannelKind = "webhook"
)

// Channel is one of an organisation's destinations of notices.
type Channel struct {
	ID    int64
	OrgID int64
	Kind  ChannelKind
	Name  string
	// Recipients are the addresses of an e-mail channel.
	Recipients []string
	// URL (Teams and webhook) and Secret (the webhook's signing key) are
	// sealed at rest; Hint is what of them is shown again.
	URL     string
	Secret  string
	Hint    string
	Created time.Time
}

// DeliveryStatus is where a notification is in its delivery.
type DeliveryStatus string

// The delivery statuses.
const (
	DeliveryPending DeliveryStatus = "pending"
	DeliverySent    DeliveryStatus = "sent"
	// DeliveryFailed: every attempt failed; it is not tried again.
	DeliveryFailed DeliveryStatus = "failed"
)

// Notification is one notice queued for one channel.
type Notification struct {
	ID          int64
	OrgID       int64
	ChannelID   int64
	AlertID     int64
	Notice      Notice
	Status      DeliveryStatus
	Attempts    int
	NextAttempt time.Time
	Created     time.Time
}

// DeliveryAttempt is one line of the notifications log.
type DeliveryAttempt struct {
	ID             int64
	NotificationID int64
	OrgID          int64
	At             time.Time
	// Outcome is DeliverySent or DeliveryFailed; Error says why it failed
	// and never holds a secret.
	Outcome DeliveryStatus
	Error   string
	// Channel and Title name what was attempted, for the log.
	Channel string
	Title   string
}

// MaxChannelName bounds a channel's name.
const MaxChannelName = 100

// Validate checks a channel before it is stored; the error lists what to
// change, field by field (name, email, url, secret, kind).
func (c *Channel) Validate() error {
	var v Invalid
	switch {
	case strings.TrimSpace(c.Name) == "":
		v.Add("name", "Give the channel a name, for example “support desk”.")
	case len(c.Name) > MaxChannelName:
		v.Add("name", "Keep the name under 100 characters.")
	}
	switch c.Kind {
	case ChannelEmail:
		if len(c.Recipients) == 0 {
			v.Add("email", "Add the e-mail addresses that receive the notices, separated by commas.")
		}
		for _, r := range c.Recipients {
			if a, err := mail.ParseAddress(r); err != nil || a.Address != r {
				v.Add("email", fmt.Sprintf("%q is not an e-mail address such as desk@example.com.", r))
			}
		}
	case ChannelTeams, ChannelWebhook:
		if msg := checkChannelURL(c.URL, c.Kind); msg != "" {
			v.Add("url", msg)
		}
		if c.Kind == ChannelWebhook && len(c.Secret) < 16 {
			v.Add("secret", "Give the webhook a signing secret of at least 16 characters; the receiver checks the X-Roger-Signature header with it.")
		}
	default:
		v.Add("kind", "A channel is email, teams or webhook.")
	}
	return v.Err()
}

func checkChannelURL(raw string, kind ChannelKind) string {
	where := "the URL your receiver gives"
	if kind == ChannelTeams {
		where = "the URL of the Teams workflow “Post to a channel when a webhook request is received”"
	}
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "Paste " + where + ", starting with https://."
	}
	if u.Scheme == "http" {
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "Use an https:// URL: notices must not travel in plain text (http:// is only for a receiver on this machine)."
		}
	}
	return ""
}

// ReplicatorStatus is how a replicator is doing, for monitoring systems
// (GET /api/v1/status): no names of secrets, nothing but what the portal
// shows its admins.
type ReplicatorStatus struct {
	ID     int64           `json:"id"`
	Name   string          `json:"name"`
	Entity Entity          `json:"entity"`
	State  ReplicatorState `json:"state"`
	// StateMessage says what a person must do, when anything.
	StateMessage string `json:"state_message,omitempty"`
	// LastSuccess is when its last successful sync ended (absent before
	// the first); StaleSeconds how long ago that was, StaleLimitSeconds
	// how long is too long, and Stale whether it is too long now.
	LastSuccess       time.Time `json:"last_success,omitzero"`
	StaleSeconds      int64     `json:"stale_seconds"`
	StaleLimitSeconds int64     `json:"stale_limit_seconds"`
	Stale             bool      `json:"stale"`
	// CallsToday are the Exact Online API calls its runs spent since
	// 00:00 UTC, when Exact's daily limit resets.
	CallsToday int `json:"calls_today"`
	// Alerts are the conditions of its open alerts.
	Alerts []AlertCondition `json:"alerts"`
}
