// Package replicators is roger's replicator service (roger.ReplicatorService):
// the one place where a replicator is created, given its app, authorized,
// configured, paused, resumed, synced on request and deleted, and where
// the syncer reports how its runs end. The portal, the command line and
// the syncer all call it, so the rules, the state machine and the audit
// log are the same whoever acts.
package replicators

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/phone"
)

// Store is what the service needs of the database (*sqlstore.Store).
type Store interface {
	FindReplicator(ctx context.Context, orgID, id int64) (*roger.Replicator, error)
	FindReplicatorByID(ctx context.Context, id int64) (*roger.Replicator, error)
	FindReplicatorByClientID(ctx context.Context, clientID string) (*roger.Replicator, error)
	CreateReplicator(ctx context.Context, r *roger.Replicator) error
	CreateReplicatorWithSecret(ctx context.Context, r *roger.Replicator, secret string) error
	SaveCredentials(ctx context.Context, orgID, id int64, c roger.CredentialsChange) error
	SaveSettings(ctx context.Context, orgID, id int64, c roger.SettingsChange) (bool, error)
	SaveAuthorization(ctx context.Context, id int64, t *roger.Token, division int, c roger.StateChange) (bool, error)
	ChangeState(ctx context.Context, id int64, c roger.StateChange) (bool, error)
	RequestSync(ctx context.Context, id int64) error
	DeleteReplicator(ctx context.Context, orgID, id int64) error
	CountEntries(ctx context.Context, replicatorID int64) (entries, unparseable int, err error)
	ClientSecret(ctx context.Context, id int64) (string, error)
	TokenStore(id int64) roger.TokenStore
	CreateOAuthState(ctx context.Context, replicatorID int64, sessionID string, ttl time.Duration) (string, error)
	ConsumeOAuthState(ctx context.Context, state string) (int64, string, error)
	FindSession(ctx context.Context, idHash string) (*roger.Session, error)
	AppendAudit(ctx context.Context, orgID int64, actor, action, target, detail string) error
	RecordAuthAttempt(ctx context.Context, id int64, a roger.AuthAttempt) error
	AbandonRuns(ctx context.Context, replicatorID int64, message string) error
	ContinueWaitingRun(ctx context.Context, replicatorID int64, now time.Time) (*roger.SyncRun, error)
	CreateSyncRun(ctx context.Context, r *roger.SyncRun) error
	UpdateSyncRun(ctx context.Context, r *roger.SyncRun) error
	SetWebhookSubscription(ctx context.Context, id int64, subscription string, since time.Time, message string) error
}

var _ roger.ReplicatorService = (*Service)(nil)

// Service implements roger.ReplicatorService on a Store and Exact Online.
type Service struct {
	Store Store
	// Budgets is the process's one rate budget per (app, division), shared
	// with the syncer, so the portal's calls to Exact count against the
	// same limits as the sync's. nil gives the service a registry of its
	// own.
	Budgets *exact.BudgetRegistry
	// RedirectURL is a replicator's OAuth Redirect URL.
	RedirectURL func(id int64) string
	HTTPClient  *http.Client
	Clock       roger.Clock
	// Sleep waits for a rate limit's reset; nil means a real timer (tests
	// pass one that moves a fake clock).
	Sleep func(ctx context.Context, d time.Duration) error
	// Wake, when set, tells the scheduler a replicator became due.
	Wake func()
	// WebhookURL is where Exact posts replicator id's webhook events
	// (on roger's public URL); nil: this roger does not subscribe.
	WebhookURL func(id int64) string
	Log        *slog.Logger

	budgetsOnce sync.Once
	// divisions remembers per replicator which divisions its Exact user
	// can open, so a Contact URL checked on every keystroke costs Exact
	// calls at most once per divisionsTTL.
	divisionsMu sync.Mutex
	divisions   map[int64]seenDivisions
}

// seenDivisions is who authorized a replicator and the divisions they
// can open, as Exact said at a time.
type seenDivisions struct {
	who   string
	codes []int
	until time.Time
	// fresh is set on the answer just read from Exact, not remembered.
	fresh bool
}

// divisionsTTL bounds how long a replicator's divisions are reused: long
// enough for typing a link, short enough that a right granted in Exact
// shows soon.
const divisionsTTL = 2 * time.Minute

// exactTimeout bounds the calls to Exact made while a person waits for a
// page; an Exact that does not answer soon is asked again by the sync.
const exactTimeout = 10 * time.Second

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Service) budgets() *exact.BudgetRegistry {
	s.budgetsOnce.Do(func() {
		if s.Budgets == nil {
			s.Budgets = exact.NewBudgetRegistry(s.Clock)
		}
	})
	return s.Budgets
}

func (s *Service) redirectURL(id int64) string {
	if s.RedirectURL == nil {
		return ""
	}
	return s.RedirectURL(id)
}

func (s *Service) find(ctx context.Context, orgID, id int64) (*roger.Replicator, error) {
	if orgID == 0 {
		return s.Store.FindReplicatorByID(ctx, id)
	}
	return s.Store.FindReplicator(ctx, orgID, id)
}

