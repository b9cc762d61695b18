package roger

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// StateNew is the state of a replicator that does not exist yet: the
// zero value, from which Create moves it into its first stored state.
const StateNew ReplicatorState = ""

// ReplicatorStates are the stored states, in the order of the setup guide.
var ReplicatorStates = []ReplicatorState{StateDraft, StateAwaitingAuthorization, StateActive, StatePaused, StateFailing, StateNeedsReauthorization}

// transitions are the state changes a replicator may make, from → to.
// Staying in a state is allowed everywhere but in StateNew: it only
// refreshes the state's message. A running sync is not a state of its
// own: it is the replicator's latest run, so "syncing" never has to be
// undone after a crash.
var transitions = map[ReplicatorState][]ReplicatorState{
	// Created by the portal (name and entity only) or by the command line,
	// which takes the app's credentials at once.
	StateNew: {StateDraft, StateAwaitingAuthorization},
	// Credentials saved. A replicator is paused at any point of its life.
	StateDraft: {StateAwaitingAuthorization, StatePaused},
	// Authorized with complete settings: it becomes active.
	StateAwaitingAuthorization: {StateActive, StatePaused},
	// A run fails, or the authorization is gone; new credentials need a
	// new authorization.
	StateActive: {StatePaused, StateFailing, StateNeedsReauthorization, StateAwaitingAuthorization},
	// A run succeeds again.
	StateFailing: {StateActive, StatePaused, StateNeedsReauthorization, StateAwaitingAuthorization},
	// Authorized again (with complete settings: active; else awaiting).
	StateNeedsReauthorization: {StateActive, StateAwaitingAuthorization, StatePaused},
	// Resumed: active when it can sync, else back to the guide. A
	// paused replicator stays paused whatever its runs or its
	// authorization do, until an admin resumes it.
	StatePaused: {StateActive, StateAwaitingAuthorization},
}

// Label is how a state is written for people.
func (s ReplicatorState) Label() string {
	switch s {
	case StateNew:
		return "not created yet"
	case StateDraft:
		return "draft"
	case StateAwaitingAuthorization:
		return "awaiting authorization"
	case StateActive:
		return "active"
	case StateNeedsReauthorization:
		return "needs re-authorization"
	case StatePaused:
		return "paused"
	case StateFailing:
		return "failing"
	}
	return string(s)
}

// Valid reports whether s is a stored state.
func (s ReplicatorState) Valid() bool { return s != StateNew && transitions[s] != nil }

// NextStep says what a replicator in state s needs before it can sync,
// in the words of the setup guide.
func (s ReplicatorState) NextStep() string {
	switch s {
	case StateDraft:
		return "save the Client ID and Client Secret of its Exact app first."
	case StateAwaitingAuthorization:
		return "authorize the application, then save the Contact URL and Country Code."
	case StateNeedsReauthorization:
		return "click Authorize application to sign in to Exact Online again."
	case StatePaused:
		return "resume it first."
	}
	return "check its settings."
}

