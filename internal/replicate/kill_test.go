package replicate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/replicators"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

// The environment of TestHelperSyncProcess, the child process that
// TestSyncSurvivesKill starts and kills.
const (
	helperEnv           = "ROGER_TEST_HELPER_SYNC"
	helperDBEnv         = "ROGER_TEST_HELPER_DB"
	helperKeyEnv        = "ROGER_TEST_HELPER_KEY"
	helperReplicatorEnv = "ROGER_TEST_HELPER_REPLICATOR"
)

// TestHelperSyncProcess is not a test: it is the process TestSyncSurvivesKill
// runs (this test binary again) to sync one replicator once, as `roger
// replicator sync --wait` does, so that it can be killed at any point.
func TestHelperSyncProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("the child process of TestSyncSurvivesKill")
	}
	ctx := context.Background()
	keys, _, _, err := secret.LoadKeyring(func(name string) string {
		if name == secret.EnvKey {
			return os.Getenv(helperKeyEnv)
		}
		return ""
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.Open(ctx, os.Getenv(helperDBEnv), sqlstore.Options{Sealer: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	id, err := strconv.ParseInt(os.Getenv(helperReplicatorEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s := &Syncer{Store: store, Reports: &replicators.Service{Store: store}, Budgets: exact.NewBudgetRegistry(nil), RedirectURL: redirectURL}
	run, err := s.Sync(ctx, id, roger.TriggerManual)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	fmt.Printf("HELPER-DONE full=%v read=%d created=%d updated=%d deleted=%d calls=%d\n", run.Full, run.Read, run.Created, run.Updated, run.Deleted, run.APICalls)
}

// TestSyncSurvivesKill kills a syncing process 50 times at random points
// with SIGKILL (no deferred function, no cancelled context: the process
// just stops) and restarts it, while the source keeps changing. Every run
// that completes restarts a full pass (as a division move would), so that
// kills land in full loads, in resyncs with their reconciliation, and in
// increments. In the end the directory must equal the source, each record
// once.
func TestSyncSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 51 processes; skipped with -short")
	}
	began := time.Now()
	// The children cannot share a fake clock: everything runs on the wall
	// clock, without rate limits, and every sync call is slowed a little so
	// that the kills land between and inside page commits rather than
	// mostly in process start-up.
	e := newEnv(t, envOptions{realClock: true, sim: exactsim.Options{MinutelyLimit: -1, DailyLimit: -1}})
	e.seed(testDivision, 1200, 5000)
	r := e.addReplicator(replicatorOptions{})
	e.fault(exactsim.Fault{Kind: exactsim.FaultSlow, Delay: 8 * time.Millisecond, Path: "/sync/"})

	db, err := sql.Open("sqlite", "file:"+e.dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	seed := uint64(20260625)
	if s := os.Getenv("ROGER_TEST_KILL_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill seed %d (set ROGER_TEST_KILL_SEED to repeat another)", seed)

	child := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSyncProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperDBEnv+"="+e.dsn, helperKeyEnv+"="+e.key.FileLine(),
			helperReplicatorEnv+"="+strconv.FormatInt(r.ID, 10))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out
	}

	// The first process loads everything unhindered: how long it takes
	// from process start is est, and the delays before a kill are drawn
	// below it. Every later process that starts a pass afresh and finishes
	// it corrects est.
	resetPass := func() {
		// Start the next full pass: the position is forgotten as if the
		// division had moved. (Test-only: no API resets it.)
		if _, err := db.Exec(`UPDATE replicators SET cursor = 0, deleted_cursor = 0, resume_url = '', sync_phase = 'records', full_sync = 0 WHERE id = ?`, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	cmd, out := child()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("the first sync process failed: %v\n%s", err, out)
	}
	est := time.Since(start)
	t.Logf("a full load from process start: %v (wall clock)", est.Round(time.Millisecond))
	resetPass()

	const (
		kills    = 50
		maxDelay = 1600 * time.Millisecond
	)
	var killed, finished int
	fresh := true
	for killed < kills {
		m := exactsim.Mutation{Entity: "contacts", Creates: rng.IntN(6), Updates: rng.IntN(12), Deletes: rng.IntN(6)}
		e.mutate(testDivision, m)

		cmd, out := child()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Under the race detector a pass takes seconds; capping the delay
		// keeps the test within a minute, a pass then spanning several
		// processes.
		delay := time.Duration(rng.Int64N(int64(min(est, maxDelay))))
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the sync process failed on its own after %v: %v\n%s", time.Since(start), err, out)
			}
			finished++
			if fresh {
				est = (est + time.Since(start)) / 2
			}
			resetPass()
			fresh = true
			continue
		case <-time.After(delay):
			if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatal(err)
			}
			err := <-done
			if cmd.ProcessState.Exited() {
				// It ended on its own just before the kill.
				if err != nil {
					t.Fatalf("the sync process failed on its own after %v: %v\n%s", time.Since(start), err, out)
				}
				finished++
				resetPass()
				fresh = true
				continue
			}
			killed++
			fresh = false
		}
	}

	cmd, out = child()
	if err := cmd.Run(); err != nil {
		t.Fatalf("the last sync process failed: %v\n%s", err, out)
	}
	t.Logf("%d kills, %d runs finished before their kill (each followed by a new full pass), last run: %s; %v in all (wall clock)",
		killed, finished, bytes.TrimSpace(grepLine(out.Bytes(), "HELPER-DONE")), time.Since(began).Round(time.Millisecond))

	// Killed runs stay "running" with the counts of their last committed
	// page: they tell where the kills landed.
	var runs, midPass int
	if err := db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN records_read > 0 OR deleted > 0 THEN 1 ELSE 0 END), 0) FROM sync_runs
		WHERE replicator_id = ? AND outcome = 'running'`, r.ID).Scan(&runs, &midPass); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d killed runs had started (the others were killed in process start-up), %d of them after committing a page; last estimate of a full pass %v",
		runs, midPass, est.Round(time.Millisecond))

	n := e.assertEqual(r)
	entriesCount, _, err := e.store.CountEntries(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var dups, orphans int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT source_id FROM entries WHERE replicator_id = ? GROUP BY source_id HAVING COUNT(*) > 1)`, r.ID).Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM entry_numbers WHERE entry_id NOT IN (SELECT id FROM entries)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if dups != 0 || orphans != 0 || entriesCount != n {
		t.Errorf("%d duplicated source ids, %d numbers of removed entries, %d entries counted for %d compared", dups, orphans, entriesCount, n)
	}
	got := e.replicator(r.ID)
	if got.FullSync || got.ResumeURL != "" || got.State != roger.StateActive {
		t.Errorf("after the last run: full %v resume %q state %q", got.FullSync, got.ResumeURL, got.State)
	}
}

func grepLine(b []byte, prefix string) []byte {
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(prefix)) {
			return line
		}
	}
	return nil
}