func (s *Service) audit(ctx context.Context, rep *roger.Replicator, action, detail string) {
	actor := roger.ActorFromContext(ctx)
	if actor == "" {
		actor = "command line"
	}
	target := "replicator/" + strconv.FormatInt(rep.ID, 10) + " (" + rep.Name + ")"
	if err := s.Store.AppendAudit(context.WithoutCancel(ctx), rep.OrgID, actor, action, target, detail); err != nil {
		s.log().Error("audit", "action", action, "err", err)
	}
}

// clientIDInUse says which replicator has the Client ID: by name within
// the organisation, without naming another organisation's.
func clientIDInUse(other *roger.Replicator, orgID int64) string {
	where := fmt.Sprintf("by replicator “%s”", other.Name)
	if orgID != 0 && other.OrgID != orgID {
		where = "by a replicator of another organisation on this roger"
	}
	return "This Client ID is already used " + where + ". An Exact Online app can serve only one replicator: register another app in the Exact App Center (for example “… – accounts” and “… – contacts”) and use its Client ID."
}

// checkCredentials validates an app for replicator id (0: a new one) of
// organisation orgID; it returns the normalised Client ID.
func (s *Service) checkCredentials(ctx context.Context, v *roger.Invalid, orgID, id int64, in roger.CredentialsInput, secretRequired bool) string {
	clientID := roger.NormalizeClientID(in.ClientID)
	if msg := roger.ValidateClientID(clientID); msg != "" {
		v.Add("client_id", msg)
	} else if other, err := s.Store.FindReplicatorByClientID(ctx, clientID); err == nil && other.ID != id {
		v.Add("client_id", clientIDInUse(other, orgID))
	}
	if msg := roger.ValidateClientSecret(strings.TrimSpace(in.ClientSecret), secretRequired); msg != "" {
		v.Add("client_secret", msg)
	}
	return clientID
}

// checkSettings validates the settings of rep (its ExactURL and Division
// as stored) and fills them in.
func checkSettings(v *roger.Invalid, rep *roger.Replicator, in roger.SettingsInput, requireDivision bool) {
	division := rep.Division
	if in.Division != 0 {
		division = in.Division
	}
	c, div, msg := roger.ValidateContactURL(in.ContactURL, rep.Entity, rep.ExactURL, division, requireDivision)
	switch {
	case msg != "":
		v.Add("contact_url", msg)
	case in.Division != 0 && c.Division != 0 && c.Division != in.Division:
		v.Add("division", fmt.Sprintf("The division %d differs from _Division_=%d in the Contact URL: make them the same.", in.Division, c.Division))
	default:
		rep.ContactURL, rep.Division = c.Template, div
	}
	country, err := phone.ParseCountry(in.Country)
	if err != nil {
		v.Add("country", roger.ErrorMessage(err))
	}
	rep.DefaultCountry = country
	if msg := roger.ValidateInterval(in.Interval); msg != "" {
		v.Add("interval", msg)
	}
	rep.Interval = in.Interval
}

// Validate checks a new replicator as Create does, without storing it.
func (s *Service) Validate(ctx context.Context, in roger.ReplicatorInput) error {
	_, _, err := s.check(ctx, in)
	return err
}

func (s *Service) check(ctx context.Context, in roger.ReplicatorInput) (*roger.Replicator, string, error) {
	var v roger.Invalid
	rep := &roger.Replicator{OrgID: in.OrgID, Name: strings.TrimSpace(in.Name), Source: roger.SourceExactOnline, Entity: in.Entity, Interval: 5 * time.Minute}
	if msg := roger.ValidateName(rep.Name); msg != "" {
		v.Add("name", msg)
	}
	if !rep.Entity.Valid() {
		v.Add("entity", "Choose accounts or contacts.")
	}
	var err error
	if rep.ExactURL, err = roger.ParseExactURL(in.ExactURL); err != nil {
		v.Add("exact_url", roger.ErrorMessage(err))
	}
	state, secret := roger.StateDraft, ""
	if in.Credentials != nil {
		rep.ClientID = s.checkCredentials(ctx, &v, in.OrgID, 0, *in.Credentials, true)
		state, secret = roger.StateAwaitingAuthorization, strings.TrimSpace(in.Credentials.ClientSecret)
	}
	if in.Settings != nil {
		// The division may still come from the authorization.
		checkSettings(&v, rep, *in.Settings, false)
	}
	if err := rep.Transition(state, ""); err != nil {
		return nil, "", err
	}
	return rep, secret, v.Err()
}

// Create validates in and stores a new replicator.
func (s *Service) Create(ctx context.Context, in roger.ReplicatorInput) (*roger.Replicator, error) {
	rep, secret, err := s.check(ctx, in)
	if err != nil {
		return nil, err
	}
	if secret != "" {
		err = s.Store.CreateReplicatorWithSecret(ctx, rep, secret)
	} else {
		err = s.Store.CreateReplicator(ctx, rep)
	}
	if err != nil {
		return nil, err
	}
	s.audit(ctx, rep, "replicator.create", "name "+rep.Name+", "+string(rep.Entity))
	return rep, nil
}

