package roger

import (
	"context"
	"strings"
	"time"
)

// Organization is a tenant of a roger installation. Everything else belongs
// to exactly one organisation.
type Organization struct {
	ID   int64
	Name string
	// DefaultCountry is the ISO 3166 alpha-2 country lookups assume for
	// numbers written without a country code.
	DefaultCountry string
	Created        time.Time
}

// Entity is what a replicator copies.
type Entity string

// The entities a replicator can copy.
const (
	Accounts Entity = "accounts"
	Contacts Entity = "contacts"
)

// Valid reports whether e is a known entity.
func (e Entity) Valid() bool { return e == Accounts || e == Contacts }

// NormalizeClientID writes a GUID Client ID one way (lower case, no
// braces), so the same app is recognised however it was pasted.
func NormalizeClientID(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "{}"))
}

// ReplicatorState is where a replicator is in its life.
type ReplicatorState string

// The replicator states.
const (
	StateDraft                 ReplicatorState = "draft"                  // credentials missing
	StateAwaitingAuthorization ReplicatorState = "awaiting_authorization" // credentials set, no token yet
	StateActive                ReplicatorState = "active"                 // syncing on its interval
	StateNeedsReauthorization  ReplicatorState = "needs_reauthorization"  // the token chain is gone
	StatePaused                ReplicatorState = "paused"                 // stopped by an admin
	StateFailing               ReplicatorState = "failing"                // its last runs failed
)

// SourceExactOnline is the only source type so far.
const SourceExactOnline = "exact-online"

// Replicator copies one entity of one Exact Online division into the
// directory, for as long as it exists.
type Replicator struct {
	ID     int64
	OrgID  int64
	Name   string
	Source string
	Entity Entity
	// ExactURL is the base URL of the Exact Online host the app and the
	// division live on (https://start.exactonline.nl, …, or a simulator).
	ExactURL string
	Division int
	ClientID string
	// ClientSecretHint is the last four characters of the secret, the only
	// part ever shown again. The secret itself lives in Credentials.
	ClientSecretHint string
	ContactURL       string
	DefaultCountry   string
	Interval         time.Duration

	State        ReplicatorState
	StateMessage string

	// Sync position: Cursor is the highest Exact Timestamp fully applied,
	// DeletedCursor the same for sync/Deleted. ResumeURL is the __next link
	// of the last applied page of an unfinished pass, so a restart goes on
	// where it stopped instead of starting over; Phase is the part of the
	// pass it stopped in.
	Cursor        int64
	DeletedCursor int64
	ResumeURL     string
	Phase         SyncPhase
	FullSync      bool // the unfinished pass is a full resync that ends with reconciliation
	// Pass numbers full passes: every entry read is stamped with it, and
	// a full resync ends by removing the entries it did not stamp.
	Pass             int64
	DivisionMoveDate time.Time
	// DivisionCheckedAt is when DivisionMoveDate was last compared with
	// Exact's; a move resets Exact's Timestamps, so it forces a full sync.
	DivisionCheckedAt time.Time
	LastSyncAt        time.Time
	NextSyncAt        time.Time
	// SyncRequested is an admin's "Sync now" not yet taken up: the
	// replicator is due whatever NextSyncAt says, before any scheduled
	// one, and its run is recorded as manual.
	SyncRequested bool
	// RateWaitUntil is set while the replicator's run waits for Exact's
	// rate limit to reset (zero otherwise): it holds no worker and no
	// lease meanwhile, and is due again then. RateWaitDaily says the
	// day's calls are spent, so the wait lasts until 00:00 UTC.
	RateWaitUntil time.Time
	RateWaitDaily bool

	// AuthAttempt is the replicator's last authorization attempt, kept
	// after the window that showed its outcome is closed.
	AuthAttempt AuthAttempt

	// Webhooks: see WebhookState.
	Webhook WebhookState

	Created time.Time
	Updated time.Time
}

