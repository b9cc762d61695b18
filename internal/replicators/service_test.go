package replicators

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

const (
	clientA = "11111111-2222-3333-4444-555555555555"
	clientB = "66666666-7777-8888-9999-000000000000"
	nl      = "https://start.exactonline.nl"
	link    = nl + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"
)

// database opens a fresh store of one kind for a test.
type database struct {
	name string
	dsn  func(t *testing.T) string
}

// databases are SQLite and, when ROGER_TEST_POSTGRES is set, PostgreSQL.
func databases(t *testing.T) []database {
	out := []database{{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "roger.db") }}}
	if pg := sqltest.Postgres(t); pg != "" {
		out = append(out, database{"postgres", func(t *testing.T) string { return sqltest.FreshPostgres(t, pg) }})
	}
	return out
}

// flakySealer seals with a real key ring, but refuses client secrets
// while fail is set: a failure in the middle of saving credentials.
type flakySealer struct {
	*secret.Keyring
	fail atomic.Bool
}

func (f *flakySealer) Seal(plain []byte, binding string) (string, error) {
	if f.fail.Load() && strings.HasSuffix(binding, "/client_secret") {
		return "", errors.New("sealing failed")
	}
	return f.Keyring.Seal(plain, binding)
}

// fixture is a store with one organisation and an active, authorized
// replicator of app clientA.
type fixture struct {
	store  *sqlstore.Store
	sealer *flakySealer
	clock  *clock.Fake
	svc    *Service
	rep    *roger.Replicator
}

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	ctx := context.Background()
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sealer: &flakySealer{Keyring: ring}, clock: clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))}
	f.store, err = sqlstore.Open(ctx, dsn, sqlstore.Options{Sealer: f.sealer, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.store.Close() })
	f.svc = &Service{Store: f.store, Clock: f.clock}
	org := &roger.Organization{Name: "org"}
	if err := f.store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	f.rep, err = f.svc.Create(ctx, roger.ReplicatorInput{OrgID: org.ID, Name: "contacts", Entity: roger.Contacts, ExactURL: nl,
		Credentials: &roger.CredentialsInput{ClientID: clientA, ClientSecret: "old-secret-1234"},
		Settings:    &roger.SettingsInput{ContactURL: link, Country: "NL", Interval: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveToken(ctx, f.rep.ID, &roger.Token{AccessToken: "a", RefreshToken: "r", Expiry: f.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ChangeState(ctx, f.rep.ID, roger.StateChange{From: roger.StateAwaitingAuthorization, To: roger.StateActive}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) reload(t *testing.T) *roger.Replicator {
	t.Helper()
	r, err := f.store.FindReplicatorByID(context.Background(), f.rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// racingStore runs hook once, right after the service has read the
// replicator it is about to change.
type racingStore struct {
	*sqlstore.Store
	hook func()
}

func (s *racingStore) FindReplicator(ctx context.Context, orgID, id int64) (*roger.Replicator, error) {
	r, err := s.Store.FindReplicator(ctx, orgID, id)
	if s.hook != nil {
		hook := s.hook
		s.hook = nil
		hook()
	}
	return r, err
}

func TestSettingsSaveRacingAuthLostKeepsBoth(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			f := newFixture(t, db.dsn(t))
			ctx := context.Background()
			// The syncer finds the authorization gone while an admin's
			// settings save is between its read and its write.
			racing := &racingStore{Store: f.store, hook: func() {
				if err := f.svc.AuthLost(ctx, f.rep.ID, "Exact Online refused the token: authorize again."); err != nil {
					t.Error(err)
				}
			}}
			portal := &Service{Store: racing, Clock: f.clock}
			if _, _, err := portal.SaveSettings(ctx, f.rep.OrgID, f.rep.ID, roger.SettingsInput{ContactURL: link, Country: "BE", Interval: 15 * time.Minute}); err != nil {
				t.Fatal(err)
			}
			if racing.hook != nil {
				t.Fatal("the race did not run")
			}
			got := f.reload(t)
			if got.State != roger.StateNeedsReauthorization || got.StateMessage != "Exact Online refused the token: authorize again." {
				t.Errorf("the syncer's state was lost: %q %q", got.State, got.StateMessage)
			}
			if got.DefaultCountry != "BE" || got.Interval != 15*time.Minute {
				t.Errorf("the settings were lost: country %q, interval %v", got.DefaultCountry, got.Interval)
			}
		})
	}
}

func TestSavingCredentialsCommitsTogetherOrNotAtAll(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			f := newFixture(t, db.dsn(t))
			ctx := context.Background()
			in := roger.CredentialsInput{ExactURL: nl, ClientID: clientB, ClientSecret: "new-secret-5678"}
			// Sealing the new secret fails after the Client ID was written
			// in the same transaction.
			f.sealer.fail.Store(true)
			if _, err := f.svc.SetCredentials(ctx, f.rep.OrgID, f.rep.ID, in); err == nil {
				t.Fatal("saving with a failing sealer succeeded")
			}
			f.sealer.fail.Store(false)
			got := f.reload(t)
			if got.ClientID != clientA || got.ClientSecretHint != "1234" || got.State != roger.StateActive {
				t.Errorf("a failed save changed the replicator: Client ID %s, hint %s, state %s", got.ClientID, got.ClientSecretHint, got.State)
			}
			if s, err := f.store.ClientSecret(ctx, f.rep.ID); err != nil || s != "old-secret-1234" {
				t.Errorf("a failed save changed the secret: %q %v", s, err)
			}
			if tok, err := f.store.TokenStore(f.rep.ID).LoadToken(ctx); err != nil || tok.RefreshToken != "r" {
				t.Errorf("a failed save cleared the token: %v %v", tok, err)
			}
			// The same save, once sealing works, changes all of it.
			if _, err := f.svc.SetCredentials(ctx, f.rep.OrgID, f.rep.ID, in); err != nil {
				t.Fatal(err)
			}
			got = f.reload(t)
			if got.ClientID != clientB || got.ClientSecretHint != "5678" || got.State != roger.StateAwaitingAuthorization {
				t.Errorf("after the save: Client ID %s, hint %s, state %s", got.ClientID, got.ClientSecretHint, got.State)
			}
			if _, err := f.store.TokenStore(f.rep.ID).LoadToken(ctx); roger.ErrorCodeOf(err) != roger.EREAUTHORIZE {
				t.Errorf("the old app's token was kept: %v", err)
			}
		})
	}
}

func TestRunEndedFollowsTheStateMachine(t *testing.T) {
	failed := errors.New("Exact Online did not answer")
	lost := roger.Errorf(roger.EREAUTHORIZE, "authorize again")
	tests := []struct {
		name   string
		before roger.ReplicatorState
		err    error
		after  roger.ReplicatorState
	}{
		{"active run fails", roger.StateActive, failed, roger.StateFailing},
		{"failing run succeeds", roger.StateFailing, nil, roger.StateActive},
		{"active run succeeds", roger.StateActive, nil, roger.StateActive},
		{"active run loses the authorization", roger.StateActive, lost, roger.StateNeedsReauthorization},
		{"failing run loses the authorization", roger.StateFailing, lost, roger.StateNeedsReauthorization},
		{"paused during a failing run", roger.StatePaused, failed, roger.StatePaused},
		{"paused during a run that lost the authorization", roger.StatePaused, lost, roger.StatePaused},
		{"paused during a run that succeeded", roger.StatePaused, nil, roger.StatePaused},
		{"new app saved during a failing run", roger.StateAwaitingAuthorization, failed, roger.StateAwaitingAuthorization},
		{"stopped by a shutdown", roger.StateFailing, context.Canceled, roger.StateFailing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, filepath.Join(t.TempDir(), "roger.db"))
			ctx := context.Background()
			if _, err := f.store.ChangeState(ctx, f.rep.ID, roger.StateChange{To: tc.before}); err != nil {
				t.Fatal(err)
			}
			run := &roger.SyncRun{ReplicatorID: f.rep.ID}
			if tc.err != nil {
				run.Error = roger.ErrorMessage(tc.err)
			}
			if err := f.svc.RunEnded(ctx, f.rep, run, tc.err); err != nil {
				t.Fatal(err)
			}
			if got := f.reload(t); got.State != tc.after {
				t.Fatalf("state %q, want %q", got.State, tc.after)
			}
		})
	}
}