// SetCredentials saves the app's Client ID, host and secret in one
// transaction. Another app or host needs a new authorization: the old
// token is forgotten and the replicator awaits authorization.
func (s *Service) SetCredentials(ctx context.Context, orgID, id int64, in roger.CredentialsInput) (*roger.Replicator, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	var v roger.Invalid
	host, err := roger.ParseExactURL(in.ExactURL)
	if err != nil {
		v.Add("exact_url", roger.ErrorMessage(err))
	}
	clientID := s.checkCredentials(ctx, &v, orgID, rep.ID, in, rep.ClientSecretHint == "")
	hookSecret := strings.TrimSpace(in.WebhookSecret)
	if msg := roger.ValidateWebhookSecret(hookSecret); msg != "" {
		v.Add("webhook_secret", msg)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	secret := strings.TrimSpace(in.ClientSecret)
	// A token belongs to one app on one host.
	reauthorize := rep.ClientID != clientID || rep.ExactURL != host
	if reauthorize {
		// The subscription belongs to the old app: removed while its
		// token still works.
		s.dropWebhook(ctx, rep, "")
	}
	change := roger.CredentialsChange{ClientID: clientID, ExactURL: host, ClientSecret: secret, WebhookSecret: hookSecret, Reauthorize: reauthorize,
		// Every state may go back to awaiting authorization, so the
		// change applies whatever the state is by then.
		State: roger.StateChange{To: roger.StateAwaitingAuthorization}}
	if reauthorize && !rep.CanTransition(roger.StateAwaitingAuthorization) {
		return nil, rep.Transition(roger.StateAwaitingAuthorization, "")
	}
	if err := s.Store.SaveCredentials(ctx, rep.OrgID, rep.ID, change); err != nil {
		if roger.ErrorCodeOf(err) == roger.ECONFLICT {
			v.Add("client_id", roger.ErrorMessage(err))
			return nil, v.Err()
		}
		return nil, err
	}
	detail := "Client ID " + clientID + ", host " + host
	if secret != "" {
		detail += ", new Client Secret"
	}
	if hookSecret != "" {
		detail += ", new webhook secret"
		if cur, err := s.find(ctx, orgID, id); err == nil && cur.Webhook.Subscription == "" && cur.State == roger.StateActive {
			// Active already: subscribe now rather than at the next sync.
			s.EnsureWebhook(ctx, cur)
		}
	}
	if reauthorize {
		s.rememberDivisions(rep.ID, "", nil)
	}
	rep.ClientID, rep.ExactURL = clientID, host
	s.audit(ctx, rep, "replicator.credentials", detail)
	return s.find(ctx, orgID, id)
}

// StartAuthorization issues a single-use state and returns Exact's login
// URL for the replicator's app.
func (s *Service) StartAuthorization(ctx context.Context, orgID, id int64, sessionID string, ttl time.Duration) (string, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return "", err
	}
	if rep.ClientID == "" || rep.ClientSecretHint == "" {
		return "", roger.Errorf(roger.EINVALID, "Save the app's Client ID and Client Secret first; then click Authorize application.")
	}
	state, err := s.Store.CreateOAuthState(ctx, rep.ID, sessionID, ttl)
	if err != nil {
		return "", err
	}
	s.recordAttempt(ctx, rep.ID, roger.AuthStarted, "")
	s.audit(ctx, rep, "replicator.authorize-start", "sent to "+rep.ExactURL+" to sign in")
	return exact.AuthCodeURL(exact.Config{BaseURL: rep.ExactURL, ClientID: rep.ClientID, RedirectURL: s.redirectURL(rep.ID)}, state, false), nil
}

