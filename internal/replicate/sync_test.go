package replicate

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

func TestFullLoad10000Contacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 2500, 10000)
	r := e.addReplicator(replicatorOptions{})

	start := time.Now()
	run := e.sync(r.ID)
	t.Logf("full load of 10,000 contacts: %d API calls, %d read, %d unparseable numbers, %v (wall clock)",
		run.APICalls, run.Read, run.Unparseable, time.Since(start).Round(time.Millisecond))

	if !run.Full {
		t.Error("the first sync of a replicator is not recorded as a full load")
	}
	if run.Read != 10000 || run.Created != 10000 || run.Updated != 0 || run.Deleted != 0 {
		t.Errorf("run counts: read %d created %d updated %d deleted %d, want 10000 10000 0 0", run.Read, run.Created, run.Updated, run.Deleted)
	}
	// 16 = 1 system/Divisions (the division check every first load does)
	//    + 1 crm/Contacts/$count (the total the portal shows progress against)
	//    + 3 sync/CRM/Accounts pages of the 2,500 accounts' countries
	//    + 10 sync/CRM/Contacts pages of 1000 (the tenth has no __next, so
	//      no eleventh, empty, page is asked for)
	//    + 1 sync/Deleted (empty).
	if run.APICalls != 16 {
		t.Errorf("the full load took %d API calls, want 16", run.APICalls)
	}
	if run.Expected != 10000 {
		t.Errorf("the full load expected %d records, want Exact's count 10000", run.Expected)
	}
	if fullLoadCalls(10000) != 13 || accountCountryCalls(2500) != 3 {
		t.Errorf("fullLoadCalls(10000) = %d, want 13; accountCountryCalls(2500) = %d, want 3", fullLoadCalls(10000), accountCountryCalls(2500))
	}
	stored := lastRun(t, e.store, r.ID)
	if stored.Outcome != roger.OutcomeOK || stored.APICalls != run.APICalls || stored.Read != run.Read || !stored.Full {
		t.Errorf("stored run %+v does not match the returned one %+v", stored, run)
	}
	if n := e.assertEqual(r); n != 10000 {
		t.Fatalf("%d entries, want 10000", n)
	}
	// Unparseable numbers are kept and counted: the run's figure is the
	// directory's.
	invalid, withInvalid := 0, 0
	for _, en := range entries(t, e.store, r.OrgID, r.ID) {
		bad := 0
		for _, n := range en.Numbers {
			if n.Status == roger.NumberInvalid {
				bad++
			}
		}
		invalid += bad
		if bad > 0 {
			withInvalid++
		}
	}
	_, counted, err := e.store.CountEntries(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if invalid == 0 || run.Unparseable != invalid || counted != withInvalid {
		t.Errorf("%d unparseable numbers in %d entries (store counts %d entries), the run counted %d", invalid, withInvalid, counted, run.Unparseable)
	}
	after := e.replicator(r.ID)
	if after.Cursor == 0 || after.ResumeURL != "" || after.FullSync || after.Pass != 1 || after.DivisionCheckedAt.IsZero() {
		t.Errorf("after the full load: cursor %d resume %q full %v pass %d checked %v", after.Cursor, after.ResumeURL, after.FullSync, after.Pass, after.DivisionCheckedAt)
	}
	if after.State != roger.StateActive {
		t.Errorf("state %q after a good full load", after.State)
	}
}

// expectedCounts returns what an increment after one round of mutations
// must count: records read, entries created, updated and deleted. A record
// created and deleted in the same round is never seen; one created and
// updated is created once.
func expectedCounts(res exactsim.MutationResult) (read, created, updated, deleted int) {
	createdSet, deletedSet := map[string]bool{}, map[string]bool{}
	for _, id := range res.Created {
		createdSet[id] = true
	}
	for _, id := range res.Deleted {
		deletedSet[id] = true
	}
	changed := map[string]bool{}
	for _, id := range res.Created {
		if !deletedSet[id] {
			created++
			changed[id] = true
		}
	}
	for _, id := range res.Updated {
		if !deletedSet[id] && !createdSet[id] && !changed[id] {
			updated++
		}
		if !deletedSet[id] {
			changed[id] = true
		}
	}
	for id := range deletedSet {
		if !createdSet[id] {
			deleted++
		}
	}
	return len(changed), created, updated, deleted
}

