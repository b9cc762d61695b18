package roger

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEveryStateTransition(t *testing.T) {
	const (
		N  = StateNew
		D  = StateDraft
		AA = StateAwaitingAuthorization
		A  = StateActive
		P  = StatePaused
		F  = StateFailing
		R  = StateNeedsReauthorization
	)
	all := append([]ReplicatorState{N}, ReplicatorStates...)
	allowed := map[[2]ReplicatorState]bool{
		{N, D}: true, {N, AA}: true,
		{D, D}: true, {D, AA}: true, {D, P}: true,
		{AA, AA}: true, {AA, A}: true, {AA, P}: true,
		{A, A}: true, {A, P}: true, {A, F}: true, {A, R}: true, {A, AA}: true,
		{F, F}: true, {F, A}: true, {F, P}: true, {F, R}: true, {F, AA}: true,
		{R, R}: true, {R, A}: true, {R, AA}: true, {R, P}: true,
		{P, P}: true, {P, A}: true, {P, AA}: true,
	}
	// What the refusal must tell a person, for the refusals a person can
	// run into.
	says := map[[2]ReplicatorState]string{
		{D, A}:  "save the Client ID and Client Secret",
		{AA, F}: "authorize the application",
		{P, F}:  "resume it first",
		{P, R}:  "resume it first",
		{R, F}:  "Authorize application",
		{A, D}:  "save that app's Client ID",
		{N, A}:  "create it first",
	}
	if n := len(all) * len(all); n != 49 {
		t.Fatalf("%d pairs", n)
	}
	for _, from := range all {
		for _, to := range all {
			pair := [2]ReplicatorState{from, to}
			t.Run(from.Label()+" to "+to.Label(), func(t *testing.T) {
				r := &Replicator{ID: 7, Name: "Exact contacts", State: from, StateMessage: "before"}
				if got := r.CanTransition(to); got != allowed[pair] {
					t.Fatalf("CanTransition = %v, want %v", got, allowed[pair])
				}
				err := r.Transition(to, "why")
				if allowed[pair] {
					if err != nil || r.State != to || r.StateMessage != "why" {
						t.Fatalf("allowed: err %v, state %q %q", err, r.State, r.StateMessage)
					}
					return
				}
				var e *Error
				if !errors.As(err, &e) || e.Code != ECONFLICT || e.Message == "" {
					t.Fatalf("refused: want an ECONFLICT *Error with a message, got %#v", err)
				}
				if r.State != from || r.StateMessage != "before" {
					t.Fatalf("a refusal changed the replicator: %q %q", r.State, r.StateMessage)
				}
				if want := says[pair]; want != "" && !strings.Contains(e.Message, want) {
					t.Fatalf("refusal %q does not say %q", e.Message, want)
				}
				if !strings.Contains(e.Message, `"Exact contacts"`) {
					t.Fatalf("refusal %q does not name the replicator", e.Message)
				}
			})
		}
	}
}

func TestCanSync(t *testing.T) {
	for _, st := range ReplicatorStates {
		t.Run(st.Label(), func(t *testing.T) {
			err := (&Replicator{Name: "x", State: st}).CanSync()
			want := st == StateActive || st == StateFailing
			if (err == nil) != want {
				t.Fatalf("CanSync = %v", err)
			}
			if err != nil && (ErrorCodeOf(err) != EINVALID || !strings.Contains(ErrorMessage(err), st.NextStep())) {
				t.Fatalf("refusal %v does not say the next step", err)
			}
		})
	}
}

