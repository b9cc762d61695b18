package replicate

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

// TestSyncAgainstRecordedShapes runs the sync against the simulator
// answering as the recorded Exact Online does (issue 14): padded codes, a
// deletion log with two months of history of other records, rowversions
// around 10^12, the key-first property order, messy phone fields, an HTML
// page on a 503, tokens with '!', and, by switch, percent-encoded next
// links, escaped dates and numeric Timestamps.
func TestSyncAgainstRecordedShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sim  exactsim.Options
	}{
		{"defaults", exactsim.Options{}},
		{"encoded links, escaped dates, numeric Timestamps", exactsim.Options{EncodeNextLinks: true, EscapeDateSlashes: true, TimestampAsNumber: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOptions{sim: tc.sim})
			e.seed(testDivision, 300, 2500)
			contacts := e.addReplicator(replicatorOptions{})
			accounts := e.addReplicator(replicatorOptions{entity: roger.Accounts})

			e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Count: 1, Path: "sync/CRM/Contacts"})
			run := e.sync(contacts.ID)
			if run.Read != 2500 || run.Deleted != 0 {
				t.Fatalf("first load: read %d, deleted %d; want 2500 and none of the log's history", run.Read, run.Deleted)
			}
			if n := e.assertEqual(contacts); n != 2500 {
				t.Fatalf("%d contact entries, want 2500", n)
			}
			e.sync(accounts.ID)
			if n := e.assertEqual(accounts); n != 300 {
				t.Fatalf("%d account entries, want 300", n)
			}
			if r := e.replicator(contacts.ID); r.Cursor < 1_000_000_000_000 || r.DeletedCursor < 1_000_000_000_000 {
				t.Fatalf("cursors %d and %d, want Exact's rowversions of around 10^12", r.Cursor, r.DeletedCursor)
			}

			// What people leave around a number does not stop it from
			// being found.
			messy, messyOK, numbers, invalid := 0, 0, 0, 0
			for _, en := range entries(t, e.store, contacts.OrgID, contacts.ID) {
				for _, n := range en.Numbers {
					numbers++
					if n.Status != roger.NumberOK {
						invalid++
					}
					if strings.IndexFunc(n.Raw, func(r rune) bool { return unicode.Is(unicode.Cf, r) || r == '\u00a0' || r == '\u202f' }) >= 0 {
						messy++
						if n.Status == roger.NumberOK {
							messyOK++
						}
					}
				}
			}
			if messy == 0 || messyOK < messy*3/4 {
				t.Errorf("%d numbers with invisible characters or non-breaking spaces, %d of them read: want most", messy, messyOK)
			}
			if share := float64(invalid) / float64(numbers); share > .08 {
				t.Errorf("%.1f%% of numbers did not parse, want a few percent", 100*share)
			}

			// An increment after a refresh of the token: changes and
			// deletions arrive, the log's history still deletes nothing.
			e.clk.Advance(11 * time.Minute)
			res := e.mutate(testDivision, exactsim.Mutation{Entity: "contacts", Updates: 5, Deletes: 3})
			run = e.sync(contacts.ID)
			if run.Deleted != 3 || run.Full {
				t.Fatalf("increment: deleted %d (want 3), full %v", run.Deleted, run.Full)
			}
			if n := e.assertEqual(contacts); n != 2500-len(res.Deleted) {
				t.Fatalf("%d entries after the increment, want %d", n, 2500-len(res.Deleted))
			}
			if tok := e.storedToken(contacts.ID); !strings.Contains(tok.RefreshToken, "!IAAAA") {
				t.Fatalf("stored refresh token does not have Exact's shape")
			}
		})
	}
}

// TestFullLoadOfAnAccountantsDivision: checking the division before a full
// load costs one call, although the user who authorized can open hundreds
// of divisions and system/Divisions lists them 60 a page.
func TestFullLoadOfAnAccountantsDivision(t *testing.T) {
	t.Parallel()
	divisions := []int{testDivision}
	for i := 1; i < 300; i++ {
		divisions = append(divisions, testDivision+i)
	}
	e := newEnv(t, envOptions{divisions: divisions})
	e.seed(testDivision+150, 20, 1200)
	r := e.addReplicator(replicatorOptions{division: testDivision + 150})
	run := e.sync(r.ID)
	if run.Read != 1200 || run.APICalls != fullLoadCalls(1200)+accountCountryCalls(20) {
		t.Fatalf("full load: read %d in %d calls, want 1200 in %d", run.Read, run.APICalls, fullLoadCalls(1200)+accountCountryCalls(20))
	}
	if n := e.assertEqual(r); n != 1200 {
		t.Fatalf("%d entries, want 1200", n)
	}
}