// FinishAuthorization checks the state (issued for this replicator and
// this browser session, unused, fresh), exchanges the code at once
// (Exact's codes live 3 minutes) and stores the token with the state it
// brings, in one transaction.
func (s *Service) FinishAuthorization(ctx context.Context, id int64, state, code, sessionID string) (*roger.Authorization, error) {
	rid, session, err := s.Store.ConsumeOAuthState(ctx, state)
	if err != nil {
		return nil, err
	}
	if rid != id || (session != "" && sessionID != session) {
		return nil, roger.Errorf(roger.EINVALID, "This authorization was started for another replicator or in another browser session: start again with Authorize application.")
	}
	rep, err := s.Store.FindReplicatorByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, s.authFailed(ctx, rep, session, roger.EINVALID, nil, "Exact Online sent no authorization code.", "Start again with Authorize application.")
	}
	secret, err := s.Store.ClientSecret(ctx, id)
	if err != nil {
		return nil, err
	}
	cfg := s.config(rep, secret)
	tok, err := exact.Exchange(ctx, cfg, code)
	if err != nil {
		s.log().Warn("authorization code exchange failed", "replicator", id, "err", err)
		what, fix := exchangeFailure(err)
		return nil, s.authFailed(ctx, rep, session, roger.EUNAVAILABLE, err, what, fix)
	}
	who := "an Exact Online user"
	division := rep.Division
	var accessible []int
	// Exact not answering these leaves the division check to the sync.
	s.rememberDivisions(id, "", nil)
	if me, divs, _ := s.whoAndDivisions(ctx, cfg, rep.ClientID, staticTokens{tok}); me != nil {
		who = me.FullName
		if divs != nil {
			s.rememberDivisions(id, who, divs)
		}
		if division == 0 {
			// Exact's current division is only where the user last was in
			// the web UI: a suggestion, which the Contact URL overrides.
			division = me.CurrentDivision
		}
		accessible = divs
	}
	noAccess := accessible != nil && division != 0 && !slices.Contains(accessible, division)
	change := authorizedState(rep, who, division, accessible, noAccess)
	changed, err := s.Store.SaveAuthorization(ctx, id, tok, division, change)
	if err != nil {
		s.log().Error("save authorization", "replicator", id, "err", err)
		return nil, &roger.Error{Code: roger.EINTERNAL, Message: "The authorization could not be stored; try again.", Err: err}
	}
	if !changed {
		// Another action changed the state meanwhile: decide again on
		// what it is now.
		if cur, err := s.Store.FindReplicatorByID(ctx, id); err == nil {
			if _, err := s.Store.ChangeState(ctx, id, authorizedState(cur, who, cur.Division, accessible, noAccess)); err != nil {
				s.log().Error("save authorization", "replicator", id, "err", err)
			}
		}
	}
	// The admin who started the authorization, and the Exact user who
	// granted it, may be different people.
	actor := who + " (Exact Online user)"
	if session != "" {
		if sess, err := s.Store.FindSession(ctx, session); err == nil {
			actor = sess.Email
		}
	}
	rep.Division = division
	s.recordAttempt(ctx, id, roger.AuthOK, "")
	s.audit(roger.NewContextWithActor(ctx, actor), rep, "replicator.authorize", "authorized as Exact Online user "+who+", division "+strconv.Itoa(division))
	if cur, err := s.Store.FindReplicatorByID(ctx, id); err == nil {
		rep = cur
	}
	return &roger.Authorization{Replicator: rep, Who: who, NoAccess: noAccess}, nil
}

// DenyAuthorization is the OAuth callback of an authorization Exact did
// not grant (the user chose not to allow access, or Exact refused the
// request): with a state issued for replicator id, the failure is kept
// on the replicator and in the audit log. It returns what the person in
// the popup is told.
func (s *Service) DenyAuthorization(ctx context.Context, id int64, state, oauthError, sessionID string) error {
	// The code comes from the address the browser was sent to: only one
	// shaped like OAuth's codes is repeated.
	if !oauthErrorCode.MatchString(oauthError) {
		oauthError = "an unknown error"
	}
	what, fix := "Exact Online did not grant access ("+oauthError+").", "Click Authorize application again and choose Allow."
	if oauthError == "access_denied" {
		what = "Exact Online did not grant access: Allow was not chosen."
	}
	rid, session, err := s.Store.ConsumeOAuthState(ctx, state)
	if err != nil || rid != id || (session != "" && sessionID != session) {
		// Not an authorization roger started here: nothing to record.
		return roger.Errorf(roger.EINVALID, "%s Nothing was changed; %s", what, lowerFirst(fix))
	}
	rep, err := s.Store.FindReplicatorByID(ctx, id)
	if err != nil {
		return err
	}
	return s.authFailed(ctx, rep, session, roger.EINVALID, nil, what, fix)
}

// oauthErrorCode is the shape of OAuth's error codes (access_denied, …).
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

// exchangeFailure says what went wrong when Exact refused to exchange an
// authorization code, and what fixes it.
func exchangeFailure(err error) (what, fix string) {
	var te *exact.TokenError
	if !errors.As(err, &te) {
		return "Exact Online could not be asked to finish the authorization.", "Try Authorize application again in a minute."
	}
	switch te.Kind {
	case exact.InvalidClient:
		return "Exact Online refused the app's Client ID or Client Secret.",
			"Copy the Client Secret again from the app's page in the Exact App Center, save it under App credentials, then click Authorize application."
	case exact.InvalidGrant:
		return "Exact Online did not accept the authorization code.",
			"Check that the app's Redirect URL in the Exact App Center is exactly the one in step 1, then click Authorize application again."
	case exact.RateLimited:
		return "Exact Online refused: the app made too many token requests today.", "Try Authorize application again tomorrow."
	case exact.Transient:
		return "Exact Online did not answer.", "Try Authorize application again in a few minutes."
	}
	return "Exact Online did not accept the authorization.", "Check the Client ID and Client Secret under App credentials, then click Authorize application again."
}

