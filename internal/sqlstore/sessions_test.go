package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := &roger.User{OrgID: f.org.ID, Email: "anna@example.nl", PasswordHash: "h"}
		if err := f.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		started := f.clock.Now()
		sess := &roger.Session{IDHash: "hash-1", UserID: u.ID, OrgID: f.org.ID}
		if err := f.store.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.FindSession(ctx, "hash-1")
		if err != nil || got.UserID != u.ID || got.OrgID != f.org.ID || got.Email != "anna@example.nl" || !got.Created.Equal(started.Truncate(time.Millisecond)) {
			t.Fatalf("find: %+v %v", got, err)
		}
		f.clock.Advance(time.Hour)
		if err := f.store.TouchSession(ctx, "hash-1", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.FindSession(ctx, "hash-1"); !got.LastSeen.Equal(f.clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("last seen %v, want %v", got.LastSeen, f.clock.Now())
		}
		// A second session, idle since its start: the stale sweep takes it
		// and leaves the touched one.
		if err := f.store.CreateSession(ctx, &roger.Session{IDHash: "hash-2", UserID: u.ID, OrgID: f.org.ID}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(30 * time.Minute)
		if err := f.store.TouchSession(ctx, "hash-1", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		n, err := f.store.DeleteStaleSessions(ctx, f.clock.Now().Add(-10*time.Minute), started.Add(-time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("stale sweep removed %d, %v; want 1", n, err)
		}
		if _, err := f.store.FindSession(ctx, "hash-2"); code(err) != roger.EUNAUTHORIZED {
			t.Fatalf("swept session: %v", err)
		}
		if err := f.store.DeleteSession(ctx, "hash-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.FindSession(ctx, "hash-1"); code(err) != roger.EUNAUTHORIZED {
			t.Fatalf("after sign-out: %v", err)
		}
		users, err := f.store.ListUsers(ctx, f.org.ID)
		if err != nil || len(users) != 1 || users[0].Email != "anna@example.nl" || users[0].PasswordHash != "" {
			t.Fatalf("users: %+v %v", users, err)
		}
		other := &roger.Organization{Name: "other"}
		if err := f.store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		if users, _ := f.store.ListUsers(ctx, other.ID); len(users) != 0 {
			t.Fatalf("another organisation sees %d users", len(users))
		}
	})
}

func TestAPICallsSince(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("11111111-2222-3333-4444-555555555555")
		old := &roger.SyncRun{ReplicatorID: r.ID, Trigger: roger.TriggerSchedule, Started: f.clock.Now(), APICalls: 7}
		if err := f.store.CreateSyncRun(ctx, old); err != nil {
			t.Fatal(err)
		}
		old.APICalls = 7
		if err := f.store.UpdateSyncRun(ctx, old); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(24 * time.Hour)
		since := f.clock.Now()
		for _, calls := range []int{3, 4} {
			run := &roger.SyncRun{ReplicatorID: r.ID, Trigger: roger.TriggerSchedule, Started: f.clock.Now()}
			if err := f.store.CreateSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			run.APICalls = calls
			if err := f.store.UpdateSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.store.APICallsSince(ctx, f.org.ID, since)
		if err != nil || got[r.ID] != 7 {
			t.Fatalf("calls since %v: %v %v, want 7", since, got, err)
		}
	})
}

func TestPopLinkGenerations(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if gen, err := f.store.PopLinkGeneration(ctx, f.org.ID); err != nil || gen != 1 {
			t.Fatalf("first generation: %d %v", gen, err)
		}
		if gen, err := f.store.RenewPopLinks(ctx, f.org.ID); err != nil || gen != 2 {
			t.Fatalf("renewed: %d %v", gen, err)
		}
		if gen, _ := f.store.PopLinkGeneration(ctx, f.org.ID); gen != 2 {
			t.Fatalf("after renewal: %d", gen)
		}
		if _, err := f.store.RenewPopLinks(ctx, 999); code(err) != roger.ENOTFOUND {
			t.Fatalf("unknown organisation: %v", err)
		}
	})
}
