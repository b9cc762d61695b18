package roger

import "time"

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