func TestIncrements(t *testing.T) {
	rounds := []exactsim.Mutation{
		{Creates: 40},
		{Updates: 60},
		{Deletes: 25},
		{Creates: 15, Updates: 30, Deletes: 10},
		{}, // nothing changed
		{Creates: 1},
	}
	for _, tc := range []struct {
		entity             roger.Entity
		accounts, contacts int
	}{
		{roger.Contacts, 400, 1500},
		{roger.Accounts, 1500, 500},
	} {
		t.Run(string(tc.entity), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			e.seed(testDivision, tc.accounts, tc.contacts)
			r := e.addReplicator(replicatorOptions{entity: tc.entity})
			e.sync(r.ID)
			e.assertEqual(r)
			for i, m := range rounds {
				m.Entity = string(tc.entity)
				res := e.mutate(testDivision, m)
				// Five minutes, the default interval: the six-hourly
				// division check is not due in any of these rounds.
				e.clk.Advance(5 * time.Minute)
				run := e.sync(r.ID)
				read, created, updated, deleted := expectedCounts(res)
				t.Logf("round %d %+v: %d API calls, read %d created %d updated %d deleted %d", i, m, run.APICalls, run.Read, run.Created, run.Updated, run.Deleted)
				if run.Full {
					t.Errorf("round %d: an increment was a full sync", i)
				}
				if run.Read != read || run.Created != created || run.Updated != updated || run.Deleted != deleted {
					t.Errorf("round %d: read %d created %d updated %d deleted %d, want %d %d %d %d",
						i, run.Read, run.Created, run.Updated, run.Deleted, read, created, updated, deleted)
				}
				// One sync/CRM page (all changes fit in one) and one
				// sync/Deleted page; no division check. A contacts
				// replicator reads its accounts' countries first: one
				// more page.
				want := 2
				if tc.entity == roger.Contacts {
					want = 3
				}
				if run.APICalls != want {
					t.Errorf("round %d: the increment took %d API calls, want %d", i, run.APICalls, want)
				}
				e.assertEqual(r)
			}
		})
	}
}

func TestTokenRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 300, 1200)
	r := e.addReplicator(replicatorOptions{})
	first := e.storedToken(r.ID)
	e.sync(r.ID)
	if got := e.storedToken(r.ID); got.RefreshToken != first.RefreshToken {
		t.Fatal("the refresh token changed although the access token was still valid")
	}

	// Past the access token's 10 minutes: the sync must refresh, and the
	// rotated refresh token must be stored.
	e.clk.Advance(11 * time.Minute)
	e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 5, Updates: 5, Deletes: 5})
	tokenCalls := e.sim.Stats().TokenCalls
	run := e.sync(r.ID)
	second := e.storedToken(r.ID)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("no new token pair was stored after the refresh")
	}
	if !second.Obtained.Equal(e.clk.Now()) || !second.Expiry.After(e.clk.Now()) {
		t.Errorf("stored token obtained %v expiry %v, now %v", second.Obtained, second.Expiry, e.clk.Now())
	}
	if n := e.sim.Stats().TokenCalls - tokenCalls; n != 1 {
		t.Errorf("%d token calls for one expiry, want 1", n)
	}
	if run.APICalls != 3 {
		t.Errorf("the increment after a refresh took %d API calls, want 3 (accounts' countries, contacts, deletions)", run.APICalls)
	}
	e.assertEqual(r)

	// Exact drops the access token early: the first call gets a 401, the
	// client refreshes at once and goes on.
	if n := e.sim.ExpireTokens(mustGUID(t, r.ClientID)); n != 1 {
		t.Fatalf("ExpireTokens expired %d tokens, want 1", n)
	}
	e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 3, Updates: 3, Deletes: 3})
	run = e.sync(r.ID)
	third := e.storedToken(r.ID)
	if third.RefreshToken == second.RefreshToken {
		t.Fatal("no new token was stored after Exact expired the access token")
	}
	// The 401 counts: it was sent.
	if run.APICalls != 4 {
		t.Errorf("the increment after a forced expiry took %d API calls, want 4 (one 401 and three pages)", run.APICalls)
	}
	if got := e.replicator(r.ID); got.State != roger.StateActive {
		t.Errorf("state %q after the rotation", got.State)
	}
	e.assertEqual(r)
}

func TestSecondIntegrationOnSameApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 300, 1500)
	r := e.addReplicator(replicatorOptions{})
	e.sync(r.ID)
	e.assertEqual(r)
	before := e.snapshot(r.ID)
	tokBefore := e.storedToken(r.ID)

	// Another integration on the same app and Exact user refreshes behind
	// roger's back: roger's refresh token is now an old one.
	if !e.sim.SupersedeChain(mustGUID(t, r.ClientID), testUser) {
		t.Fatal("SupersedeChain: no chain")
	}
	e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 5, Updates: 5, Deletes: 5})
	e.clk.Advance(11 * time.Minute)
	run, err := e.syncer.Sync(context.Background(), r.ID, roger.TriggerSchedule)
	if roger.ErrorCodeOf(err) != roger.EREAUTHORIZE {
		t.Fatalf("sync error %v (code %q), want %q", err, roger.ErrorCodeOf(err), roger.EREAUTHORIZE)
	}
	got := e.replicator(r.ID)
	if got.State != roger.StateNeedsReauthorization {
		t.Errorf("state %q, want %q", got.State, roger.StateNeedsReauthorization)
	}
	for _, want := range []string{"authorize the application again", "another integration"} {
		if !strings.Contains(got.StateMessage, want) {
			t.Errorf("state message %q does not say %q", got.StateMessage, want)
		}
	}
	stored := lastRun(t, e.store, r.ID)
	if run == nil || stored.ID != run.ID || stored.Outcome != roger.OutcomeFailed || stored.Error != got.StateMessage || stored.Ended.IsZero() {
		t.Errorf("the run was recorded as %+v, want failed with the state message", stored)
	}
	if stored.APICalls != 0 {
		t.Errorf("%d API calls sent without a token", stored.APICalls)
	}
	e.assertUnchanged(r.ID, before)
	if tok := e.storedToken(r.ID); tok.RefreshToken != tokBefore.RefreshToken {
		t.Error("the failed refresh replaced the stored token")
	}

	// A scheduler would not pick it up again; a manual sync fails the
	// same way, without touching Exact's token endpoint in a loop.
	tokenCalls := e.sim.Stats().TokenCalls
	if _, err := e.syncer.Sync(context.Background(), r.ID, roger.TriggerManual); roger.ErrorCodeOf(err) != roger.EREAUTHORIZE {
		t.Fatalf("second sync: %v", err)
	}
	if n := e.sim.Stats().TokenCalls - tokenCalls; n > 1 {
		t.Errorf("%d token calls for one sync of a dead chain", n)
	}
	e.assertUnchanged(r.ID, before)

	// Authorizing again brings it back, and nothing was lost.
	e.authorize(r.ID)
	e.sync(r.ID)
	e.assertEqual(r)
}

func TestMinutelyLimitExhaustedByAnotherCaller(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 500, 2500)
	r := e.addReplicator(replicatorOptions{})
	e.sync(r.ID)
	e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 20, Updates: 20, Deletes: 20})

	// Someone else spends the rest of this minute's calls of the same
	// (client, division), with the same token, behind the Syncer's back.
	tok := e.storedToken(r.ID).AccessToken
	direct := 0
	for ; direct < 100; direct++ {
		status := e.directCall(tok, "system/Divisions?$select=Code")
		if status == 429 {
			break
		}
		if status != 200 {
			t.Fatalf("direct call: %d", status)
		}
	}
	if direct == 100 {
		t.Fatal("the minutely limit never ran out")
	}
	rejected := e.sim.Stats().Rejected
	minute := e.clk.Now().Truncate(time.Minute)

	run := e.sync(r.ID)
	n := e.sim.Stats().Rejected - rejected
	waits, waited := sleepTotal(e.sleeps)
	t.Logf("after %d direct calls: the increment took %d API calls, %d refused by Exact, %d waits of %v in all", direct, run.APICalls, n, waits, waited)
	if n > 1 {
		t.Errorf("Exact refused %d calls of the Syncer, want at most 1: it must wait for the reset", n)
	}
	if !e.clk.Now().After(minute.Add(time.Minute)) {
		t.Errorf("the sync finished at %v, within the exhausted minute", e.clk.Now())
	}
	e.assertEqual(r)
}

