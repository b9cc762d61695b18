package roger

import (
	"context"
	"time"
)

// ReplicatorService is the one home of a replicator's life: every action
// of the portal, the command line and the syncer goes through it, with
// the same validation and the same state machine, and is audited there.
// orgID scopes an action to one organisation (a replicator of another is
// not found); 0 means any, for the command line.
type ReplicatorService interface {
	// Create validates in and stores a new replicator: a draft, or, when
	// in carries the app's credentials, one awaiting authorization.
	Create(ctx context.Context, in ReplicatorInput) (*Replicator, error)
	// SetCredentials saves the app's Client ID, host and secret; another
	// app or host ends the authorization.
	SetCredentials(ctx context.Context, orgID, id int64, in CredentialsInput) (*Replicator, error)
	// StartAuthorization issues a single-use state bound to sessionID (""
	// for the command line) and returns the Exact login URL to open.
	StartAuthorization(ctx context.Context, orgID, id int64, sessionID string, ttl time.Duration) (string, error)
	// FinishAuthorization is the OAuth callback: it checks the state,
	// exchanges the code, asks Exact who authorized and which divisions
	// they can open, and moves the replicator on.
	FinishAuthorization(ctx context.Context, id int64, state, code, sessionID string) (*Authorization, error)
	// DenyAuthorization is the OAuth callback of an authorization Exact
	// did not grant (oauthError is Exact's error code): the failure is
	// kept on the replicator and audited when state is one roger issued
	// for it. The error returned says what happened and what to do.
	DenyAuthorization(ctx context.Context, id int64, state, oauthError, sessionID string) error
	// SaveSettings saves the Contact URL, country, interval and division;
	// an authorized replicator with complete settings becomes active.
	SaveSettings(ctx context.Context, orgID, id int64, in SettingsInput) (*Replicator, bool, error)
	// CheckContactURL checks a Contact URL for the replicator as
	// SaveSettings would, without saving it (the check as it is typed),
	// and returns what it found, or the refusal of the field contact_url.
	CheckContactURL(ctx context.Context, orgID, id int64, tmpl string) (*ContactURLCheck, error)
	Pause(ctx context.Context, orgID, id int64) (*Replicator, error)
	Resume(ctx context.Context, orgID, id int64) (*Replicator, error)
	// SyncNow makes an active or failing replicator due at once.
	SyncNow(ctx context.Context, orgID, id int64) (*Replicator, error)
	// Delete removes a replicator with its entries and runs and returns
	// how many entries went.
	Delete(ctx context.Context, orgID, id int64) (int, error)
	SyncReporter
}

// SyncReporter is what a sync tells the replicator service over a run:
// the syncer neither records runs nor writes a replicator's state
// itself, so the service's rules hold for both.
type SyncReporter interface {
	// RunStarted records run as begun (it gets its ID). A run of r still
	// recorded as running was cut off by a crash or a kill; the sync that
	// holds r now marks it failed first. A run of r waiting for Exact's
	// rate limit is taken up instead of beginning another: run becomes
	// that run, with its ID, start and counts so far.
	RunStarted(ctx context.Context, r *Replicator, run *SyncRun) error
	// PageApplied records run's progress after a commit, so the portal
	// shows it while the run goes on.
	PageApplied(ctx context.Context, r *Replicator, run *SyncRun) error
	// RunEnded records run's outcome and moves the replicator on; err is
	// why the run failed (nil: it did not). The state becomes failing,
	// active again, or needs re-authorization, as far as the state
	// machine allows from the state the replicator has by then.
	RunEnded(ctx context.Context, r *Replicator, run *SyncRun, err error) error
	// RunWaiting records that run stopped for Exact's rate limit, with
	// what it read so far committed; it goes on as the same run when the
	// limit resets (RunStarted then takes it up again). The replicator's
	// state does not change.
	RunWaiting(ctx context.Context, r *Replicator, run *SyncRun) error
	// AuthLost records that the replicator's authorization is gone.
	AuthLost(ctx context.Context, id int64, message string) error
}

// ReplicatorInput is a new replicator. The portal's guide asks for the
// app's credentials and the settings on later steps; the command line
// gives them at once.
type ReplicatorInput struct {
	OrgID    int64
	Name     string
	Entity   Entity
	ExactURL string
	// Credentials and Settings, when set, are validated and stored with
	// the replicator.
	Credentials *CredentialsInput
	Settings    *SettingsInput
}

// CredentialsInput is an Exact app: its Client ID (any form
// NormalizeClientID accepts), the host it is registered on, and its
// secret ("" keeps the stored one).
type CredentialsInput struct {
	ExactURL     string
	ClientID     string
	ClientSecret string
	// WebhookSecret is the app's webhook secret, optional ("" keeps the
	// stored one): with it roger subscribes to Exact's webhooks.
	WebhookSecret string
}

// SettingsInput is what a replicator needs to sync: the Contact URL, the
// default country (ISO code or calling code, as typed), the time between
// syncs and, optionally, the division (0: the Contact URL's, or the one
// known from the authorization).
type SettingsInput struct {
	ContactURL string
	Country    string
	Interval   time.Duration
	Division   int
}

// Authorization is a finished authorization.
type Authorization struct {
	Replicator *Replicator
	// Who is the Exact Online user who granted it.
	Who string
	// NoAccess is set when Who cannot open the replicator's division; the
	// replicator's StateMessage says what to do.
	NoAccess bool
}

type actorKey struct{}

// NewContextWithActor returns ctx carrying who acts (an admin's e-mail
// address, "command line"), for the audit log.
func NewContextWithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFromContext returns who acts in ctx, "" when nobody was named.
func ActorFromContext(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}
