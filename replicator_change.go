package roger

import "time"

// The changes the replicator service hands to its store: each names only
// the columns of one action, so an admin's save, the syncer's state
// changes and a token rotation never overwrite each other.

// StateChange moves a replicator from state From to state To, unless its
// state is no longer From. From StateNew applies the change from
// any state.
type StateChange struct {
	From, To ReplicatorState
	Message  string
	// Due makes the replicator due at once: its first sync, or a resumed
	// one.
	Due bool
}

// CredentialsChange is a save of a replicator's app: its Client ID and
// host, a new secret ("" keeps the stored one), and, when the app or host
// changed, the end of the old authorization.
type CredentialsChange struct {
	ClientID     string
	ExactURL     string
	ClientSecret string
	// WebhookSecret, when not "", replaces the app's webhook secret.
	WebhookSecret string
	// Reauthorize forgets the token (it belongs to the old app or host)
	// and applies State.
	Reauthorize bool
	State       StateChange
}

// SettingsChange is a save of a replicator's settings, and what it
// implies: the first activation, and a full resync after a change of
// division.
type SettingsChange struct {
	ContactURL     string
	DefaultCountry string
	Interval       time.Duration
	Division       int
	// Activate, when set, is applied if the state is still its From.
	Activate *StateChange
	// ResetSync starts a full pass when the replicator has read anything
	// yet: another division is another data set.
	ResetSync bool
}
