package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// The store suite runs every test on a temporary SQLite file and, when
// ROGER_TEST_POSTGRES names a server, on a fresh PostgreSQL database.

type backend struct {
	name string
	dsn  func(t *testing.T) string
}

func backends(t *testing.T) []backend {
	out := []backend{{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "roger.db") }}}
	if pg := sqltest.Postgres(t); pg != "" {
		out = append(out, backend{"postgres", func(t *testing.T) string { return sqltest.FreshPostgres(t, pg) }})
	}
	return out
}

type fixture struct {
	t     *testing.T
	store *Store
	dsn   string
	keys  *secret.Keyring
	clock *clock.Fake
	org   *roger.Organization
}

func testKeyring(t testing.TB) *secret.Keyring {
	t.Helper()
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secret.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// eachBackend runs fn as a subtest per database, on a migrated store with
// one organisation.
func eachBackend(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			f := &fixture{t: t, dsn: b.dsn(t), keys: testKeyring(t), clock: clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))}
			f.store = f.open()
			f.org = &roger.Organization{Name: "Voorbeeld B.V."}
			if err := f.store.CreateOrganization(context.Background(), f.org); err != nil {
				t.Fatal(err)
			}
			fn(t, f)
		})
	}
}

func (f *fixture) open() *Store {
	s, err := Open(context.Background(), f.dsn, Options{Sealer: f.keys, Clock: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { s.Close() })
	return s
}

func (f *fixture) replicator(clientID string) *roger.Replicator {
	f.t.Helper()
	r := &roger.Replicator{OrgID: f.org.ID, Name: "Exact contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", Division: 123456, ClientID: clientID, ContactURL: "https://x/{SourceId}",
		DefaultCountry: "NL", Interval: 5 * time.Minute, State: roger.StateActive}
	if err := f.store.CreateReplicator(context.Background(), r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func code(err error) roger.ErrorCode { return roger.ErrorCodeOf(err) }

func TestMigrateTwiceIsHarmless(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		again := f.open()
		if err := again.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		files, err := fs.ReadDir(migrationFS, "migrations/"+string(again.dialect))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := again.read.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
			t.Fatalf("schema_migrations: %d rows, %v; want one per migration file, %d", n, err, len(files))
		}
	})
}