// WaitingForRateLimit reports whether the replicator waits for Exact's
// rate limit at now.
func (r *Replicator) WaitingForRateLimit(now time.Time) bool {
	return !r.RateWaitUntil.IsZero() && now.Before(r.RateWaitUntil)
}

// AuthOutcome is how an authorization attempt ended.
type AuthOutcome string

// The outcomes of an authorization attempt.
const (
	AuthOK     AuthOutcome = "ok"
	AuthFailed AuthOutcome = "failed"
	// AuthStarted is an attempt sent to Exact that has not come back:
	// Exact shows some refusals (a Redirect URL that differs from the
	// app's) on its own page and never returns to roger.
	AuthStarted AuthOutcome = "started"
)

// AuthAttempt is an authorization attempt: when it ended, how, and for a
// failure what to do about it.
type AuthAttempt struct {
	At      time.Time
	Outcome AuthOutcome
	Fix     string
}

// Failed reports whether the attempt failed.
func (a AuthAttempt) Failed() bool { return a.Outcome == AuthFailed }

// SyncPhase is the part of a sync pass a replicator is in: a pass reads
// the changed records first, then Exact's deletion log.
type SyncPhase string

// The phases of a pass.
const (
	PhaseRecords   SyncPhase = "records"   // reading changed records; also a pass not begun
	PhaseDeletions SyncPhase = "deletions" // reading sync/Deleted
)

// Credentials are a replicator's secrets, sealed at rest.
type Credentials struct {
	ClientSecret string
	Token        *Token
}

// Token is an Exact Online OAuth token pair.
type Token struct {
	AccessToken  string
	RefreshToken string
	// Expiry is when the access token stops working.
	Expiry time.Time
	// Obtained is when the pair was issued; Exact refuses a refresh within
	// 570 s of it.
	Obtained time.Time
}

// Kind is the kind of a directory entry.
type Kind string

// The kinds of entries.
const (
	KindAccount Kind = "account"
	KindContact Kind = "contact"
)

// NumberStatus says whether a number parsed.
type NumberStatus string

// The parse outcomes of a number.
const (
	NumberOK      NumberStatus = "ok"
	NumberInvalid NumberStatus = "invalid"
)

// Number is one phone number of an entry, as written and as parsed. The
// short JSON names keep the copy stored with every directory entry small.
type Number struct {
	Field     string       `json:"f"` // Phone, Mobile, BusinessPhone, Fax, …
	Raw       string       `json:"r"`
	E164      string       `json:"e,omitempty"` // "" when it did not parse
	Extension string       `json:"x,omitempty"`
	Status    NumberStatus `json:"s"`
	Reason    string       `json:"why,omitempty"` // why it did not parse
	// Unlisted marks an E164 that is possible for its country (a right
	// length) but in no range the numbering plan metadata lists, such as
	// a new or unassigned range. It is indexed like any other number, since
	// the CRM may hold exactly the number that calls, and it is listed in
	// the data-quality report.
	Unlisted bool `json:"u,omitempty"`
	// National is true when the number was written without a country
	// code, so that the entry's Country decided how it was read.
	National bool `json:"n,omitempty"`
}

// CountrySource says where the country that read an entry's national
// numbers came from.
type CountrySource string

// The sources of an entry's country, in the order they are tried.
const (
	// CountryFromRecord is the record's own Country field.
	CountryFromRecord CountrySource = "record"
	// CountryFromAccount is the Country of a contact's account.
	CountryFromAccount CountrySource = "account"
	// CountryFromReplicator is the replicator's Country Code: neither the
	// record nor its account named a country, so it was guessed.
	CountryFromReplicator CountrySource = "replicator"
)

