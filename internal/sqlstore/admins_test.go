package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func (f *fixture) user(email string, role roger.Role) *roger.User {
	f.t.Helper()
	u := &roger.User{OrgID: f.org.ID, Email: email, PasswordHash: "h", Role: role}
	if err := f.store.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	return u
}

// TestTheLastAdminAndTheLastOwnerStay: nobody removes or demotes the
// organisation's last owner, or removes its last admin.
func TestTheLastAdminAndTheLastOwnerStay(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		anna := f.user("anna@example.nl", "")
		if anna.Role != roger.RoleOwner {
			t.Fatalf("an admin made without a role is %q, want owner", anna.Role)
		}
		if _, err := f.store.DeleteUser(ctx, f.org.ID, anna.ID); roger.ErrorCodeOf(err) != roger.ECONFLICT {
			t.Fatalf("remove the only admin: %v", err)
		}
		bert := f.user("bert@example.nl", roger.RoleAdmin)
		if _, err := f.store.DeleteUser(ctx, f.org.ID, anna.ID); roger.ErrorCodeOf(err) != roger.ECONFLICT {
			t.Fatalf("remove the only owner: %v", err)
		}
		if _, err := f.store.SetUserRole(ctx, f.org.ID, anna.ID, roger.RoleReadOnly); roger.ErrorCodeOf(err) != roger.ECONFLICT {
			t.Fatalf("demote the only owner: %v", err)
		}
		if u, err := f.store.SetUserRole(ctx, f.org.ID, bert.ID, roger.RoleOwner); err != nil || u.Role != roger.RoleOwner {
			t.Fatalf("make bert an owner: %v", err)
		}
		sess := &roger.Session{IDHash: "anna-session", UserID: anna.ID, OrgID: f.org.ID}
		if err := f.store.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.DeleteUser(ctx, f.org.ID, anna.ID); err != nil {
			t.Fatalf("remove anna beside another owner: %v", err)
		}
		if _, err := f.store.FindSession(ctx, "anna-session"); roger.ErrorCodeOf(err) != roger.EUNAUTHORIZED {
			t.Fatalf("a removed admin's session lives on: %v", err)
		}
		if _, err := f.store.DeleteUser(ctx, f.org.ID, bert.ID); roger.ErrorCodeOf(err) != roger.ECONFLICT {
			t.Fatalf("remove the last one: %v", err)
		}
		other := &roger.Organization{Name: "Ander"}
		if err := f.store.CreateOrganization(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.DeleteUser(ctx, other.ID, bert.ID); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
			t.Fatalf("remove through another organisation: %v", err)
		}
	})
}

// TestTwoOwnersRemovingEachOtherLeaveOne: removals at the same time are
// serialised, so one owner always stays.
func TestTwoOwnersRemovingEachOtherLeaveOne(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, b := f.user("a@example.nl", roger.RoleOwner), f.user("b@example.nl", roger.RoleOwner)
		var wg sync.WaitGroup
		for _, id := range []int64{a.ID, b.ID} {
			wg.Go(func() { _, _ = f.store.DeleteUser(ctx, f.org.ID, id) })
		}
		wg.Wait()
		if list, err := f.store.ListUsers(ctx, f.org.ID); err != nil || len(list) != 1 || list[0].Role != roger.RoleOwner {
			t.Fatalf("after two removals at once: %v %v", list, err)
		}
	})
}

func TestPasswordResetWorksOnceAndExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := f.user("anna@example.nl", roger.RoleAdmin)
		token, err := f.store.CreatePasswordReset(ctx, f.org.ID, u.ID, f.clock.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.store.FindPasswordReset(ctx, token); err != nil || got.ID != u.ID || got.PasswordHash != "" {
			t.Fatalf("find: %+v %v", got, err)
		}
		if _, err := f.store.UsePasswordReset(ctx, token, "new-hash"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.FindUserByEmail(ctx, u.Email); got.PasswordHash != "new-hash" {
			t.Fatalf("hash %q", got.PasswordHash)
		}
		if _, err := f.store.UsePasswordReset(ctx, token, "again"); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
			t.Fatalf("a second use: %v", err)
		}
		late, _ := f.store.CreatePasswordReset(ctx, f.org.ID, u.ID, f.clock.Now().Add(time.Hour))
		f.clock.Advance(2 * time.Hour)
		if _, err := f.store.FindPasswordReset(ctx, late); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
			t.Fatalf("an expired link: %v", err)
		}
		if n, err := f.store.DeleteExpiredPasswordResets(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if _, err := f.store.CreatePasswordReset(ctx, f.org.ID+1000, u.ID, f.clock.Now().Add(time.Hour)); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
			t.Fatalf("a link through another organisation: %v", err)
		}
	})
}