func TestOrganizations(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if err := f.store.CreateOrganization(ctx, &roger.Organization{Name: "Voorbeeld B.V."}); code(err) != roger.ECONFLICT {
			t.Fatalf("duplicate name: %v", err)
		}
		if err := f.store.CreateOrganization(ctx, &roger.Organization{Name: "  "}); code(err) != roger.EINVALID {
			t.Fatalf("empty name: %v", err)
		}
		got, err := f.store.FindOrganizationByName(ctx, "Voorbeeld B.V.")
		if err != nil || got.ID != f.org.ID || got.DefaultCountry != "NL" {
			t.Fatalf("find by name: %+v %v", got, err)
		}
		if _, err := f.store.FindOrganizationByID(ctx, 9999); code(err) != roger.ENOTFOUND {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestReplicatorClientIDServesOneReplicator(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		first := f.replicator("6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01")
		other := &roger.Organization{Name: "Andere B.V."}
		if err := f.store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		second := &roger.Replicator{OrgID: other.ID, Name: "accounts", Source: roger.SourceExactOnline, Entity: roger.Accounts,
			ExactURL: "https://start.exactonline.nl", ClientID: first.ClientID, Interval: time.Minute, State: roger.StateDraft}
		err := f.store.CreateReplicator(ctx, second)
		if code(err) != roger.ECONFLICT || !strings.Contains(roger.ErrorMessage(err), `"Exact contacts"`) || !strings.Contains(roger.ErrorMessage(err), "register another app") {
			t.Fatalf("second replicator with the same Client ID: %v", err)
		}
		second.ClientID = "other"
		if err := f.store.CreateReplicator(ctx, second); err != nil {
			t.Fatal(err)
		}
		second.ClientID = first.ClientID
		if err := f.store.UpdateReplicator(ctx, second); code(err) != roger.ECONFLICT {
			t.Fatalf("update to a used Client ID: %v", err)
		}
		// Tenant isolation: another organisation's replicator does not exist.
		if _, err := f.store.FindReplicator(ctx, other.ID, first.ID); code(err) != roger.ENOTFOUND {
			t.Fatalf("cross-organisation find: %v", err)
		}
		if err := f.store.DeleteReplicator(ctx, other.ID, first.ID); code(err) != roger.ENOTFOUND {
			t.Fatalf("cross-organisation delete: %v", err)
		}
		list, err := f.store.ListReplicators(ctx, f.org.ID)
		if err != nil || len(list) != 1 || list[0].ID != first.ID || list[0].Interval != 5*time.Minute || list[0].Entity != roger.Contacts {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}

func TestSecretsAreSealedAndBoundToTheirRow(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, b := f.replicator("a"), f.replicator("b")
		if err := f.store.SaveClientSecret(ctx, a.ID, "s3cret-4f2a"); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.ClientSecret(ctx, a.ID)
		if err != nil || got != "s3cret-4f2a" {
			t.Fatalf("round trip: %q %v", got, err)
		}
		r, _ := f.store.FindReplicatorByID(ctx, a.ID)
		if r.ClientSecretHint != "4f2a" {
			t.Fatalf("hint %q", r.ClientSecretHint)
		}
		tok := &roger.Token{AccessToken: "acc-XYZ", RefreshToken: "ref!ABC", Expiry: f.clock.Now().Add(10 * time.Minute), Obtained: f.clock.Now()}
		if err := f.store.SaveToken(ctx, a.ID, tok); err != nil {
			t.Fatal(err)
		}
		var rawSecret, rawToken string
		if err := f.store.read.QueryRow(f.store.q(`SELECT client_secret, token FROM credentials WHERE replicator_id = ?`), a.ID).Scan(&rawSecret, &rawToken); err != nil {
			t.Fatal(err)
		}
		for _, plain := range []string{"s3cret", "acc-XYZ", "ref!ABC"} {
			if strings.Contains(rawSecret+rawToken, plain) {
				t.Fatalf("%q is stored in the clear", plain)
			}
		}
		// A sealed secret moved to another row does not open there.
		if _, err := f.store.write.Exec(f.store.q(`INSERT INTO credentials (replicator_id, client_secret, updated) VALUES (?, ?, 0)`), b.ID, rawSecret); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.ClientSecret(ctx, b.ID); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("a moved blob opened, or the error shows it: %v", err)
		}
		loaded, err := f.store.TokenStore(a.ID).LoadToken(ctx)
		if err != nil || loaded.RefreshToken != "ref!ABC" || !loaded.Expiry.Equal(tok.Expiry.Truncate(time.Millisecond)) {
			t.Fatalf("token: %+v %v", loaded, err)
		}
		if _, err := f.store.TokenStore(b.ID).LoadToken(ctx); code(err) != roger.EREAUTHORIZE {
			t.Fatalf("no token yet: %v", err)
		}
	})
}

func TestUpdateTokenSerialisesRefreshes(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "0", RefreshToken: "r0"}); err != nil {
			t.Fatal(err)
		}
		// Two stores on one database stand for two instances.
		stores := []*Store{f.store, f.open()}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ts := stores[i%2].TokenStore(r.ID)
				err := ts.UpdateToken(ctx, func(cur *roger.Token) (*roger.Token, error) {
					var n int
					fmt.Sscan(cur.AccessToken, &n)
					time.Sleep(time.Millisecond)
					return &roger.Token{AccessToken: fmt.Sprint(n + 1), RefreshToken: fmt.Sprint("r", n+1)}, nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, err := f.store.TokenStore(r.ID).LoadToken(ctx)
		if err != nil || got.AccessToken != "20" {
			t.Fatalf("after 20 serialised increments: %+v %v", got, err)
		}
		failed := errors.New("exact said no")
		err = f.store.TokenStore(r.ID).UpdateToken(ctx, func(*roger.Token) (*roger.Token, error) { return nil, failed })
		if !errors.Is(err, failed) {
			t.Fatalf("fn's error: %v", err)
		}
		if got, _ := f.store.TokenStore(r.ID).LoadToken(ctx); got.AccessToken != "20" {
			t.Fatalf("a failed refresh changed the stored token: %+v", got)
		}
	})
}