// directCall sends one GET with a bearer token and returns the status.
func (e *env) directCall(token, path string) int {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/"+strconv.Itoa(testDivision)+"/"+path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestDailyLimit(t *testing.T) {
	t.Parallel()
	// Four calls a day: the division check, the accounts' countries and
	// two pages; the third page of 2,500 contacts must wait for tomorrow.
	e := newEnv(t, envOptions{sim: exactsim.Options{DailyLimit: 4}})
	e.seed(testDivision, 500, 2500)
	r := e.addReplicator(replicatorOptions{})

	rejected := e.sim.Stats().Rejected
	run, err := e.syncer.Sync(context.Background(), r.ID, roger.TriggerSchedule)
	if roger.ErrorCodeOf(err) != roger.EUNAVAILABLE {
		t.Fatalf("sync error %v (code %q), want %q", err, roger.ErrorCodeOf(err), roger.EUNAVAILABLE)
	}
	if n := e.sim.Stats().Rejected - rejected; n != 0 {
		t.Errorf("Exact refused %d calls: roger must not send a call it knows will be refused", n)
	}
	got := e.replicator(r.ID)
	if got.State != roger.StateFailing {
		t.Errorf("state %q, want %q", got.State, roger.StateFailing)
	}
	if !strings.Contains(got.StateMessage, "resets at 2026-06-26 00:00 UTC") {
		t.Errorf("state message %q does not say when the limit resets", got.StateMessage)
	}
	if run.Outcome != roger.OutcomeFailed || run.Error != got.StateMessage || run.APICalls != 4 || run.Read != 2000 {
		t.Errorf("run %+v: want failed after 4 calls and 2000 records, with the state message", run)
	}
	// The two committed pages are kept, equal to their source records.
	src := e.source(testDivision, roger.Contacts)
	kept := entries(t, e.store, r.OrgID, r.ID)
	if len(kept) != 2000 {
		t.Fatalf("%d entries kept, want the 2000 of the two committed pages", len(kept))
	}
	for _, en := range kept {
		s, ok := src[en.SourceID]
		if !ok {
			t.Fatalf("entry %s is not in the source", en.SourceID)
		}
		if d := diffEntry(en, s); len(d) > 0 {
			t.Fatalf("entry %s: %v", en.SourceID, d)
		}
	}
	if got.ResumeURL == "" || !got.FullSync {
		t.Errorf("the interrupted full load left resume %q full %v", got.ResumeURL, got.FullSync)
	}

	// Tomorrow (UTC) the same full load goes on where it stopped: the
	// division check (due again after six hours), the accounts' countries
	// (none changed), the third page and sync/Deleted.
	now := e.clk.Now()
	e.clk.Set(time.Date(now.Year(), now.Month(), now.Day()+1, 0, 1, 0, 0, time.UTC))
	run = e.sync(r.ID)
	if !run.Full || run.Read != 500 || run.APICalls != 4 {
		t.Errorf("the resumed full load: full %v read %d with %d API calls, want full, 500 and 4", run.Full, run.Read, run.APICalls)
	}
	if got := e.replicator(r.ID); got.State != roger.StateActive || got.StateMessage != "" {
		t.Errorf("state %q %q after a good run", got.State, got.StateMessage)
	}
	e.assertEqual(r)
}

func TestServerErrorBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 500, 2500)
	r := e.addReplicator(replicatorOptions{})
	e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Count: 3, Path: "sync/CRM"})
	run := e.sync(r.ID)
	if want := fullLoadCalls(2500) + accountCountryCalls(500) + 3; run.APICalls != want {
		t.Errorf("%d API calls, want %d (a full load and three retries)", run.APICalls, want)
	}
	if len(e.sim.Faults()) != 0 {
		t.Errorf("the fault was not used up: %+v", e.sim.Faults())
	}
	e.assertEqual(r)

	// In an increment as well.
	e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 10, Updates: 10, Deletes: 10})
	e.clk.Advance(5 * time.Minute)
	e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Count: 3, Path: "sync/CRM"})
	if run := e.sync(r.ID); run.APICalls != 3+3 {
		t.Errorf("the increment took %d API calls, want 6", run.APICalls)
	}
	e.assertEqual(r)
}

func TestBrokenAnswersLeaveDirectoryUntouched(t *testing.T) {
	for _, kind := range []exactsim.FaultKind{exactsim.FaultMalformed, exactsim.FaultLoopNext, exactsim.FaultTruncate} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			e.seed(testDivision, 300, 1200)
			r := e.addReplicator(replicatorOptions{})
			e.sync(r.ID)
			e.assertEqual(r)

			e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 20, Updates: 30, Deletes: 10})
			e.clk.Advance(5 * time.Minute)
			before := e.snapshot(r.ID)
			f := e.fault(exactsim.Fault{Kind: kind, Path: "sync/CRM"}) // until removed
			for i := range 2 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				run, err := e.syncer.Sync(ctx, r.ID, roger.TriggerSchedule)
				cancel()
				if err == nil {
					t.Fatalf("attempt %d: the sync succeeded on %s answers", i, kind)
				}
				t.Logf("%s: %v (%d API calls)", kind, err, run.APICalls)
				if run.Outcome != roger.OutcomeFailed || run.Error == "" || run.Error == "An internal error occurred." {
					t.Errorf("run %+v: want failed with a message", run)
				}
				got := e.replicator(r.ID)
				if got.State != roger.StateFailing || got.StateMessage != run.Error {
					t.Errorf("state %q %q, want failing with the run's message", got.State, got.StateMessage)
				}
				e.assertUnchanged(r.ID, before)
				e.clk.Advance(5 * time.Minute)
			}
			if n := e.sim.ClearFaults(f.ID); n != 1 {
				t.Fatalf("ClearFaults removed %d", n)
			}
			e.sync(r.ID)
			if got := e.replicator(r.ID); got.State != roger.StateActive {
				t.Errorf("state %q after the fault was removed", got.State)
			}
			e.assertEqual(r)
		})
	}
}

func TestDivisionMove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 400, 1500)
	r := e.addReplicator(replicatorOptions{})
	e.sync(r.ID)
	e.assertEqual(r)

	if err := e.sim.MoveDivision(testDivision); err != nil {
		t.Fatal(err)
	}
	moved := e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 30, Deletes: 40})
	_, wantCreated, _, wantDeleted := expectedCounts(moved)

	// Within six hours roger does not ask: increments see nothing new.
	e.clk.Advance(time.Hour)
	if run := e.sync(r.ID); run.Full || run.APICalls != 3 || run.Read != 0 {
		t.Errorf("an hour after the move: full %v, %d read with %d API calls, want an increment of 3 calls reading nothing", run.Full, run.Read, run.APICalls)
	}

	e.clk.Advance(5*time.Hour + time.Minute)
	run := e.sync(r.ID)
	t.Logf("full resync after the move: read %d created %d updated %d deleted %d, %d API calls", run.Read, run.Created, run.Updated, run.Deleted, run.APICalls)
	if !run.Full {
		t.Fatal("the division move did not start a full resync")
	}
	// The deleted ones are gone from Exact's deletion log with the move;
	// only the reconciliation can remove them.
	if run.Deleted != wantDeleted || run.Created != wantCreated || run.Read != 1500-40+30 {
		t.Errorf("the resync read %d, created %d and removed %d entries, want %d, %d and %d", run.Read, run.Created, run.Deleted, 1500-40+30, wantCreated, wantDeleted)
	}
	if want := fullLoadCalls(1490) + accountCountryCalls(400); run.APICalls != want {
		t.Errorf("the resync took %d API calls, want %d", run.APICalls, want)
	}
	got := e.replicator(r.ID)
	if got.DivisionMoveDate.IsZero() || got.FullSync || got.Pass != 2 {
		t.Errorf("after the resync: move date %v full %v pass %d", got.DivisionMoveDate, got.FullSync, got.Pass)
	}
	// Not compared here: the Timestamps, which the move renumbered (see
	// TestDivisionMoveKeepsLaterChanges).
	e.assertSameRecords(r)

	// The next check six hours later finds the same move date: no second
	// resync.
	e.clk.Advance(6*time.Hour + time.Minute)
	if run := e.sync(r.ID); run.Full || run.APICalls != 4 {
		t.Errorf("the next division check: full %v with %d API calls, want an increment of 4 calls", run.Full, run.APICalls)
	}
}