// authFailed keeps a failed authorization on the replicator and in the
// audit log, and returns the error the popup shows.
func (s *Service) authFailed(ctx context.Context, rep *roger.Replicator, session string, code roger.ErrorCode, cause error, what, fix string) error {
	s.recordAttempt(ctx, rep.ID, roger.AuthFailed, what+" "+fix)
	if session != "" {
		if sess, err := s.Store.FindSession(ctx, session); err == nil {
			ctx = roger.NewContextWithActor(ctx, sess.Email)
		}
	}
	s.audit(ctx, rep, "replicator.authorize-failed", what)
	return &roger.Error{Code: code, Op: "finish authorization", Err: cause, Message: what + " " + fix}
}

// recordAttempt keeps how an authorization attempt went; a failure to
// keep it is logged, since the attempt itself is over either way.
func (s *Service) recordAttempt(ctx context.Context, id int64, outcome roger.AuthOutcome, fix string) {
	a := roger.AuthAttempt{At: s.now().UTC(), Outcome: outcome, Fix: fix}
	if err := s.Store.RecordAuthAttempt(context.WithoutCancel(ctx), id, a); err != nil {
		s.log().Error("record authorization attempt", "replicator", id, "err", err)
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// authorizedState is where an authorization takes rep: active when its
// settings are complete, paused when it was paused, else back to the
// guide with what is missing.
func authorizedState(rep *roger.Replicator, who string, division int, accessible []int, noAccess bool) roger.StateChange {
	c := roger.StateChange{From: rep.State, To: roger.StateAwaitingAuthorization, Message: "Authorized by " + who + "."}
	switch {
	case noAccess:
		codes := make([]string, len(accessible))
		for i, c := range accessible {
			codes[i] = strconv.Itoa(c)
		}
		c.Message = fmt.Sprintf("Authorized by %s, who has no access to division %d (from the Contact URL). Divisions %s can open: %s. Correct the division in the Contact URL, or authorize as a user who can open division %d.",
			who, division, who, strings.Join(codes, ", "), division)
	case division != 0 && rep.ContactURL != "" && rep.DefaultCountry != "":
		if rep.State == roger.StatePaused {
			c.To = roger.StatePaused
		} else {
			c.To, c.Message, c.Due = roger.StateActive, "", true
		}
	default:
		c.Message += " Fill in the Contact URL and Country Code to start syncing."
	}
	if !roger.CanTransition(rep.State, c.To) {
		// A draft is authorized only when its app was saved outside the
		// guide: it is awaiting authorization now, and then authorized.
		c.To, c.Due = roger.StateAwaitingAuthorization, false
	}
	return c
}

// staticTokens serves the just-obtained token for the calls right after
// the exchange; it never refreshes (the token is seconds old).
type staticTokens struct{ t *roger.Token }

func (s staticTokens) LoadToken(context.Context) (*roger.Token, error) { return s.t, nil }
func (s staticTokens) UpdateToken(_ context.Context, fn func(*roger.Token) (*roger.Token, error)) error {
	_, err := fn(s.t)
	return err
}

// Authorized reports whether rep has a token.
func (s *Service) Authorized(ctx context.Context, rep *roger.Replicator) bool {
	tok, err := s.Store.TokenStore(rep.ID).LoadToken(ctx)
	return err == nil && tok != nil
}

// SaveSettings validates and saves the settings; an authorized replicator
// awaiting them becomes active and due at once. It reports whether it did.
func (s *Service) SaveSettings(ctx context.Context, orgID, id int64, in roger.SettingsInput) (*roger.Replicator, bool, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return nil, false, err
	}
	var v roger.Invalid
	next := *rep
	checkSettings(&v, &next, in, true)
	authorized := s.Authorized(ctx, rep)
	if len(v) == 0 && authorized && next.Division != rep.Division {
		if msg := s.checkDivision(ctx, &next, true); msg != "" {
			v.Add("contact_url", msg)
		}
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	// Another Country Code reads the stored national numbers differently:
	// a full pass reads every record again with it, as another division
	// is another data set.
	countryChanged := next.DefaultCountry != rep.DefaultCountry && rep.DefaultCountry != ""
	change := roger.SettingsChange{ContactURL: next.ContactURL, DefaultCountry: next.DefaultCountry, Interval: next.Interval, Division: next.Division,
		ResetSync: next.Division != rep.Division || countryChanged}
	if authorized && rep.State == roger.StateAwaitingAuthorization {
		change.Activate = &roger.StateChange{From: rep.State, To: roger.StateActive, Due: true}
	}
	activated, err := s.Store.SaveSettings(ctx, rep.OrgID, rep.ID, change)
	if err != nil {
		return nil, false, err
	}
	if activated && s.Wake != nil {
		s.Wake()
	}
	if countryChanged && !activated && rep.CanSync() == nil {
		if err := s.requestSync(ctx, rep.ID); err != nil {
			s.log().Warn("request a sync after a Country Code change", "replicator", rep.ID, "err", err)
		}
	}
	s.audit(ctx, &next, "replicator.settings", fmt.Sprintf("division %d, country %s, every %d min, Contact URL %s",
		next.Division, next.DefaultCountry, int(next.Interval/time.Minute), next.ContactURL))
	cur, err := s.find(ctx, orgID, id)
	return cur, activated, err
}

func (s *Service) config(rep *roger.Replicator, secret string) exact.Config {
	return exact.Config{BaseURL: rep.ExactURL, ClientID: rep.ClientID, ClientSecret: secret, RedirectURL: s.redirectURL(rep.ID),
		HTTPClient: s.HTTPClient, Clock: s.Clock, Sleep: s.Sleep}
}

// Client returns an Exact client for rep with its stored token, spending
// the process's shared budget of rep's app and division.
func (s *Service) Client(ctx context.Context, rep *roger.Replicator) (*exact.Client, error) {
	secret, err := s.Store.ClientSecret(ctx, rep.ID)
	if err != nil {
		return nil, err
	}
	cfg := s.config(rep, secret)
	return exact.NewClient(cfg, exact.NewTokenSource(cfg, s.Store.TokenStore(rep.ID)), s.budgets().Get(rep.ClientID, rep.Division)), nil
}

// whoAndDivisions asks Exact who granted the token and which divisions
// they can open. The divisions are read in the user's current division,
// so that call is counted in that division's budget, as Exact counts it.
func (s *Service) whoAndDivisions(ctx context.Context, cfg exact.Config, clientID string, tokens roger.TokenStore) (*exact.Me, []int, error) {
	ts := exact.NewTokenSource(cfg, tokens)
	me, err := exact.NewClient(cfg, ts, s.budgets().Get(clientID, 0)).Me(ctx)
	if err != nil {
		return nil, nil, err
	}
	divs, err := exact.NewClient(cfg, ts, s.budgets().Get(clientID, me.CurrentDivision)).Divisions(ctx, me.CurrentDivision)
	if err != nil {
		return me, nil, err
	}
	codes := make([]int, 0, len(divs))
	for _, d := range divs {
		codes = append(codes, d.Code)
	}
	return me, codes, nil
}

// checkDivision confirms that the authorized Exact user can open the
// replicator's division, and returns what to do when not ("" when fine or
// when Exact cannot be asked right now: the sync checks again). With
// recheck, a refusal from remembered divisions is confirmed with Exact
// first: access granted a minute ago is not refused on Save.
func (s *Service) checkDivision(ctx context.Context, rep *roger.Replicator, recheck bool) string {
	seen, ok := s.accessibleDivisions(ctx, rep)
	if ok && recheck && !seen.fresh && !slices.Contains(seen.codes, rep.Division) {
		s.rememberDivisions(rep.ID, "", nil)
		seen, ok = s.accessibleDivisions(ctx, rep)
	}
	if !ok || slices.Contains(seen.codes, rep.Division) {
		return ""
	}
	list := make([]string, len(seen.codes))
	for i, c := range seen.codes {
		list[i] = strconv.Itoa(c)
	}
	return fmt.Sprintf("%s, who authorized this replicator, cannot open division %d. Divisions they can open: %s. Correct _Division_= in the link, or authorize as a user of division %d.",
		seen.who, rep.Division, strings.Join(list, ", "), rep.Division)
}

// accessibleDivisions is who authorized rep and the divisions they can
// open, from Exact or from what it said less than divisionsTTL ago; false
// when Exact cannot be asked right now.
func (s *Service) accessibleDivisions(ctx context.Context, rep *roger.Replicator) (seenDivisions, bool) {
	s.divisionsMu.Lock()
	seen, ok := s.divisions[rep.ID]
	s.divisionsMu.Unlock()
	if ok && s.now().Before(seen.until) {
		return seen, true
	}
	ctx, cancel := context.WithTimeout(ctx, exactTimeout)
	defer cancel()
	secret, err := s.Store.ClientSecret(ctx, rep.ID)
	if err != nil {
		return seenDivisions{}, false
	}
	me, codes, err := s.whoAndDivisions(ctx, s.config(rep, secret), rep.ClientID, s.Store.TokenStore(rep.ID))
	if err != nil {
		return seenDivisions{}, false
	}
	seen = s.rememberDivisions(rep.ID, me.FullName, codes)
	seen.fresh = true
	return seen, true
}

// rememberDivisions keeps what Exact said of replicator id's divisions;
// nil codes forget it (another user or app is authorized next).
func (s *Service) rememberDivisions(id int64, who string, codes []int) seenDivisions {
	seen := seenDivisions{who: who, codes: codes, until: s.now().Add(divisionsTTL)}
	s.divisionsMu.Lock()
	defer s.divisionsMu.Unlock()
	if s.divisions == nil || len(s.divisions) > 1000 {
		s.divisions = map[int64]seenDivisions{}
	}
	if codes == nil {
		delete(s.divisions, id)
	} else {
		s.divisions[id] = seen
	}
	return seen
}

// CheckContactURL checks a Contact URL for replicator id as SaveSettings
// would, without saving it: the link itself, and, once the replicator is
// authorized, whether its Exact user can open the division the link
// names. It returns what the check found, with the division the link
// makes the replicator use (the replicator's own when the link names
// none, and the note says so), or the refusal of the field contact_url.
func (s *Service) CheckContactURL(ctx context.Context, orgID, id int64, tmpl string) (*roger.ContactURLCheck, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	var v roger.Invalid
	c, division, msg := roger.ValidateContactURL(tmpl, rep.Entity, rep.ExactURL, rep.Division, true)
	if msg == "" && s.Authorized(ctx, rep) {
		at := *rep
		at.Division = division
		msg = s.checkDivision(ctx, &at, false)
	}
	if msg != "" {
		v.Add("contact_url", msg)
		return nil, v.Err()
	}
	if c.Division == 0 {
		c.Note = strings.TrimSpace(fmt.Sprintf("The link names no division; division %d (from the authorization) is used. %s", division, c.Note))
		c.Division = division
	}
	return c, nil
}

// move changes replicator id's state to `to` as the state machine allows
// from the state it has now; a refused change is no error (a paused
// replicator stays paused whatever its runs do). It reports whether the
// state changed.
func (s *Service) move(ctx context.Context, orgID, id int64, to roger.ReplicatorState, message string, due bool) (*roger.Replicator, bool, error) {
	// A few tries: each is a compare-and-swap on the state it was
	// decided from, which another action may change first.
	for range 3 {
		rep, err := s.find(ctx, orgID, id)
		if err != nil {
			return nil, false, err
		}
		if !rep.CanTransition(to) {
			return rep, false, rep.Transition(to, message)
		}
		changed, err := s.Store.ChangeState(ctx, id, roger.StateChange{From: rep.State, To: to, Message: message, Due: due})
		if err != nil {
			return nil, false, err
		}
		if changed {
			rep.State, rep.StateMessage = to, message
			return rep, true, nil
		}
	}
	return nil, false, roger.Errorf(roger.ECONFLICT, "Replicator %d changed while this was saved: reload the page and try again.", id)
}

// Pause stops a replicator's syncs until it is resumed.
func (s *Service) Pause(ctx context.Context, orgID, id int64) (*roger.Replicator, error) {
	by := roger.ActorFromContext(ctx)
	if by == "" {
		by = "the command line"
	}
	rep, _, err := s.move(ctx, orgID, id, roger.StatePaused, "Paused by "+by+".", false)
	if err != nil {
		return nil, err
	}
	s.dropWebhook(ctx, rep, "Webhooks are off while the replicator is paused.")
	s.audit(ctx, rep, "replicator.pause", "")
	return rep, nil
}

// Resume makes a paused replicator active and due, or, when it cannot
// sync yet, sends it back to the guide. Resuming one that is not paused
// changes nothing.
func (s *Service) Resume(ctx context.Context, orgID, id int64) (*roger.Replicator, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	if rep.State != roger.StatePaused {
		return rep, nil
	}
	to := roger.StateActive
	if !s.Authorized(ctx, rep) || rep.ContactURL == "" || rep.DefaultCountry == "" || rep.Division == 0 {
		to = roger.StateAwaitingAuthorization
	}
	changed, err := s.Store.ChangeState(ctx, id, roger.StateChange{From: roger.StatePaused, To: to})
	if err != nil {
		return nil, err
	}
	if !changed {
		return s.find(ctx, orgID, id)
	}
	if to == roger.StateActive {
		if err := s.requestSync(ctx, id); err != nil {
			return nil, err
		}
	}
	rep.State, rep.StateMessage = to, ""
	s.audit(ctx, rep, "replicator.resume", "")
	return rep, nil
}

func (s *Service) requestSync(ctx context.Context, id int64) error {
	if err := s.Store.RequestSync(ctx, id); err != nil {
		return err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return nil
}

// SyncNow makes an active or failing replicator due at once.
func (s *Service) SyncNow(ctx context.Context, orgID, id int64) (*roger.Replicator, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	if err := rep.CanSync(); err != nil {
		return nil, err
	}
	if err := s.requestSync(ctx, id); err != nil {
		return nil, err
	}
	s.audit(ctx, rep, "replicator.sync", "sync now")
	return rep, nil
}

// Delete removes a replicator with its credentials, entries and runs.
func (s *Service) Delete(ctx context.Context, orgID, id int64) (int, error) {
	rep, err := s.find(ctx, orgID, id)
	if err != nil {
		return 0, err
	}
	entries, _, _ := s.Store.CountEntries(ctx, rep.ID)
	s.dropWebhook(ctx, rep, "")
	if err := s.Store.DeleteReplicator(ctx, rep.OrgID, rep.ID); err != nil {
		return 0, err
	}
	s.audit(ctx, rep, "replicator.delete", fmt.Sprintf("%d directory entries removed", entries))
	return entries, nil
}

// interruptedRun is the outcome of a run that was still recorded as
// running when the next sync of its replicator began.
const interruptedRun = "The sync was interrupted (roger stopped or crashed); the next run went on from the last saved page."

// RunStarted records run as begun. A run of r still running was cut off
// (a crash or a kill): the sync starting now holds the replicator, so it
// can say so. A replicator whose saved Contact URL no longer passes the
// check (saved before the check refused such links, or its Exact host
// changed since) does not sync: its run fails at once with what to
// correct, so callers are not sent to the wrong card. The check makes no
// call to Exact; the sync checks the division itself.
func (s *Service) RunStarted(ctx context.Context, r *roger.Replicator, run *roger.SyncRun) error {
	if err := s.Store.AbandonRuns(ctx, r.ID, interruptedRun); err != nil {
		return err
	}
	// A run that stopped for Exact's rate limit goes on: one load is one
	// run in the history, with its total counts and its time waited.
	waiting, err := s.Store.ContinueWaitingRun(ctx, r.ID, run.Started)
	switch {
	case err == nil:
		*run = *waiting
	case roger.ErrorCodeOf(err) != roger.ENOTFOUND:
		return err
	default:
		if err := s.Store.CreateSyncRun(ctx, run); err != nil {
			return err
		}
	}
	// A replicator is made active only with a Contact URL; one without
	// (written into the store directly) has no links to get wrong.
	if r.ContactURL == "" {
		return nil
	}
	if _, err := roger.CheckContactURL(r.ContactURL, r.Entity, r.ExactURL); err != nil {
		message := "The Contact URL does not open the right card: " + roger.ErrorMessage(err) + " Correct it under Contact URL and Country Code."
		ctx := context.WithoutCancel(ctx)
		run.Outcome, run.Error, run.Ended = roger.OutcomeFailed, message, s.now().UTC()
		_, _, merr := s.move(ctx, 0, r.ID, roger.StateFailing, message, false)
		if uerr := errors.Join(s.Store.UpdateSyncRun(ctx, run), ignoreRefusal(merr)); uerr != nil {
			return uerr
		}
		return &roger.Error{Code: roger.EINVALID, Op: "sync start", Message: message}
	}
	return nil
}

// RunWaiting records run as waiting for Exact's rate limit, even when ctx
// was cancelled; the replicator's state stays as it is.
func (s *Service) RunWaiting(ctx context.Context, r *roger.Replicator, run *roger.SyncRun) error {
	return s.Store.UpdateSyncRun(context.WithoutCancel(ctx), run)
}

// PageApplied records run's counts so far.
func (s *Service) PageApplied(ctx context.Context, r *roger.Replicator, run *roger.SyncRun) error {
	return s.Store.UpdateSyncRun(ctx, run)
}

// RunEnded moves the replicator on after a run and records the run's
// outcome, even when ctx was cancelled (a shutdown stops a run, and its
// end must still show). The state becomes failing after a failure, needs
// re-authorization when the token chain is gone, active again after a
// success; a run stopped by a shutdown changes nothing. The change is
// made only as the state machine allows from the state the replicator
// has now: one paused or given another app while the run went on keeps
// that state.
func (s *Service) RunEnded(ctx context.Context, r *roger.Replicator, run *roger.SyncRun, runErr error) error {
	ctx = context.WithoutCancel(ctx)
	err := s.runEnded(ctx, r, run, runErr)
	// The directory's size at each run's end is its history.
	if n, _, cerr := s.Store.CountEntries(ctx, r.ID); cerr == nil {
		run.DirectorySize = n
	}
	return errors.Join(err, s.Store.UpdateSyncRun(ctx, run))
}

func (s *Service) runEnded(ctx context.Context, r *roger.Replicator, run *roger.SyncRun, runErr error) error {
	switch {
	case runErr == nil:
		cur, err := s.Store.FindReplicatorByID(ctx, r.ID)
		if err != nil {
			return err
		}
		s.EnsureWebhook(ctx, cur)
		if cur.State != roger.StateFailing {
			return nil
		}
		_, _, err = s.move(ctx, 0, r.ID, roger.StateActive, "", false)
		return ignoreRefusal(err)
	case errors.Is(runErr, context.Canceled):
		return nil
	case roger.ErrorCodeOf(runErr) == roger.EREAUTHORIZE:
		return s.AuthLost(ctx, r.ID, run.Error)
	}
	_, _, err := s.move(ctx, 0, r.ID, roger.StateFailing, run.Error, false)
	return ignoreRefusal(err)
}

// AuthLost records that the replicator must be authorized again.
func (s *Service) AuthLost(ctx context.Context, id int64, message string) error {
	_, _, err := s.move(ctx, 0, id, roger.StateNeedsReauthorization, message, false)
	return ignoreRefusal(err)
}

// ignoreRefusal drops a refused transition: the syncer reports what
// happened, and a state a person set meanwhile wins.
func ignoreRefusal(err error) error {
	var e *roger.Error
	if errors.As(err, &e) && e.Op == "replicator state" {
		return nil
	}
	return err
}