func entry(id string, ts int64, numbers ...roger.Number) roger.Entry {
	return roger.Entry{Kind: roger.KindContact, SourceID: id, CompanyID: "acc-" + id, DisplayName: "Name " + id, SourceTimestamp: ts, Numbers: numbers}
}

func ok(field, e164 string) roger.Number {
	return roger.Number{Field: field, Raw: e164, E164: e164, Status: roger.NumberOK}
}

func TestApplyPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		bad := roger.Number{Field: "Mobile", Raw: "n.v.t.", Status: roger.NumberInvalid, Reason: "not a phone number"}
		res, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 30, ResumeURL: "next-1",
			Upserts: []roger.Entry{entry("1", 10, ok("Phone", "+31201234567")), entry("2", 20, ok("Phone", "+31201234567"), bad), entry("3", 30)}})
		if err != nil || res != (roger.PageResult{Created: 3}) {
			t.Fatalf("first page: %+v %v", res, err)
		}
		res, err = f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 50,
			Upserts: []roger.Entry{entry("1", 40, ok("Mobile", "+31612345678")), entry("2", 5, ok("Phone", "+3230000000"))},
			Deletes: []roger.Deletion{{SourceID: "3", Timestamp: 45}, {SourceID: "1", Timestamp: 35}, {SourceID: "zz", Timestamp: 50}}})
		if err != nil || res != (roger.PageResult{Updated: 1, Stale: 1, Deleted: 1}) {
			t.Fatalf("second page: %+v %v", res, err)
		}
		got := map[string]*roger.Entry{}
		if err := f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID}, func(e *roger.Entry) error { got[e.SourceID] = e; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["1"].SourceTimestamp != 40 || got["1"].Numbers[0].E164 != "+31612345678" || got["2"].SourceTimestamp != 20 {
			t.Fatalf("directory: %+v", got)
		}
		// Entry 1's old number is no longer indexed; entry 2's is.
		var hits []string
		_ = f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID, E164: "+31201234567"}, func(e *roger.Entry) error { hits = append(hits, e.SourceID); return nil })
		if len(hits) != 1 || hits[0] != "2" {
			t.Fatalf("lookup +31201234567: %v", hits)
		}
		entries, unparseable, err := f.store.CountEntries(ctx, r.ID)
		if err != nil || entries != 2 || unparseable != 1 {
			t.Fatalf("counts: %d %d %v", entries, unparseable, err)
		}
		back, _ := f.store.FindReplicatorByID(ctx, r.ID)
		if back.Cursor != 50 || back.ResumeURL != "" {
			t.Fatalf("cursor: %d %q", back.Cursor, back.ResumeURL)
		}
		// Another organisation sees nothing.
		n := 0
		_ = f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID + 1}, func(*roger.Entry) error { n++; return nil })
		if n != 0 {
			t.Fatalf("another organisation sees %d entries", n)
		}
	})
}

func TestApplyPageIsAtomic(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		crash := errors.New("power cut")
		f.store.beforeCursor = func() error { return crash }
		_, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Cursor: 99, ResumeURL: "next",
			Upserts: []roger.Entry{entry("1", 10, ok("Phone", "+31201234567")), entry("2", 11)}})
		if !errors.Is(err, crash) {
			t.Fatalf("want the injected failure, got %v", err)
		}
		entries, _, _ := f.store.CountEntries(ctx, r.ID)
		back, _ := f.store.FindReplicatorByID(ctx, r.ID)
		var numbers int
		_ = f.store.read.QueryRow(`SELECT COUNT(*) FROM entry_numbers`).Scan(&numbers)
		if entries != 0 || numbers != 0 || back.Cursor != 0 || back.ResumeURL != "" {
			t.Fatalf("a failed page left %d entries, %d numbers, cursor %d %q", entries, numbers, back.Cursor, back.ResumeURL)
		}
	})
}

