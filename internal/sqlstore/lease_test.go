package sqlstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func TestProcessGone(t *testing.T) {
	self := thisProcess()
	if self == "" {
		t.Skip("this system does not tell whether a process runs (/proc)")
	}
	parts := strings.Split(self, "/")
	record := func(host, boot, ns string, pid int, start string) string {
		return strings.Join([]string{host, boot, ns, strconv.Itoa(pid), start}, "/")
	}
	parentStart, _, ok := procStat(os.Getppid())
	if !ok {
		t.Fatal("no /proc entry for the parent process")
	}
	cases := []struct {
		name   string
		record string
		gone   bool
	}{
		{"this process", self, false},
		{"a running process of this host", record(parts[0], parts[1], parts[2], os.Getppid(), parentStart), false},
		{"an ended process of this host", deadProcess(t), true},
		{"its pid now another process", record(parts[0], parts[1], parts[2], os.Getpid(), parts[4]+"1"), true},
		{"another host", record("elsewhere", parts[1], parts[2], 999999, "1"), false},
		{"another boot", record(parts[0], "other-boot", parts[2], 999999, "1"), false},
		{"another pid namespace", record(parts[0], parts[1], "pid:[1]", 999999, "1"), false},
		{"no record", "", false},
		{"malformed", "host/pid", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := processGone(c.record, self); got != c.gone {
				t.Fatalf("processGone(%q) = %v; want %v", c.record, got, c.gone)
			}
		})
	}
}

// A replicator leased by a process of this host that is gone (killed,
// crashed) is claimed at once, not when the lease runs out; a lease whose
// holder runs, or may run (another host), is never taken before it runs
// out.
func TestLeaseOfAGoneProcessIsTakenAtOnce(t *testing.T) {
	claims := []struct {
		name  string
		claim func(s *Store, id int64, owner string) (bool, error)
	}{
		{"ClaimDue", func(s *Store, id int64, owner string) (bool, error) {
			got, err := s.ClaimDue(context.Background(), owner, schedulerLease, 10)
			return len(got) == 1 && got[0].ID == id, err
		}},
		{"ClaimOne", func(s *Store, id int64, owner string) (bool, error) {
			return s.ClaimOne(context.Background(), id, owner, schedulerLease)
		}},
	}
	holders := []struct {
		name string
		// process is the holder's record; "" keeps the claimer's own.
		process  func(t *testing.T) string
		takeOver bool
	}{
		{"holder process gone", deadProcess, true},
		{"holder process running", func(*testing.T) string { return "" }, false},
		{"holder on another host", func(*testing.T) string { return "elsewhere/b/pid:[1]/42/42" }, false},
	}
	for _, c := range claims {
		for _, h := range holders {
			t.Run(c.name+"/"+h.name, func(t *testing.T) {
				eachBackend(t, func(t *testing.T, f *fixture) {
					if _, self := f.store.holder.get(); self == "" {
						t.Skip("this system does not tell whether a process runs (/proc)")
					}
					r := f.replicator("a")
					// The holder claims with the old two-minute lease.
					if got, err := f.store.ClaimDue(context.Background(), "crashed", 2*time.Minute, 10); err != nil || len(got) != 1 {
						t.Fatalf("first claim: %d %v", len(got), err)
					}
					if p := h.process(t); p != "" {
						if _, err := f.store.write.Exec(f.store.q(`UPDATE replicators SET lease_process = ? WHERE id = ?`), p, r.ID); err != nil {
							t.Fatal(err)
						}
					}
					claimer := f.open()
					got, err := c.claim(claimer, r.ID, "successor")
					if err != nil {
						t.Fatal(err)
					}
					if got != h.takeOver {
						t.Fatalf("claimed while the lease lasts: %v; want %v", got, h.takeOver)
					}
					if got {
						if err := f.store.RenewLease(context.Background(), r.ID, "crashed", time.Minute); roger.ErrorCodeOf(err) != roger.ECONFLICT {
							t.Fatalf("the old holder renewing a lease taken over: %v", err)
						}
						return
					}
					f.clock.Advance(2*time.Minute + time.Second)
					if got, err := c.claim(claimer, r.ID, "successor"); err != nil || !got {
						t.Fatalf("claim after the lease ran out: %v %v", got, err)
					}
				})
			})
		}
	}
}

// schedulerLease is the scheduler's lease (replicate.DefaultLease),
// which this package cannot import.
const schedulerLease = 30 * time.Second