// TestAFormTokenIsClaimedOnce: of many claims at once one wins; the
// others learn where it went once it is done, and a released token may
// be claimed again.
func TestAFormTokenIsClaimedOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		u := f.user("anna@example.nl", roger.RoleOwner)
		if err := f.store.CreateSession(ctx, &roger.Session{IDHash: "s1", UserID: u.ID, OrgID: f.org.ID}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		won := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				claimed, _, err := f.store.ClaimFormSubmission(ctx, "s1", "n1")
				if err != nil {
					t.Error(err)
				}
				if claimed {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d claims won, want 1", won)
		}
		if claimed, loc, _ := f.store.ClaimFormSubmission(ctx, "s1", "n1"); claimed || loc != "" {
			t.Fatalf("while working: %v %q", claimed, loc)
		}
		if err := f.store.FinishFormSubmission(ctx, "s1", "n1", "/replicators/7"); err != nil {
			t.Fatal(err)
		}
		if claimed, loc, _ := f.store.ClaimFormSubmission(ctx, "s1", "n1"); claimed || loc != "/replicators/7" {
			t.Fatalf("after: %v %q", claimed, loc)
		}
		if claimed, _, _ := f.store.ClaimFormSubmission(ctx, "s1", "n2"); !claimed {
			t.Fatal("another token of the session is not claimed")
		}
		if err := f.store.ReleaseFormSubmission(ctx, "s1", "n2"); err != nil {
			t.Fatal(err)
		}
		if claimed, _, _ := f.store.ClaimFormSubmission(ctx, "s1", "n2"); !claimed {
			t.Fatal("a released token cannot be claimed again")
		}
		// Flashes are read once and go with the session.
		if err := f.store.PutFlash(ctx, "s1", "apikey", "sealed"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.TakeFlash(ctx, "s1", "apikey"); got != "sealed" {
			t.Fatalf("flash %q", got)
		}
		if got, _ := f.store.TakeFlash(ctx, "s1", "apikey"); got != "" {
			t.Fatalf("a flash read twice: %q", got)
		}
		_ = f.store.PutFlash(ctx, "s1", "apikey", "sealed")
		if err := f.store.DeleteSession(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.TakeFlash(ctx, "s1", "apikey"); got != "" {
			t.Fatal("a flash outlived its session")
		}
		if _, found, _ := f.store.FormSubmission(ctx, "s1", "n1"); found {
			t.Fatal("a form token outlived its session")
		}
	})
}

func TestFindAuditFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		add := func(actor, action, target string) {
			if err := f.store.AppendAudit(ctx, f.org.ID, actor, action, target, ""); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Hour)
		}
		start := f.clock.Now().UnixMilli()
		add("anna@example.nl", "replicator.create", "replicator/7 (Exact – contacts)")
		add("bert@example.nl", "replicator.pause", "replicator/7 (Exact – contacts)")
		add("anna@example.nl", "replicator.create", "replicator/70 (Other)")
		add("anna@example.nl", "apikey.create", "apikey/ab12")
		if err := f.store.AppendAudit(ctx, f.org.ID+1000, "eve@example.nl", "replicator.create", "replicator/7 (x)", ""); err != nil {
			t.Fatal(err)
		}
		count := func(flt roger.AuditFilter) int {
			flt.OrgID = f.org.ID
			ev, err := f.store.FindAudit(ctx, flt)
			if err != nil {
				t.Fatal(err)
			}
			return len(ev)
		}
		for name, tc := range map[string]struct {
			f    roger.AuditFilter
			want int
		}{
			"all":            {roger.AuditFilter{}, 4},
			"who":            {roger.AuditFilter{Actor: "anna@example.nl"}, 3},
			"what":           {roger.AuditFilter{Action: "replicator.create"}, 2},
			"replicator 7":   {roger.AuditFilter{Target: "replicator/7"}, 2},
			"from the 2nd":   {roger.AuditFilter{From: start + int64(time.Hour/time.Millisecond)}, 3},
			"before the 3rd": {roger.AuditFilter{To: start + 2*int64(time.Hour/time.Millisecond)}, 2},
			"a page of two":  {roger.AuditFilter{Limit: 2}, 2},
			"who and what":   {roger.AuditFilter{Actor: "anna@example.nl", Action: "replicator.create", Target: "replicator/70"}, 1},
		} {
			if got := count(tc.f); got != tc.want {
				t.Errorf("%s: %d events, want %d", name, got, tc.want)
			}
		}
		page, _ := f.store.FindAudit(ctx, roger.AuditFilter{OrgID: f.org.ID, Limit: 2})
		rest, _ := f.store.FindAudit(ctx, roger.AuditFilter{OrgID: f.org.ID, Before: page[1].ID})
		if len(rest) != 2 || rest[0].ID >= page[1].ID || rest[1].Action != "replicator.create" {
			t.Fatalf("the second page: %+v", rest)
		}
		if actors, _ := f.store.AuditActors(ctx, f.org.ID); len(actors) != 2 || actors[0] != "anna@example.nl" {
			t.Fatalf("actors %v", actors)
		}
	})
}