// CanTransition reports whether a replicator may go from state from to
// state to.
func CanTransition(from, to ReplicatorState) bool {
	if from == to {
		return from != StateNew && from.Valid()
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// CanTransition reports whether r may go to state to.
func (r *Replicator) CanTransition(to ReplicatorState) bool { return CanTransition(r.State, to) }

// Transition moves r to state to with a message a person can act on
// (why; "" for none). A refused change leaves r as it was and returns
// an ECONFLICT *Error that says what the replicator needs first.
func (r *Replicator) Transition(to ReplicatorState, why string) error {
	if !r.CanTransition(to) {
		return r.refusal(to)
	}
	r.State, r.StateMessage = to, why
	return nil
}

func (r *Replicator) refusal(to ReplicatorState) *Error {
	name := r.Name
	if name == "" {
		name = fmt.Sprintf("%d", r.ID)
	}
	var msg string
	switch {
	case !to.Valid():
		msg = fmt.Sprintf("Replicator %q cannot be %s: roger knows no such state.", name, to.Label())
	case r.State == StateNew:
		msg = fmt.Sprintf("Replicator %q cannot start as %s: create it first, then save the Client ID and Client Secret of its Exact app.", name, to.Label())
	case to == StateDraft:
		msg = fmt.Sprintf("Replicator %q has its app's credentials already; to use another app, save that app's Client ID and Client Secret.", name)
	case to == StateActive:
		msg = fmt.Sprintf("Replicator %q is %s: %s", name, r.State.Label(), r.State.NextStep())
	case r.State == StatePaused:
		msg = fmt.Sprintf("Replicator %q is paused: resume it first.", name)
	default:
		msg = fmt.Sprintf("Replicator %q is %s and cannot become %s: %s", name, r.State.Label(), to.Label(), r.State.NextStep())
	}
	return &Error{Code: ECONFLICT, Op: "replicator state", Message: msg}
}

// CanSync reports whether a sync may be started for r: an active or a
// failing replicator syncs; any other needs a person first. The error
// says what.
func (r *Replicator) CanSync() error {
	if r.State == StateActive || r.State == StateFailing {
		return nil
	}
	return &Error{Code: EINVALID, Op: "sync now", Message: fmt.Sprintf("Replicator %q is %s: %s", r.Name, r.State.Label(), r.State.NextStep())}
}

// FieldError is the refusal of one input: Field names it as the portal's
// form does (client_id, contact_url, …), Message says what to change.
type FieldError struct {
	Field   string
	Message string
}

// Invalid is every refusal of one request, field by field, in the order
// the fields are asked for.
type Invalid []FieldError

// Add records a refusal of field; a field keeps its first refusal only,
// the one to fix first.
func (v *Invalid) Add(field, message string) {
	if v.Has(field) {
		return
	}
	*v = append(*v, FieldError{Field: field, Message: message})
}

// Has reports whether field was refused.
func (v Invalid) Has(field string) bool {
	for _, e := range v {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Error lists the refusals.
func (v Invalid) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}

// Err is nil without refusals, else an EINVALID *Error wrapping v, so
// callers find the fields with errors.As.
func (v Invalid) Err() error {
	if len(v) == 0 {
		return nil
	}
	msg := v[0].Message
	if len(v) > 1 {
		msg = fmt.Sprintf("%s (and %d more to correct)", msg, len(v)-1)
	}
	return &Error{Code: EINVALID, Message: msg, Err: v}
}

// MaxNameLength bounds a replicator's name.
const MaxNameLength = 100

// Shortest and longest time between syncs: Exact allows 60 calls a minute
// per app and division, and a day is the longest a directory may lag.
const (
	MinInterval = time.Minute
	MaxInterval = 24 * time.Hour
)

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidateName checks a replicator's name.
func ValidateName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "Give the replicator a name, for example “Exact accounts”."
	case len(name) > MaxNameLength:
		return "Keep the name under 100 characters."
	}
	return ""
}

// ValidateClientID checks a Client ID written as NormalizeClientID does;
// it returns what to change, "" when it is fine.
func ValidateClientID(id string) string {
	switch {
	case id == "":
		return "Paste the Client ID of the app you registered in the Exact App Center."
	case !guidPattern.MatchString(id):
		return "A Client ID looks like 2b1f0c3e-5a4d-4c3b-9e8f-1a2b3c4d5e6f: copy it from the app's page in the Exact App Center."
	}
	return ""
}

// ValidateClientSecret checks a Client Secret; required is false when a
// secret is stored already and an empty one keeps it.
func ValidateClientSecret(secret string, required bool) string {
	switch {
	case secret == "" && required:
		return "Paste the Client Secret of that app."
	case strings.ContainsAny(secret, " \t\r\n"):
		return "A Client Secret has no spaces: copy it again from the Exact App Center."
	}
	return ""
}

// ValidateInterval checks the time between syncs: whole minutes, from
// MinInterval to MaxInterval.
func ValidateInterval(d time.Duration) string {
	switch {
	case d%time.Minute != 0:
		return "Enter the minutes between syncs as a whole number, for example 5."
	case d < MinInterval || d > MaxInterval:
		return "Sync between once a minute and once a day (1 to 1440 minutes)."
	}
	return ""
}

// ValidateContactURL checks a Contact URL for a replicator of entity that
// reads from exactURL with division (0: not known yet), as
// CheckContactURL does, and returns what it found and the division it
// makes the replicator use. requireDivision refuses a link when neither
// it nor the replicator names a division.
func ValidateContactURL(tmpl string, entity Entity, exactURL string, division int, requireDivision bool) (*ContactURLCheck, int, string) {
	c, err := CheckContactURL(tmpl, entity, exactURL)
	if err != nil {
		return nil, division, ErrorMessage(err)
	}
	if c.Division != 0 {
		division = c.Division
	}
	if division == 0 && requireDivision {
		return c, 0, "Add _Division_= with your division number to the link: open a relation in Exact Online and copy the number after _Division_= from the address bar."
	}
	return c, division, ""
}

// Story is what the portal says about a replicator wherever it shows
// one (its page, the list, its status for the page's script): the badge,
// the line under it and the last authorization's problem, all derived
// from the one state, so that no two places can disagree.
type Story struct {
	// State is the stored state; Label is the badge's text, which tells
	// an authorized replicator still waiting for its settings apart from
	// one still waiting for its authorization.
	State ReplicatorState
	Label string
	// Message is the line under the badge: why the replicator is in its
	// state, or what it needs next ("" when nothing).
	Message string
	// AuthProblem is what went wrong with the last authorization attempt
	// and what to do about it, at AuthProblemAt; "" when nothing did.
	AuthProblem   string
	AuthProblemAt time.Time
}

// Story tells r's state for people; authorized says whether r holds a
// token.
func (r *Replicator) Story(authorized bool) Story {
	st := Story{State: r.State, Label: r.State.Label(), Message: r.StateMessage}
	if r.State == StateAwaitingAuthorization {
		if authorized {
			st.Label = "awaiting settings"
			if st.Message == "" {
				st.Message = "Authorized. Fill in the Contact URL and Country Code to start syncing."
			}
		} else {
			// A message of an authorization since taken back (another
			// app was saved) must not say it is authorized.
			st.Message = "Click Authorize application to sign in to Exact Online and allow access."
		}
	}
	switch a := r.AuthAttempt; {
	case a.Failed():
		st.AuthProblem, st.AuthProblemAt = "The last authorization failed: "+a.Fix, a.At
	case a.Outcome == AuthStarted && !authorized:
		st.AuthProblem, st.AuthProblemAt = "The last authorization did not come back to roger. If Exact Online showed an error about the redirect URI, the app's Redirect URL in the Exact App Center differs from the one in step 1: correct it there, then click Authorize application again.", a.At
	}
	return st
}