// The lease holder that TestLeasesOfAKilledProcess starts as a process of
// its own reads what to hold from these variables.
const (
	holderDSN   = "ROGER_TEST_HOLDER_DSN"
	holderLease = "ROGER_TEST_HOLDER_LEASE"
	holderID    = "ROGER_TEST_HOLDER_ID"
)

// TestLeaseHolderProcess is the lease holder of TestLeasesOfAKilledProcess,
// run as a process of its own and killed there; on its own it does nothing.
func TestLeaseHolderProcess(t *testing.T) {
	dsn := os.Getenv(holderDSN)
	if dsn == "" {
		t.Skip("the lease holder that TestLeasesOfAKilledProcess starts")
	}
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{Sealer: testKeyring(t)})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(os.Getenv(holderID), 10, 64)
	switch os.Getenv(holderLease) {
	case "sync":
		got, err := s.ClaimDue(ctx, "killed", 2*time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].ID != id {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		fmt.Println("holding")
	case "refresh":
		go s.TokenStore(id).UpdateToken(ctx, func(*roger.Token) (*roger.Token, error) {
			fmt.Println("holding")
			time.Sleep(time.Minute)
			return nil, nil
		})
	}
	// Killed long before; the bound keeps an orphan from lingering.
	time.Sleep(time.Minute)
}

// A process killed (kill -9) while it holds a replicator's sync lease or a
// token refresh lease leaves the lease behind; a process on the same host
// takes it over at once, not when it runs out.
func TestLeasesOfAKilledProcess(t *testing.T) {
	for _, lease := range []string{"sync", "refresh"} {
		t.Run(lease, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, f *fixture) {
				if thisProcess() == "" {
					t.Skip("this system does not tell whether a process runs (/proc)")
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				r := f.replicator("a")
				cmd := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderProcess$")
				cmd.Env = append(os.Environ(), holderDSN+"="+f.dsn, holderLease+"="+lease, holderID+"="+strconv.FormatInt(r.ID, 10))
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				killed := false
				kill := func() {
					if !killed {
						killed = true
						_ = cmd.Process.Kill()
						_ = cmd.Wait()
					}
				}
				defer kill()
				lines := bufio.NewScanner(out)
				for lines.Scan() && lines.Text() != "holding" {
				}
				if lines.Err() != nil || lines.Text() != "holding" {
					kill()
					t.Fatalf("the holder never held the lease: %s", stderr.String())
				}
				kill()

				switch lease {
				case "sync":
					got, err := f.store.ClaimDue(ctx, "successor", schedulerLease, 10)
					if err != nil || len(got) != 1 {
						t.Fatalf("claim after the holder was killed: %d %v; want the replicator at once", len(got), err)
					}
				case "refresh":
					f.store.onRefreshWait = func() {
						t.Error("waited for the killed holder's refresh lease")
						cancel()
					}
					called := false
					err := f.store.TokenStore(r.ID).UpdateToken(ctx, func(*roger.Token) (*roger.Token, error) {
						called = true
						return nil, nil
					})
					if err != nil || !called {
						t.Fatalf("refresh after the holder was killed: ran %v, %v", called, err)
					}
				}
			})
		})
	}
}

// With a short lease a renewal may come late (a slow commit ahead of it in
// the queue for the writer): a lease that ran out but that nobody took is
// still the holder's, and one that another claimed is not.
func TestLateRenewalKeepsAnUntakenLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if got, err := f.store.ClaimDue(ctx, "A", schedulerLease, 10); err != nil || len(got) != 1 {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		f.clock.Advance(schedulerLease + time.Second)
		if err := f.store.RenewLease(ctx, r.ID, "A", schedulerLease); err != nil {
			t.Fatalf("a late renewal of a lease nobody took: %v", err)
		}
		if got, err := f.store.ClaimDue(ctx, "B", schedulerLease, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed a renewed lease: %d %v", len(got), err)
		}
		f.clock.Advance(schedulerLease + time.Second)
		if got, err := f.store.ClaimDue(ctx, "B", schedulerLease, 10); err != nil || len(got) != 1 {
			t.Fatalf("claim of a lease that ran out: %d %v", len(got), err)
		}
		if err := f.store.RenewLease(ctx, r.ID, "A", schedulerLease); roger.ErrorCodeOf(err) != roger.ECONFLICT {
			t.Fatalf("renewing a lease another took: %v", err)
		}
	})
}