// TestDivisionMoveKeepsLaterChanges: a move renumbers every Timestamp
// from a lower start, so the resync must replace the directory's
// Timestamps; otherwise every later update and deletion in Exact looks
// older than what the directory holds and is ignored.
func TestDivisionMoveKeepsLaterChanges(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("Timestamps above the source's are the pre-move rowversions: the resync's upserts were refused as older " +
				"(sqlstore's upsert keeps the higher source_timestamp), so later updates and deletions are ignored too. " +
				"sqlstore.StartFullSync must forget the entries' source_timestamp (at least when the move date changes).")
		}
	})
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 400, 1500)
	r := e.addReplicator(replicatorOptions{})
	e.sync(r.ID)

	if err := e.sim.MoveDivision(testDivision); err != nil {
		t.Fatal(err)
	}
	e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 20, Updates: 40, Deletes: 20})
	e.clk.Advance(6*time.Hour + time.Minute)
	if run := e.sync(r.ID); !run.Full {
		t.Fatal("the division move did not start a full resync")
	}
	e.assertEqual(r)

	// Increments go on from the new, lower Timestamps.
	for i := range 2 {
		e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Creates: 10, Updates: 25, Deletes: 10})
		e.clk.Advance(5 * time.Minute)
		if run := e.sync(r.ID); run.Full {
			t.Errorf("increment %d after the resync was a full sync", i)
		}
		e.assertEqual(r)
	}
}

// stopAfterPages returns a context that is cancelled once the Syncer has
// committed n pages, as a shutdown in the middle of a pass does. The
// Syncer commits page by page from then on, so that it stops exactly
// there.
func stopAfterPages(e *env, n int) context.Context {
	e.syncer.PagesPerCommit = 1
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	pages := 0
	e.syncer.OnProgress = func(*roger.SyncRun) {
		if pages++; pages == n {
			cancel()
		}
	}
	return ctx
}

func TestInterruptedPassResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 500, 3500)
	r := e.addReplicator(replicatorOptions{})

	run, err := e.syncer.Sync(stopAfterPages(e, 2), r.ID, roger.TriggerManual)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("sync error %v, want the cancellation", err)
	}
	e.syncer.OnProgress = nil
	if run.Outcome != roger.OutcomeFailed || !strings.Contains(run.Error, "stopped before it finished") || run.Read != 2000 {
		t.Errorf("the stopped run: %+v", run)
	}
	got := e.replicator(r.ID)
	if got.State != roger.StateActive || got.ResumeURL == "" || !got.FullSync {
		t.Errorf("after the stop: state %q resume %q full %v; a shutdown is no failure and keeps the position", got.State, got.ResumeURL, got.FullSync)
	}

	// The next run goes on from the third page: no division check, no
	// page read twice; the accounts' countries cost one call (none
	// changed).
	run = e.sync(r.ID)
	if !run.Full || run.Read != 1500 || run.Created != 1500 || run.APICalls != 4 {
		t.Errorf("the resumed pass: full %v read %d created %d with %d API calls, want full, 1500, 1500 and 4", run.Full, run.Read, run.Created, run.APICalls)
	}
	e.assertEqual(r)
}

