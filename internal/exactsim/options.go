package exactsim

import (
	"net/http"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

// Options configures a Simulator. The zero value of every switch is the
// behaviour the reference judges most likely for the real Exact Online; the
// switches exist for the points nobody could confirm against a live tenant.
type Options struct {
	// Clock tells the simulator the time; tests pass a clock.Fake.
	Clock roger.Clock

	// Seed makes generated data deterministic.
	Seed uint64

	// BaseURL is the absolute URL the simulator is reached at. Answers to
	// requests use the request's own host; BaseURL serves where there is
	// no request, such as webhooks caused by simulated user activity.
	BaseURL string

	// OldRefreshTokenStatus is the HTTP status for a superseded refresh
	// token: 401 (default, as recorded in picqer#300) or 400 (Invantive).
	OldRefreshTokenStatus int
	// RefreshGrace keeps a superseded refresh token valid until its
	// successor is first used (the Invantive report). Default off.
	RefreshGrace bool
	// KeepOldAccessToken keeps the previous access token valid until it
	// expires when a refresh issues a new one. Default off: one access
	// token per chain, as Flowgear describes.
	KeepOldAccessToken bool
	// TooEarlyWindow is how long after issue a refresh is refused with
	// TooEarlyToRefreshTokens. Default 570 s.
	TooEarlyWindow time.Duration
	// AccessTokenLifetime defaults to 600 s.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime is how long an unused refresh token lives.
	// Default 30 days.
	RefreshTokenLifetime time.Duration
	// TokenCallsPerDay caps token-endpoint calls per (client, user) per UTC
	// day. Default 200.
	TokenCallsPerDay int
	// TokenCapStatus is the status once TokenCallsPerDay is exceeded
	// (the real answer was never seen). Default 400.
	TokenCapStatus int

	// MinutelyLimit and DailyLimit are the API call budgets per (client,
	// division). Defaults 60 and 5000. A negative value disables the limit.
	MinutelyLimit int
	DailyLimit    int
	// ErrorsPerHour is how many 4xx answers per (client, user, division,
	// endpoint) within an hour block that endpoint for an hour. Default 10;
	// negative disables.
	ErrorsPerHour int
	// ErrorBlockStatus is the status of a request to a blocked endpoint
	// (the real one was never seen). Default 429.
	ErrorBlockStatus int

	// TimestampAsNumber serves sync Timestamps as JSON numbers instead of
	// strings (Edm.Int64 in verbose OData is a string). Default off.
	TimestampAsNumber bool
	// MandatoryFilterContacts applies Accounts' mandatory filtering to
	// crm/Contacts and bulk/CRM/Contacts as well. Default on.
	MandatoryFilterContacts *bool
	// EncodeSkiptokenDollar writes __next links with %24skiptoken.
	EncodeSkiptokenDollar bool
	// EncodeNextLinks percent-encodes every name and value of a __next
	// link (%24select=ID%2CCode&%24skiptoken=guid%27…%27), as emeq saw
	// Exact do; by default names and values are written as they read.
	EncodeNextLinks bool
	// EscapeDateSlashes writes dates as "\/Date(ms)\/", the escaped form
	// WCF Data Services uses, instead of "/Date(ms)/" as the recordings
	// show them.
	EscapeDateSlashes bool
	// UnauthorizedHTML answers an unknown or expired bearer token with the
	// HTML "Object moved" page instead of an empty body.
	UnauthorizedHTML bool
	// DeletedRetention is how long sync/Deleted keeps rows. Default 60 days.
	DeletedRetention time.Duration
	// RequireHTTPS refuses http:// redirect and callback URIs even on
	// loopback hosts. Default off, so a local portal can be registered.
	RequireHTTPS bool

	// WebhookCreateAction is the Action sent when a record is created:
	// "Create" (default) or "Update".
	WebhookCreateAction string
	// WebhookRetryBase is the first retry delay of a failed delivery; each
	// later attempt doubles it (Exact: 2^n minutes, 10 attempts). Default
	// one minute.
	WebhookRetryBase time.Duration
	// WebhookAttempts is the number of delivery attempts. Default 10.
	WebhookAttempts int
	// WebhookClient delivers webhooks and validation calls. Default: a
	// client with a 10 s timeout.
	WebhookClient *http.Client
}

func (o Options) withDefaults() Options {
	if o.BaseURL == "" {
		o.BaseURL = "http://127.0.0.1"
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.OldRefreshTokenStatus == 0 {
		o.OldRefreshTokenStatus = http.StatusUnauthorized
	}
	if o.TooEarlyWindow == 0 {
		o.TooEarlyWindow = 570 * time.Second
	}
	if o.AccessTokenLifetime == 0 {
		o.AccessTokenLifetime = 600 * time.Second
	}
	if o.RefreshTokenLifetime == 0 {
		o.RefreshTokenLifetime = 30 * 24 * time.Hour
	}
	if o.TokenCallsPerDay == 0 {
		o.TokenCallsPerDay = 200
	}
	if o.TokenCapStatus == 0 {
		o.TokenCapStatus = http.StatusBadRequest
	}
	if o.MinutelyLimit == 0 {
		o.MinutelyLimit = 60
	}
	if o.DailyLimit == 0 {
		o.DailyLimit = 5000
	}
	if o.ErrorsPerHour == 0 {
		o.ErrorsPerHour = 10
	}
	if o.ErrorBlockStatus == 0 {
		o.ErrorBlockStatus = http.StatusTooManyRequests
	}
	if o.MandatoryFilterContacts == nil {
		on := true
		o.MandatoryFilterContacts = &on
	}
	if o.DeletedRetention == 0 {
		o.DeletedRetention = 60 * 24 * time.Hour
	}
	if o.WebhookCreateAction == "" {
		o.WebhookCreateAction = "Create"
	}
	if o.WebhookRetryBase == 0 {
		o.WebhookRetryBase = time.Minute
	}
	if o.WebhookAttempts == 0 {
		o.WebhookAttempts = 10
	}
	if o.WebhookClient == nil {
		o.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	return o
}
