package sqlstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

// TestMigration006ConvertsThePhaseAndTheRequest: a database of release 5
// kept the phase of an unfinished pass in its resume link and a "Sync
// now" in a next sync time of 1 ms; the upgrade turns both into columns.
func TestMigration006ConvertsThePhaseAndTheRequest(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn, keys := b.dsn(t), testKeyring(t)
			clk := clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))
			old, err := Open(ctx, dsn, Options{Sealer: keys, Clock: clk, migrateThrough: 5})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, store: old, org: &roger.Organization{Name: "Voorbeeld B.V."}}
			if err := old.CreateOrganization(ctx, f.org); err != nil {
				t.Fatal(err)
			}
			later := clk.Now().Add(time.Hour).UnixMilli()
			rows := []struct {
				name      string
				resumeURL string
				nextSync  int64
				want      roger.SyncPhase
				requested bool
				wantNext  int64
			}{
				{"in deletions, sync requested", "https://start.exactonline.nl/api/v1/123456/sync/Deleted?$skiptoken=9", 1, roger.PhaseDeletions, true, 0},
				{"in records", "https://start.exactonline.nl/api/v1/123456/sync/CRM/Contacts?$skiptoken=7", later, roger.PhaseRecords, false, later},
				{"between passes", "", later, roger.PhaseRecords, false, later},
			}
			ids := make([]int64, len(rows))
			for i, row := range rows {
				r := f.replicator(row.name)
				ids[i] = r.ID
				if _, err := old.write.Exec(old.q(`UPDATE replicators SET resume_url = ?, next_sync_at = ? WHERE id = ?`), row.resumeURL, row.nextSync, r.ID); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()

			var upgrades []string
			s, err := Open(ctx, dsn, Options{Sealer: keys, Clock: clk, OnUpgrade: func(m string) { upgrades = append(upgrades, m) }})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(upgrades) == 0 || upgrades[0] != "006_sync_phase.sql" {
				t.Fatalf("upgrades %v; want 006_sync_phase.sql first", upgrades)
			}
			for i, row := range rows {
				t.Run(row.name, func(t *testing.T) {
					r, err := s.FindReplicatorByID(ctx, ids[i])
					if err != nil {
						t.Fatal(err)
					}
					if r.Phase != row.want || r.SyncRequested != row.requested || ms(r.NextSyncAt) != row.wantNext || r.ResumeURL != row.resumeURL {
						t.Errorf("phase %q, requested %v, next sync %d, resume %q; want %q, %v, %d and the link kept",
							r.Phase, r.SyncRequested, ms(r.NextSyncAt), r.ResumeURL, row.want, row.requested, row.wantNext)
					}
				})
			}
			claimed, err := s.ClaimDue(ctx, "a", time.Minute, 10)
			if err != nil || len(claimed) != 1 || claimed[0].ID != ids[0] || !claimed[0].SyncRequested {
				t.Fatalf("claimed %v, %v; want the requested replicator alone", claimedIDs(claimed), err)
			}
		})
	}
}