// TestPortalAndSyncShareOneRateBudget spends calls as the portal does
// (the authorization's division check, the Contact URL's example record)
// and then syncs, against an Exact that allows 5 calls a minute per app
// and division: the shared budget makes the sync wait for the next minute
// instead of running into Exact's 429.
func TestPortalAndSyncShareOneRateBudget(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, filepath.Join(t.TempDir(), "roger.db"))
	svc, syncer, rep, sim := simulatedReplicator(t, f, exactsim.Options{MinutelyLimit: 5})
	// The portal's example record, as the admin types the Contact URL:
	// with the authorization's call, the minute's 5 calls are spent.
	for range 4 {
		client, err := svc.Client(ctx, rep)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := client.FirstContact(ctx, 123456); err != nil || c == nil {
			t.Fatalf("example record: %v", err)
		}
	}
	start := f.clock.Now()
	run, err := syncer.Sync(ctx, rep.ID, roger.TriggerManual)
	if err != nil || run.Read != 20 {
		t.Fatalf("sync: %v, read %d", err, run.Read)
	}
	st := sim.Stats()
	if st.Rejected != 0 {
		t.Fatalf("Exact answered %d of %d calls with 429: the portal and the sync did not share one budget", st.Rejected, st.APICalls)
	}
	if st.APICalls <= 5 || !f.clock.Now().After(start.Truncate(time.Minute).Add(time.Minute)) {
		t.Fatalf("%d calls by %v: the test did not need a second minute", st.APICalls, f.clock.Now())
	}
}