func TestFullSyncRemovesWhatItDidNotSee(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Upserts: []roger.Entry{entry("1", 10), entry("2", 20), entry("3", 30)}}); err != nil {
			t.Fatal(err)
		}
		pass, err := f.store.StartFullSync(ctx, r.ID, 1234)
		if err != nil || pass != 1 {
			t.Fatalf("start: %d %v", pass, err)
		}
		// Entry 2 comes again unchanged (stale-equal), 3 with a lower
		// timestamp after a division move, 1 not at all.
		if _, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, FullSync: true, Upserts: []roger.Entry{entry("2", 20), entry("3", 3)}}); err != nil {
			t.Fatal(err)
		}
		removed, err := f.store.FinishFullSync(ctx, r.ID, pass)
		if err != nil || removed != 1 {
			t.Fatalf("finish: %d %v", removed, err)
		}
		var ids []string
		_ = f.store.ForEachEntry(ctx, roger.EntryFilter{OrgID: f.org.ID}, func(e *roger.Entry) error { ids = append(ids, e.SourceID); return nil })
		if strings.Join(ids, ",") != "2,3" {
			t.Fatalf("after reconciliation: %v", ids)
		}
		back, _ := f.store.FindReplicatorByID(ctx, r.ID)
		if back.FullSync || back.DivisionMoveDate.UnixMilli() != 1234 {
			t.Fatalf("replicator after the full pass: %+v", back)
		}
	})
}

func TestLeases(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		var ids []int64
		for i := range 6 {
			ids = append(ids, f.replicator(fmt.Sprint("c", i)).ID)
		}
		paused := f.replicator("paused")
		paused.State = roger.StatePaused
		if err := f.store.UpdateReplicator(ctx, paused); err != nil {
			t.Fatal(err)
		}
		a, err := f.store.ClaimDue(ctx, "A", time.Minute, 4)
		if err != nil || len(a) != 4 {
			t.Fatalf("A: %d %v", len(a), err)
		}
		b, err := f.store.ClaimDue(ctx, "B", time.Minute, 10)
		if err != nil || len(b) != 2 {
			t.Fatalf("B: %d %v", len(b), err)
		}
		for _, x := range a {
			for _, y := range b {
				if x.ID == y.ID {
					t.Fatalf("replicator %d leased twice", x.ID)
				}
			}
		}
		if err := f.store.RenewLease(ctx, a[0].ID, "A", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := f.store.RenewLease(ctx, a[0].ID, "B", time.Minute); code(err) != roger.ECONFLICT {
			t.Fatalf("renewing another's lease: %v", err)
		}
		// A crashes: its leases run out and B takes them over.
		f.clock.Advance(2 * time.Minute)
		taken, err := f.store.ClaimDue(ctx, "B", time.Minute, 10)
		if err != nil || len(taken) != 6 {
			t.Fatalf("takeover: %d %v", len(taken), err)
		}
		if err := f.store.RenewLease(ctx, a[1].ID, "A", time.Minute); code(err) != roger.ECONFLICT {
			t.Fatalf("A renewing a lost lease: %v", err)
		}
		if err := f.store.ReleaseLease(ctx, taken[0].ID, "B", f.clock.Now().Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(2 * time.Minute)
		again, _ := f.store.ClaimDue(ctx, "C", time.Minute, 10)
		for _, r := range again {
			if r.ID == taken[0].ID {
				t.Fatal("a released replicator was claimed before its next sync")
			}
		}
		_ = ids
	})
}