// TestResumeAfterExactURLChanged: the saved __next link of an interrupted
// pass names the host as it was written then. When an admin changes the
// replicator's Exact URL meanwhile (here to another spelling of the same
// host), the client refuses the stale link; the pass must go on from the
// saved cursor rather than fail on every run.
func TestResumeAfterExactURLChanged(t *testing.T) {
	t.Parallel()
	for _, phase := range []string{"records", "deletions"} {
		t.Run(phase, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{})
			e.seed(testDivision, 500, 3500)
			r := e.addReplicator(replicatorOptions{})
			ctx := stopAfterPages(e, 2) // the second page of records
			if phase == "deletions" {
				e.sync(r.ID)
				// 1,500 deletions fill two pages of sync/Deleted; the
				// increment stops after its (empty) page of records and
				// the first page of deletions.
				e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Deletes: 1500})
				ctx = stopAfterPages(e, 2)
			}
			if _, err := e.syncer.Sync(ctx, r.ID, roger.TriggerManual); !errors.Is(err, context.Canceled) {
				t.Fatalf("sync error %v, want the cancellation", err)
			}
			e.syncer.OnProgress = nil
			got := e.replicator(r.ID)
			if strings.Contains(got.ResumeURL, "/sync/Deleted") != (phase == "deletions") {
				t.Fatalf("stopped in the wrong phase: resume %q", got.ResumeURL)
			}

			got.ExactURL = strings.Replace(got.ExactURL, "127.0.0.1", "localhost", 1)
			if err := e.store.UpdateReplicator(context.Background(), got); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if _, err := e.syncer.Sync(context.Background(), r.ID, roger.TriggerManual); err != nil {
					t.Fatalf("run %d after the URL change: %v", i, err)
				}
			}
			e.assertEqual(r)
		})
	}
}

// TestDivisionMoveDuringInterruptedPass: the saved link of a pass
// interrupted before a division move continues after a Timestamp that no
// longer means anything; the pass must start over, not finish on a link
// that reads nothing.
func TestDivisionMoveDuringInterruptedPass(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 500, 2500)
	r := e.addReplicator(replicatorOptions{})
	if _, err := e.syncer.Sync(stopAfterPages(e, 1), r.ID, roger.TriggerManual); !errors.Is(err, context.Canceled) {
		t.Fatalf("sync error %v, want the cancellation", err)
	}
	e.syncer.OnProgress = nil
	if err := e.sim.MoveDivision(testDivision); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(6*time.Hour + time.Minute)
	run := e.sync(r.ID)
	t.Logf("after the move: full %v read %d created %d deleted %d, %d API calls", run.Full, run.Read, run.Created, run.Deleted, run.APICalls)
	if !run.Full {
		t.Error("the run after the move was not a full pass")
	}
	// Not compared: the Timestamps (see TestDivisionMoveKeepsLaterChanges).
	e.assertSameRecords(r)
}

// TestOnRunDone: the hook sees each run once, after it is recorded, with
// its replicator; a failed run too.
func TestOnRunDone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.seed(testDivision, 10, 40)
	r := e.addReplicator(replicatorOptions{})
	var done []*roger.SyncRun
	e.syncer.OnRunDone = func(rep *roger.Replicator, run *roger.SyncRun) {
		if rep.ID != r.ID {
			t.Errorf("OnRunDone for replicator %d, want %d", rep.ID, r.ID)
		}
		done = append(done, run)
	}
	run := e.sync(r.ID)
	if len(done) != 1 || done[0] != run || run.Outcome != roger.OutcomeOK || run.Ended.IsZero() {
		t.Fatalf("after one run the hook saw %+v", done)
	}
	_, err := e.syncer.Sync(stopAfterPages(e, 1), r.ID, roger.TriggerManual)
	e.syncer.OnProgress = nil
	if len(done) != 2 || done[1].Outcome != roger.OutcomeFailed {
		t.Errorf("after a stopped run (%v) the hook saw %d runs, the last %+v", err, len(done), done[len(done)-1])
	}
}
