package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// orderLog records what happened in which order, across goroutines.
type orderLog struct {
	mu   sync.Mutex
	list []string
}

func (e *orderLog) add(ev string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *orderLog) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.list, ", ")
}

// A refresh blocked in the token endpoint for up to 5 s must not hold the
// database: another replicator's page, and a write to the refreshing
// replicator's own credentials row, commit while it hangs.
func TestRefreshHoldsNoDatabase(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r, other := f.replicator("a"), f.replicator("b")
		now := f.clock.Now()
		if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "a0", RefreshToken: "r0", Obtained: now.Add(-11 * time.Minute), Expiry: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		var order orderLog
		called, written := make(chan struct{}), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			close(called)
			select {
			case <-written:
			case <-time.After(5 * time.Second): // the hanging token endpoint
			}
			order.add("refresh answered")
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"a1","token_type":"bearer","expires_in":"600","refresh_token":"r1"}`)
		}))
		defer srv.Close()
		tokens := exact.NewTokenSource(exact.Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "s", HTTPClient: srv.Client(), Clock: f.clock}, f.store.TokenStore(r.ID))
		refreshed := make(chan error, 1)
		go func() {
			_, err := tokens.Token(ctx)
			refreshed <- err
		}()
		<-called
		page := roger.Page{ReplicatorID: other.ID, OrgID: f.org.ID, Upserts: []roger.Entry{entry("1", 10, ok("Phone", "+31201234567"))}}
		if _, err := f.store.ApplyPages(ctx, []roger.Page{page}); err != nil {
			t.Fatal(err)
		}
		order.add("page committed")
		if err := f.store.SaveClientSecret(ctx, r.ID, "new-secret"); err != nil {
			t.Fatal(err)
		}
		order.add("secret saved")
		close(written)
		if err := <-refreshed; err != nil {
			t.Fatal(err)
		}
		if got, want := order.String(), "page committed, secret saved, refresh answered"; got != want {
			t.Fatalf("order: %s; want %s (the writes waited for the refresh)", got, want)
		}
		if tok, err := f.store.TokenStore(r.ID).LoadToken(ctx); err != nil || tok.RefreshToken != "r1" {
			t.Fatalf("stored token after the refresh: %+v %v", tok, err)
		}
		if secret, err := f.store.ClientSecret(ctx, r.ID); err != nil || secret != "new-secret" {
			t.Fatalf("client secret saved during the refresh: %q %v", secret, err)
		}
	})
}

// Two instances (two store handles on one database) that need a token at
// once make one call to the token endpoint: the second waits for the
// first's lease and then finds the new token stored.
func TestTwoInstancesRefreshOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		now := f.clock.Now()
		if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "a0", RefreshToken: "r0", Obtained: now.Add(-11 * time.Minute), Expiry: now.Add(-time.Minute)}); err != nil {
			t.Fatal(err)
		}
		second := f.open()
		waiting := make(chan struct{})
		var once sync.Once
		second.onRefreshWait = func() { once.Do(func() { close(waiting) }) }

		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path != "/api/oauth2/token" || req.FormValue("refresh_token") != "r0" {
				t.Errorf("token request %s with refresh token %q", req.URL.Path, req.FormValue("refresh_token"))
			}
			calls.Add(1)
			// Answer only once the other instance waits for this refresh.
			select {
			case <-waiting:
			case <-time.After(10 * time.Second):
				t.Error("the second instance never waited for the first one's refresh")
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"a1","token_type":"bearer","expires_in":"600","refresh_token":"r1"}`)
		}))
		defer srv.Close()
		cfg := exact.Config{BaseURL: srv.URL, ClientID: "a", ClientSecret: "s", HTTPClient: srv.Client(), Clock: f.clock}

		first := exact.NewTokenSource(cfg, f.store.TokenStore(r.ID))
		got := make(chan string, 2)
		go func() {
			access, err := first.Token(ctx)
			if err != nil {
				t.Error(err)
			}
			got <- access
		}()
		// The second instance starts once the first one's call is under way.
		for calls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		access, err := exact.NewTokenSource(cfg, second.TokenStore(r.ID)).Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if access != "a1" || <-got != "a1" {
			t.Fatalf("tokens handed out: %q and another; want a1 for both", access)
		}
		if n := calls.Load(); n != 1 {
			t.Fatalf("%d calls to the token endpoint; want 1", n)
		}
	})
}