func TestConcurrentClaimsNeverOverlap(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for i := range 20 {
			f.replicator(fmt.Sprint("c", i))
		}
		var mu sync.Mutex
		owner := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 4 {
			s := f.store
			if w%2 == 1 {
				s = f.open()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					got, err := s.ClaimDue(ctx, fmt.Sprint("w", w), time.Hour, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, r := range got {
						if prev, dup := owner[r.ID]; dup {
							t.Errorf("replicator %d claimed by %s and w%d", r.ID, prev, w)
						}
						owner[r.ID] = fmt.Sprint("w", w)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(owner) != 20 {
			t.Fatalf("%d of 20 claimed", len(owner))
		}
	})
}

func TestSyncRunsAndAudit(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		run := &roger.SyncRun{ReplicatorID: r.ID, Trigger: roger.TriggerManual, Full: true}
		if err := f.store.CreateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		run.Read, run.Created, run.APICalls, run.Outcome, run.Ended = 1000, 990, 3, roger.OutcomeOK, f.clock.Now()
		if err := f.store.UpdateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		runs, err := f.store.ListSyncRuns(ctx, r.ID, 10)
		if err != nil || len(runs) != 1 || runs[0].Read != 1000 || runs[0].Outcome != roger.OutcomeOK || !runs[0].Full || runs[0].Trigger != roger.TriggerManual {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		cut := &roger.SyncRun{ReplicatorID: r.ID, Trigger: roger.TriggerSchedule}
		if err := f.store.CreateSyncRun(ctx, cut); err != nil {
			t.Fatal(err)
		}
		if err := f.store.AbandonRuns(ctx, r.ID, "interrupted"); err != nil {
			t.Fatal(err)
		}
		runs, _ = f.store.ListSyncRuns(ctx, r.ID, 10)
		if len(runs) != 2 || runs[0].Outcome != roger.OutcomeFailed || runs[0].Error != "interrupted" || runs[1].Outcome != roger.OutcomeOK {
			t.Fatalf("after abandoning: %+v %+v", runs[0], runs[1])
		}
		if err := f.store.AppendAudit(ctx, f.org.ID, "admin@example.com", "replicator.create", "replicator/1", "name=x"); err != nil {
			t.Fatal(err)
		}
		ev, err := f.store.ListAudit(ctx, f.org.ID, 10)
		if err != nil || len(ev) != 1 || ev[0].Action != "replicator.create" {
			t.Fatalf("audit: %+v %v", ev, err)
		}
		if err := f.store.DeleteReplicator(ctx, f.org.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if runs, _ := f.store.ListSyncRuns(ctx, r.ID, 10); len(runs) != 0 {
			t.Fatal("runs outlived their replicator")
		}
	})
}

func TestUsers(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := &roger.User{OrgID: f.org.ID, Email: " Anna@Example.nl ", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"}
		if err := f.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.FindUserByEmail(ctx, "ANNA@example.nl")
		if err != nil || got.ID != u.ID || got.Email != "anna@example.nl" || got.OrgID != f.org.ID {
			t.Fatalf("find: %+v %v", got, err)
		}
		if err := f.store.CreateUser(ctx, &roger.User{OrgID: f.org.ID, Email: "anna@example.nl", PasswordHash: "x"}); code(err) != roger.ECONFLICT {
			t.Fatalf("duplicate e-mail: %v", err)
		}
		if err := f.store.CreateUser(ctx, &roger.User{OrgID: f.org.ID, Email: "anna", PasswordHash: "x"}); code(err) != roger.EINVALID {
			t.Fatalf("not an e-mail address: %v", err)
		}
		if _, err := f.store.FindUserByEmail(ctx, "bert@example.nl"); code(err) != roger.ENOTFOUND {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestChunks(t *testing.T) {
	for _, tc := range []struct {
		n, max int
		want   []int
	}{
		{0, 200, nil},
		{1, 200, []int{1}},
		{3, 200, []int{2, 1}},
		{200, 200, []int{200}},
		{1000, 200, []int{200, 200, 200, 200, 200}},
		{1057, 200, []int{200, 200, 200, 200, 200, 32, 16, 8, 1}},
		{2499, 400, []int{400, 400, 400, 400, 400, 400, 64, 32, 2, 1}},
	} {
		got := chunks(tc.n, tc.max)
		if !slices.Equal(got, tc.want) {
			t.Errorf("chunks(%d, %d) = %v; want %v", tc.n, tc.max, got, tc.want)
		}
		for _, size := range got {
			if !slices.Contains(ingestQueryList, numbersQuery(size)) && !slices.Contains(ingestQueryList, insertQuery(size)) {
				t.Errorf("no prepared statement for a batch of %d", size)
			}
		}
	}
}