func TestValidators(t *testing.T) {
	const nl = "https://start.exactonline.nl"
	tests := []struct {
		name string
		got  string
		want string // "" when accepted
	}{
		{"name empty", ValidateName(" "), "Give the replicator a name"},
		{"name too long", ValidateName(strings.Repeat("x", 101)), "under 100 characters"},
		{"name fine", ValidateName("Exact accounts"), ""},
		{"client id empty", ValidateClientID(""), "Paste the Client ID"},
		{"client id not a GUID", ValidateClientID("my-app"), "A Client ID looks like"},
		{"client id fine", ValidateClientID("2b1f0c3e-5a4d-4c3b-9e8f-1a2b3c4d5e6f"), ""},
		{"secret missing", ValidateClientSecret("", true), "Paste the Client Secret"},
		{"secret kept", ValidateClientSecret("", false), ""},
		{"secret with a space", ValidateClientSecret("abc def", false), "has no spaces"},
		{"interval zero", ValidateInterval(0), "1 to 1440 minutes"},
		{"interval over a day", ValidateInterval(1441 * time.Minute), "1 to 1440 minutes"},
		{"interval in seconds", ValidateInterval(90 * time.Second), "whole number"},
		{"interval a day", ValidateInterval(24 * time.Hour), ""},
		{"interval a minute", ValidateInterval(time.Minute), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.want == "") != (tc.got == "") || !strings.Contains(tc.got, tc.want) {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	contact := []struct {
		name, tmpl, exactURL string
		division             int
		require              bool
		wantDivision         int
		want                 string
	}{
		{"division from the link", nl + "/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=42", nl, 7, true, 42, ""},
		{"division of the replicator", nl + "/docs/CRMContactCard.aspx?_ID={SourceId}", nl, 7, true, 7, ""},
		{"no division anywhere", nl + "/docs/CRMContactCard.aspx?_ID={SourceId}", nl, 0, true, 0, "Add _Division_="},
		{"no division yet, not required", nl + "/docs/CRMContactCard.aspx?_ID={SourceId}", nl, 0, false, 0, ""},
		{"another Exact host", "https://start.exactonline.be/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=1", nl, 0, true, 1, "points to https://start.exactonline.be"},
		{"Exact on a simulator's replicator", "https://start.exactonline.be/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=1", "http://127.0.0.1:8090", 0, true, 1, "must start with http://127.0.0.1:8090/"},
		{"unknown placeholder", nl + "/docs/CRMContactCard.aspx?_ID={Nope}", nl, 1, true, 1, "{Nope} is not a placeholder"},
	}
	for _, tc := range contact {
		t.Run(tc.name, func(t *testing.T) {
			_, div, msg := ValidateContactURL(tc.tmpl, Contacts, tc.exactURL, tc.division, tc.require)
			if (tc.want == "") != (msg == "") || !strings.Contains(msg, tc.want) {
				t.Fatalf("got %q, want %q", msg, tc.want)
			}
			if tc.want == "" && div != tc.wantDivision {
				t.Fatalf("division %d, want %d", div, tc.wantDivision)
			}
		})
	}
}

func TestInvalidIsAnEINVALIDErrorWithItsFields(t *testing.T) {
	var v Invalid
	if v.Err() != nil {
		t.Fatal("no refusals is no error")
	}
	v.Add("client_id", "first")
	v.Add("client_id", "second")
	v.Add("interval", "third")
	err := v.Err()
	var got Invalid
	if ErrorCodeOf(err) != EINVALID || !errors.As(err, &got) || len(got) != 2 || got[0].Message != "first" || !strings.HasPrefix(ErrorMessage(err), "first") {
		t.Fatalf("err %v, fields %v", err, got)
	}
}

// The badge and the line under it follow from the state and the token;
// the last authorization attempt's problem shows until one succeeds.
func TestStory(t *testing.T) {
	at := time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		r              Replicator
		authorized     bool
		label, message string
		problem        string // a part of AuthProblem; "" for none
	}{
		"awaiting, not authorized": {Replicator{State: StateAwaitingAuthorization}, false,
			"awaiting authorization", "Click Authorize application to sign in to Exact Online and allow access.", ""},
		"a message of an authorization taken back": {Replicator{State: StateAwaitingAuthorization, StateMessage: "Authorized by Demo."}, false,
			"awaiting authorization", "Click Authorize application to sign in to Exact Online and allow access.", ""},
		"authorized, settings missing": {Replicator{State: StateAwaitingAuthorization, StateMessage: "Authorized by Demo. Fill in the Contact URL and Country Code to start syncing."}, true,
			"awaiting settings", "Authorized by Demo. Fill in the Contact URL and Country Code to start syncing.", ""},
		"active": {Replicator{State: StateActive}, true, "active", "", ""},
		"paused": {Replicator{State: StatePaused, StateMessage: "Paused by anna@example.nl."}, true, "paused", "Paused by anna@example.nl.", ""},
		"a failed attempt": {Replicator{State: StateAwaitingAuthorization, AuthAttempt: AuthAttempt{At: at, Outcome: AuthFailed, Fix: "Exact Online refused the app's Client Secret. Copy it again."}}, false,
			"awaiting authorization", "Click Authorize application to sign in to Exact Online and allow access.", "The last authorization failed: Exact Online refused the app's Client Secret. Copy it again."},
		"an attempt that never came back": {Replicator{State: StateAwaitingAuthorization, AuthAttempt: AuthAttempt{At: at, Outcome: AuthStarted}}, false,
			"awaiting authorization", "Click Authorize application to sign in to Exact Online and allow access.", "the app's Redirect URL in the Exact App Center differs"},
		"a re-authorization abandoned while authorized": {Replicator{State: StateActive, AuthAttempt: AuthAttempt{At: at, Outcome: AuthStarted}}, true, "active", "", ""},
		"a successful attempt":                          {Replicator{State: StateActive, AuthAttempt: AuthAttempt{At: at, Outcome: AuthOK}}, true, "active", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			st := tc.r.Story(tc.authorized)
			if st.State != tc.r.State || st.Label != tc.label || st.Message != tc.message {
				t.Fatalf("story %+v, want label %q and message %q", st, tc.label, tc.message)
			}
			if (tc.problem == "") != (st.AuthProblem == "") || !strings.Contains(st.AuthProblem, tc.problem) {
				t.Fatalf("problem %q, want one with %q", st.AuthProblem, tc.problem)
			}
			if st.AuthProblem != "" && !st.AuthProblemAt.Equal(at) {
				t.Fatalf("problem at %v, want %v", st.AuthProblemAt, at)
			}
		})
	}
}