// setRefreshLease makes the refresh lease of replicator id look held by
// owner in process until until, as a holder that crashed leaves it.
func setRefreshLease(t *testing.T, s *Store, id int64, owner, process string, until time.Time) {
	t.Helper()
	if _, err := s.write.Exec(s.q(`UPDATE credentials SET refresh_owner = ?, refresh_process = ?, refresh_until = ? WHERE replicator_id = ?`),
		owner, process, until.UnixMilli(), id); err != nil {
		t.Fatal(err)
	}
}

// deadProcess returns the lease record of a process of this host that has
// ended.
func deadProcess(t *testing.T) string {
	t.Helper()
	self := thisProcess()
	if self == "" {
		t.Skip("this system does not tell whether a process runs (/proc)")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start a process to end: ", err)
	}
	pid := cmd.Process.Pid
	start, _, ok := procStat(pid)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if !ok {
		t.Fatalf("no /proc entry for the running process %d", pid)
	}
	parts := strings.Split(self, "/")
	return strings.Join(append(parts[:3:3], strconv.Itoa(pid), start), "/")
}

// A refresh lease left by a holder that crashed is taken over: when it
// runs out, or at once when its process on this host is gone. The lease of
// a running holder is waited for until the caller gives up.
func TestCrashedRefresherLeaseIsTakenOver(t *testing.T) {
	cases := []struct {
		name string
		// process is the lease's holder process, given this process.
		process func(t *testing.T, self string) string
		// wait: the lease is waited for; expire: until it runs out (else
		// until the caller gives up).
		wait, expire bool
	}{
		{"holder on another host runs out", func(*testing.T, string) string { return "elsewhere/b/pid:[1]/42/42" }, true, true},
		{"holder process gone", func(t *testing.T, _ string) string { return deadProcess(t) }, false, false},
		{"holder process running", func(_ *testing.T, self string) string { return self }, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, f *fixture) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				r := f.replicator("a")
				if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "a0", RefreshToken: "r0"}); err != nil {
					t.Fatal(err)
				}
				_, self := f.store.holder.get()
				if self == "" && !c.expire {
					t.Skip("this system does not tell whether a process runs (/proc)")
				}
				setRefreshLease(t, f.store, r.ID, "crashed", c.process(t, self), f.clock.Now().Add(refreshLease))

				var waited, expired atomic.Bool
				f.store.onRefreshWait = func() {
					if waited.Swap(true) {
						return
					}
					if c.expire {
						expired.Store(true)
						f.clock.Advance(refreshLease + time.Second)
					} else {
						cancel()
					}
				}
				called := false
				err := f.store.TokenStore(r.ID).UpdateToken(ctx, func(cur *roger.Token) (*roger.Token, error) {
					called = true
					if c.expire && !expired.Load() {
						t.Error("the refresh ran before the crashed holder's lease ran out")
					}
					return &roger.Token{AccessToken: "a1", RefreshToken: "r1"}, nil
				})
				if waited.Load() != c.wait {
					t.Errorf("waited for the lease: %v; want %v", waited.Load(), c.wait)
				}
				if c.wait && !c.expire {
					if called || code(err) != roger.EUNAVAILABLE {
						t.Fatalf("a running holder's lease: refresh ran %v, error %v; want no refresh and unavailable", called, err)
					}
					return
				}
				if err != nil || !called {
					t.Fatalf("takeover: refresh ran %v, error %v", called, err)
				}
				var owner string
				if err := f.store.read.QueryRow(f.store.q(`SELECT refresh_owner FROM credentials WHERE replicator_id = ?`), r.ID).Scan(&owner); err != nil || owner != "" {
					t.Fatalf("lease after the refresh: %q %v; want released", owner, err)
				}
				if tok, err := f.store.TokenStore(r.ID).LoadToken(ctx); err != nil || tok.RefreshToken != "r1" {
					t.Fatalf("stored token: %+v %v", tok, err)
				}
			})
		})
	}
}