// Entry is one record of the directory: an Exact account or contact with
// its phone numbers.
type Entry struct {
	ID           int64
	OrgID        int64
	ReplicatorID int64
	Kind         Kind
	SourceID     string // the Exact GUID
	// CompanyID is the account's GUID: for an account its own ID, for a
	// contact its Account.
	CompanyID      string
	DisplayName    string
	CompanyName    string
	Email          string
	JobTitle       string
	SourceModified time.Time
	// SourceTimestamp is Exact's rowversion of this version of the record;
	// an upsert never replaces a newer one with an older one.
	SourceTimestamp int64
	SyncedAt        time.Time
	Numbers         []Number

	// Country is the country (ISO 3166 alpha-2) whose numbering plan read
	// the entry's national numbers; CountryFrom says where it came from.
	Country     string
	CountryFrom CountrySource

	// Cleaned says what was changed in Exact's text to store it, one
	// note a field ("FirstName: a NUL byte, replaced by �"); the
	// replicator's data-quality list shows it. Empty for nearly every
	// entry.
	Cleaned []string
}

// SyncTrigger says what started a run.
type SyncTrigger string

// The triggers.
const (
	TriggerSchedule SyncTrigger = "schedule"
	TriggerManual   SyncTrigger = "manual"
	TriggerWebhook  SyncTrigger = "webhook"
	// TriggerFirst is the first load of a replicator, started by the
	// save that made it active.
	TriggerFirst SyncTrigger = "first-load"
)

// SyncOutcome is how a run ended.
type SyncOutcome string

// The outcomes.
const (
	OutcomeRunning SyncOutcome = "running"
	OutcomeOK      SyncOutcome = "ok"
	OutcomeFailed  SyncOutcome = "failed"
	// OutcomeWaiting is a run that stopped for Exact's rate limit and
	// goes on, as the same run, when its budget allows.
	OutcomeWaiting SyncOutcome = "waiting"
)

// SyncRun is one synchronisation of a replicator.
type SyncRun struct {
	ID           int64
	ReplicatorID int64
	Trigger      SyncTrigger
	Full         bool
	Started      time.Time
	Ended        time.Time
	Outcome      SyncOutcome
	Read         int
	Created      int
	Updated      int
	Deleted      int
	Unparseable  int
	APICalls     int
	Error        string

	// SetAside counts records the database refused; they are listed with
	// the replicator instead of stopping the records after them.
	SetAside int

	// Waits counts the run's stops for Exact's rate limit, and Waited is
	// how long they lasted together; WaitStarted is when the current one
	// began (zero unless the run waits now).
	Waits       int
	Waited      time.Duration
	WaitStarted time.Time

	// Expected is how many records the run's pass is expected to read,
	// as Exact counted them when a full pass began (0: not known).
	Expected int
	// DirectorySize is how many entries the replicator had in the
	// directory when the run ended (-1: not counted).
	DirectorySize int
}

// RunDay is one day of a replicator's sync history: the records its runs
// changed, the API calls they made, the runs that failed, and the size of
// the directory at the day's last counted run end (-1: none counted).
type RunDay struct {
	Day           time.Time
	Changed       int
	APICalls      int
	Failures      int
	DirectorySize int
}

// Clock tells the time; tests pass a fake.
type Clock interface {
	Now() time.Time
}

// TokenStore keeps one replicator's Exact token. UpdateToken serialises
// changes across goroutines and across instances sharing a database: fn
// gets the token as stored at that moment (re-read under the lock), and a
// token it returns is stored before UpdateToken returns, so a rotated
// refresh token is never used before it is safe on disk.
type TokenStore interface {
	LoadToken(ctx context.Context) (*Token, error)
	UpdateToken(ctx context.Context, fn func(current *Token) (*Token, error)) error
}

// User is an admin of one organisation.
type User struct {
	ID    int64
	OrgID int64
	Email string
	// PasswordHash is the encoded password hash (argon2id); the password
	// itself is never stored.
	PasswordHash string
	Created      time.Time
	// Role is what the admin may do; an admin created without one (the
	// command line's first admin of an organisation) is an owner.
	Role Role
	// LastSignIn is the admin's latest sign-in to the portal, zero when
	// they never signed in.
	LastSignIn time.Time
}