// TestSyncNowIsClaimedFirstAndOnce: a requested sync is taken before every
// scheduled one, even one not due by its schedule; the claim hands the
// request to the sync once and clears it, and a request made while the
// sync runs asks for another.
func TestSyncNowIsClaimedFirstAndOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		now := f.clock.Now()
		overdue, requested := f.replicator("overdue"), f.replicator("requested")
		overdue.NextSyncAt, requested.NextSyncAt = now.Add(-2*time.Hour), now.Add(time.Hour)
		for _, r := range []*roger.Replicator{overdue, requested} {
			if err := f.store.UpdateReplicator(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.store.RequestSync(ctx, requested.ID); err != nil {
			t.Fatal(err)
		}
		if r, _ := f.store.FindReplicatorByID(ctx, requested.ID); !r.SyncRequested || !r.NextSyncAt.Equal(requested.NextSyncAt) {
			t.Fatalf("after the request: requested %v, next sync %v; want the flag and the schedule kept", r.SyncRequested, r.NextSyncAt)
		}

		first, err := f.store.ClaimDue(ctx, "a", time.Minute, 1)
		if err != nil || len(first) != 1 || first[0].ID != requested.ID || !first[0].SyncRequested {
			t.Fatalf("first claim %v, %v; want the requested replicator, marked requested", claimedIDs(first), err)
		}
		if r, _ := f.store.FindReplicatorByID(ctx, requested.ID); r.SyncRequested {
			t.Fatal("the request is still set after the claim")
		}
		second, err := f.store.ClaimDue(ctx, "b", time.Minute, 10)
		if err != nil || !slices.Equal(claimedIDs(second), []int64{overdue.ID}) || second[0].SyncRequested {
			t.Fatalf("second claim %v, %v; want the overdue replicator alone, not requested", claimedIDs(second), err)
		}

		// "Sync now" while the requested sync runs: the next claim after
		// it ends takes it again, whatever the schedule.
		if err := f.store.RequestSync(ctx, requested.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.ReleaseLease(ctx, requested.ID, "a", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		third, err := f.store.ClaimDue(ctx, "a", time.Minute, 10)
		if err != nil || !slices.Equal(claimedIDs(third), []int64{requested.ID}) || !third[0].SyncRequested {
			t.Fatalf("claim after a request during the run: %v, %v; want the requested replicator again", claimedIDs(third), err)
		}
		if err := f.store.ReleaseLease(ctx, requested.ID, "a", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if fourth, err := f.store.ClaimDue(ctx, "a", time.Minute, 10); err != nil || len(fourth) != 0 {
			t.Fatalf("claim with nothing due or requested: %v, %v", claimedIDs(fourth), err)
		}

		// A sync claimed by hand (roger replicator sync --wait) answers
		// a pending request: the scheduler does not run it a second time.
		if err := f.store.ReleaseLease(ctx, requested.ID, "a", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := f.store.RequestSync(ctx, requested.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.store.ClaimOne(ctx, requested.ID, "cli", time.Minute); !ok || err != nil {
			t.Fatalf("ClaimOne: %v, %v", ok, err)
		}
		if r, _ := f.store.FindReplicatorByID(ctx, requested.ID); r.SyncRequested {
			t.Fatal("the request is still set after ClaimOne")
		}
	})
}

// TestPhaseFollowsThePages: the phase is written with the page's
// position and starts over with a full pass.
func TestPhaseFollowsThePages(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		phase := func() roger.SyncPhase {
			t.Helper()
			got, err := f.store.FindReplicatorByID(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Phase
		}
		if got := phase(); got != roger.PhaseRecords {
			t.Fatalf("a new replicator is in phase %q", got)
		}
		steps := []struct {
			name string
			page roger.Page
			want roger.SyncPhase
		}{
			{"a page of records", roger.Page{Cursor: 10, ResumeURL: "records-2", Phase: roger.PhaseRecords}, roger.PhaseRecords},
			{"a page of deletions", roger.Page{Cursor: 10, DeletedCursor: 5, ResumeURL: "deletions-2", Phase: roger.PhaseDeletions}, roger.PhaseDeletions},
			{"no phase given", roger.Page{Cursor: 10, DeletedCursor: 6}, roger.PhaseRecords},
			{"deletions again", roger.Page{Cursor: 10, DeletedCursor: 7, ResumeURL: "deletions-3", Phase: roger.PhaseDeletions}, roger.PhaseDeletions},
		}
		for _, st := range steps {
			st.page.ReplicatorID, st.page.OrgID = r.ID, f.org.ID
			if _, err := f.store.ApplyPage(ctx, st.page); err != nil {
				t.Fatal(err)
			}
			if got := phase(); got != st.want {
				t.Fatalf("after %s: phase %q, want %q", st.name, got, st.want)
			}
		}
		if _, err := f.store.StartFullSync(ctx, r.ID, 0); err != nil {
			t.Fatal(err)
		}
		if got := phase(); got != roger.PhaseRecords {
			t.Fatalf("a full pass begins in phase %q", got)
		}
	})
}

func claimedIDs(list []*roger.Replicator) []int64 {
	var out []int64
	for _, r := range list {
		out = append(out, r.ID)
	}
	return out
}