// failTokenWrites makes the database refuse to change a stored token, as a
// full disk would, until the returned function is called.
func failTokenWrites(t *testing.T, s *Store) (restore func()) {
	t.Helper()
	create := []string{`CREATE TRIGGER fail_token BEFORE UPDATE OF token ON credentials WHEN NEW.token <> OLD.token BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`}
	drop := []string{`DROP TRIGGER fail_token`}
	if s.dialect == Postgres {
		create = []string{
			`CREATE FUNCTION fail_token() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER fail_token BEFORE UPDATE OF token ON credentials FOR EACH ROW WHEN (NEW.token <> OLD.token) EXECUTE FUNCTION fail_token()`,
		}
		drop = []string{`DROP TRIGGER fail_token ON credentials`, `DROP FUNCTION fail_token()`}
	}
	for _, q := range create {
		if _, err := s.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for _, q := range drop {
			if _, err := s.write.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A refreshed token the database does not take is not lost: Exact has
// already replaced the stored refresh token with it. It is stored before
// anything else at the next update, and meanwhile no other instance
// refreshes from the stored, superseded one while the lease lasts.
func TestRefreshedTokenSurvivesAFailedStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "a0", RefreshToken: "r0"}); err != nil {
			t.Fatal(err)
		}
		restore := failTokenWrites(t, f.store)
		ts := f.store.TokenStore(r.ID)
		err := ts.UpdateToken(ctx, func(*roger.Token) (*roger.Token, error) {
			return &roger.Token{AccessToken: "a1", RefreshToken: "r1!secret"}, nil
		})
		if code(err) != roger.EUNAVAILABLE || strings.Contains(err.Error(), "r1!secret") {
			t.Fatalf("a failed store: %v; want unavailable, without the token", err)
		}
		if tok, _ := ts.LoadToken(ctx); tok.RefreshToken != "r0" {
			t.Fatalf("stored after a failed store: %+v", tok)
		}

		other := f.open()
		gaveUp, cancel := context.WithCancel(ctx)
		other.onRefreshWait = cancel
		err = other.TokenStore(r.ID).UpdateToken(gaveUp, func(*roger.Token) (*roger.Token, error) {
			t.Error("another instance refreshed from the superseded token")
			return nil, nil
		})
		if code(err) != roger.EUNAVAILABLE {
			t.Fatalf("another instance during the lease: %v", err)
		}

		restore()
		var seen *roger.Token
		if err := ts.UpdateToken(ctx, func(cur *roger.Token) (*roger.Token, error) {
			seen = cur
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if seen == nil || seen.RefreshToken != "r1!secret" {
			t.Fatalf("the next update saw %+v; want the refreshed token", seen)
		}
		if tok, err := ts.LoadToken(ctx); err != nil || tok.RefreshToken != "r1!secret" {
			t.Fatalf("stored at the next update: %+v %v", tok, err)
		}
	})
}

// A token stored while a refresh ran (the application authorized again)
// is newer than the refresh and is kept.
func TestRefreshKeepsATokenStoredMeanwhile(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "a0", RefreshToken: "r0"}); err != nil {
			t.Fatal(err)
		}
		err := f.store.TokenStore(r.ID).UpdateToken(ctx, func(*roger.Token) (*roger.Token, error) {
			if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "consent", RefreshToken: "r-consent"}); err != nil {
				t.Fatal(err)
			}
			return &roger.Token{AccessToken: "a1", RefreshToken: "r1"}, nil
		})
		if !errors.Is(err, errTokenChanged) || code(err) != roger.EUNAVAILABLE {
			t.Fatalf("refresh over a newer token: %v", err)
		}
		if tok, err := f.store.TokenStore(r.ID).LoadToken(ctx); err != nil || tok.RefreshToken != "r-consent" {
			t.Fatalf("stored: %+v %v; want the token of the new authorization", tok, err)
		}
		if err := f.store.TokenStore(r.ID).UpdateToken(ctx, func(cur *roger.Token) (*roger.Token, error) { return nil, nil }); err != nil {
			t.Fatalf("the lease after a refused store: %v", err)
		}
	})
}
