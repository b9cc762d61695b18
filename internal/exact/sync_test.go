package exact

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

// readContacts runs a SyncContacts pass and returns its pages.
func readContacts(t *testing.T, c *Client, after int64, resume string) ([][]Contact, []string, error) {
	t.Helper()
	var pages [][]Contact
	var nexts []string
	err := c.SyncContacts(context.Background(), testDivision, after, resume, func(rows []Contact, next string) error {
		pages = append(pages, rows)
		nexts = append(nexts, next)
		return nil
	})
	return pages, nexts, err
}

func TestSyncContactsFullAndEmptyIncrement(t *testing.T) {
	for _, asNumber := range []bool{false, true} {
		t.Run(map[bool]string{false: "Timestamp as string", true: "Timestamp as number"}[asNumber], func(t *testing.T) {
			e := newEnv(t, exactsim.Options{TimestampAsNumber: asNumber}, "", 400, 3500)
			e.login()
			c := e.client()
			pages, nexts, err := readContacts(t, c, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			seen := map[string]bool{}
			var last int64
			for _, p := range pages {
				sizes = append(sizes, len(p))
				for _, ct := range p {
					if seen[ct.ID] {
						t.Fatalf("contact %s read twice", ct.ID)
					}
					seen[ct.ID] = true
					if ct.Timestamp <= last {
						t.Fatalf("timestamps not ascending: %d after %d", ct.Timestamp, last)
					}
					last = ct.Timestamp
					if ct.Account == "" || ct.FullName == "" || ct.Modified.IsZero() {
						t.Fatalf("incomplete contact %+v", ct)
					}
				}
			}
			if !slices.Equal(sizes, []int{1000, 1000, 1000, 500}) || len(seen) != 3500 {
				t.Fatalf("pages %v, %d contacts; want 1000,1000,1000,500 and 3500", sizes, len(seen))
			}
			for i, n := range nexts {
				if (n == "") != (i == len(nexts)-1) {
					t.Fatalf("next of page %d is %q", i, n)
				}
			}
			if c.Calls() != 4 {
				t.Fatalf("full load of 3500 took %d calls, want 4", c.Calls())
			}
			t.Logf("full load of 3500 contacts: %d calls", c.Calls())

			// An increment with no change: the sync endpoint and the
			// deletion log, one call each.
			inc := e.client()
			pages, nexts, err = readContacts(t, inc, last, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 1 || len(pages[0]) != 0 || nexts[0] != "" {
				t.Fatalf("empty increment gave %d pages", len(pages))
			}
			// The log holds older history; after the full load's cursor
			// nothing happened.
			if err := inc.SyncDeleted(context.Background(), testDivision, EntityTypeContact, last, "", func(rows []Deleted, _ string) error {
				if len(rows) != 0 {
					t.Fatalf("%d deletions in an untouched division", len(rows))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if inc.Calls() != 2 {
				t.Fatalf("empty increment took %d calls, want 2", inc.Calls())
			}
		})
	}
}

func TestSyncAccountsAndSingleRecords(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 150, 20)
	e.login()
	c := e.client()
	ctx := context.Background()
	var accounts []Account
	if err := c.SyncAccounts(ctx, testDivision, 0, "", func(rows []Account, _ string) error { accounts = append(accounts, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 150 || c.Calls() != 1 {
		t.Fatalf("%d accounts in %d calls", len(accounts), c.Calls())
	}
	a := accounts[17]
	if a.Code == "" || strings.HasPrefix(a.Code, " ") || a.Name == "" || a.Timestamp == 0 {
		t.Fatalf("account %+v", a)
	}
	got, err := c.Account(ctx, testDivision, "{"+strings.ToUpper(a.ID)+"}")
	if err != nil {
		t.Fatal(err)
	}
	want := a
	want.Timestamp = 0 // regular endpoints have no Timestamp
	if *got != want {
		t.Fatalf("Account = %+v\nsync    = %+v", *got, want)
	}

	_, contacts, err := readContacts(t, c, 0, "")
	if err != nil || len(contacts) != 1 {
		t.Fatal(err)
	}
	var first Contact
	_ = c.SyncContacts(ctx, testDivision, 0, "", func(rows []Contact, _ string) error { first = rows[0]; return nil })
	ct, err := c.Contact(ctx, testDivision, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	first.Timestamp = 0
	if *ct != first {
		t.Fatalf("Contact = %+v\nsync    = %+v", *ct, first)
	}

	before := c.Calls()
	_, err = c.Account(ctx, testDivision, "0b5e4c43-2c3a-4a4e-9d55-000000000000")
	re := wantCode(t, err, roger.ENOTFOUND)
	if !strings.Contains(re.Message, "no longer exists") {
		t.Fatalf("message %q", re.Message)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Message == "" {
		t.Fatalf("want the 404 kept, got %v", err)
	}
	if c.Calls()-before != 1 {
		t.Fatal("a 404 was retried")
	}
	_, err = c.Contact(ctx, testDivision, "x') or 1 eq 1 or ID eq guid'y")
	wantCode(t, err, roger.EINVALID)
	if c.Calls()-before != 1 {
		t.Fatal("an invalid ID reached Exact")
	}
}

func TestSyncResume(t *testing.T) {
	e := newEnv(t, exactsim.Options{EncodeSkiptokenDollar: true}, "", 300, 3500)
	e.login()
	c := e.client()
	stop := errors.New("stop after one page")
	var firstPage []Contact
	var resume string
	err := c.SyncContacts(context.Background(), testDivision, 0, "", func(rows []Contact, next string) error {
		firstPage, resume = rows, next
		return stop
	})
	if !errors.Is(err, stop) || len(firstPage) != 1000 || !strings.Contains(resume, "%24skiptoken") {
		t.Fatalf("err %v, %d rows, next %q", err, len(firstPage), resume)
	}

	// A restarted process goes on from the saved link.
	c2 := e.client()
	pages, _, err := readContacts(t, c2, 0, resume)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ct := range firstPage {
		seen[ct.ID] = true
	}
	n := 0
	for _, p := range pages {
		for _, ct := range p {
			if seen[ct.ID] {
				t.Fatalf("contact %s of the first page read again", ct.ID)
			}
			seen[ct.ID] = true
			n++
		}
	}
	if n != 2500 || c2.Calls() != 3 {
		t.Fatalf("resumed pass read %d contacts in %d calls, want 2500 in 3", n, c2.Calls())
	}

	// A link of another host or endpoint is refused without a call.
	for _, bad := range []string{
		strings.Replace(resume, "127.0.0.1", "localhost", 1),
		strings.Replace(resume, "sync/CRM/Contacts", "sync/CRM/Accounts", 1),
		strings.Replace(resume, "/123456/", "/234567/", 1),
		"/api/v1/123456/sync/CRM/Contacts",
	} {
		c3 := e.client()
		_, _, err = readContacts(t, c3, 0, bad)
		wantCode(t, err, roger.EINVALID)
		if !errors.Is(err, ErrBadResumeURL) || c3.Calls() != 0 {
			t.Fatalf("%s: err %v, %d calls", bad, err, c3.Calls())
		}
	}
}

// TestSyncLoopingNext: a __next that leads back to a page already read
// ends the pass with an error, and fn never sees that page twice.
func TestSyncLoopingNext(t *testing.T) {
	tests := []struct {
		name      string
		armBefore bool // the first page loops; otherwise the second
		wantPages int
	}{
		{"first page links to itself", true, 0},
		{"second page links to itself", false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 300, 3500)
			e.login()
			c := e.client()
			loop := exactsim.Fault{Kind: exactsim.FaultLoopNext, Count: 1, Path: "sync/CRM/Contacts"}
			if tc.armBefore {
				e.fault(loop)
			}
			var pages int
			err := c.SyncContacts(context.Background(), testDivision, 0, "", func(rows []Contact, next string) error {
				pages++
				if !tc.armBefore && pages == 1 {
					e.fault(loop)
				}
				return nil
			})
			re := wantCode(t, err, roger.EINTERNAL)
			if !strings.Contains(re.Message, "page already read") {
				t.Fatalf("message %q", re.Message)
			}
			if pages != tc.wantPages || c.Calls() != int64(tc.wantPages+1) {
				t.Fatalf("fn saw %d pages in %d calls", pages, c.Calls())
			}
		})
	}
}

// TestSyncForeignNext: a __next pointing at another host is not followed,
// so the bearer token never goes there.
func TestSyncForeignNext(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 300, 1500)
	e.login()
	c := e.client()
	e.trace.spoofHost = "exact.attacker.example"
	called := false
	err := c.SyncContacts(context.Background(), testDivision, 0, "", func([]Contact, string) error { called = true; return nil })
	re := wantCode(t, err, roger.EINTERNAL)
	if called || c.Calls() != 1 || !strings.Contains(re.Message, "exact.attacker.example") {
		t.Fatalf("fn called %v, %d calls, %q", called, c.Calls(), re.Message)
	}
}

// TestSyncDamagedBodies: truncated and malformed 200 answers are retried
// at most twice, and a page is never handed on half decoded.
func TestSyncDamagedBodies(t *testing.T) {
	tests := []struct {
		kind  exactsim.FaultKind
		count int // 0 = until removed
		ok    bool
		calls int64
	}{
		{exactsim.FaultTruncate, 1, true, 2},
		{exactsim.FaultMalformed, 2, true, 3},
		{exactsim.FaultTruncate, 0, false, 3},
		{exactsim.FaultMalformed, 0, false, 3},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind)+map[bool]string{true: " then ok", false: " forever"}[tc.ok], func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 300, 800)
			e.login()
			c := e.client()
			e.fault(exactsim.Fault{Kind: tc.kind, Count: tc.count, Path: "sync/CRM/Contacts"})
			pages, _, err := readContacts(t, c, 0, "")
			if c.Calls() != tc.calls {
				t.Fatalf("%d calls, want %d", c.Calls(), tc.calls)
			}
			if tc.ok {
				if err != nil || len(pages) != 1 || len(pages[0]) != 800 {
					t.Fatalf("err %v, %d pages", err, len(pages))
				}
				return
			}
			re := wantCode(t, err, roger.EINTERNAL)
			if len(pages) != 0 {
				t.Fatal("fn saw a damaged page")
			}
			if !strings.Contains(re.Message, "3 times") {
				t.Fatalf("message %q", re.Message)
			}
		})
	}
}

// TestSyncTransientRetries: 5xx and 408 are retried with exponential
// backoff; a persistent failure ends after five attempts.
func TestSyncTransientRetries(t *testing.T) {
	tests := []struct {
		name   string
		status int
		count  int
		ok     bool
		sleeps []time.Duration
	}{
		{"503 burst of 3", 503, 3, true, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"500 once", 500, 1, true, []time.Duration{time.Second}},
		{"408 once", 408, 1, true, []time.Duration{time.Second}},
		{"503 forever", 503, 0, false, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 50, 0)
			e.login()
			c := e.client()
			e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: tc.status, Count: tc.count, Path: "sync/CRM/Accounts"})
			var n int
			err := c.SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error { n += len(rows); return nil })
			if tc.ok {
				if err != nil || n != 50 || c.Calls() != int64(tc.count+1) {
					t.Fatalf("err %v, %d rows, %d calls", err, n, c.Calls())
				}
			} else {
				re := wantCode(t, err, roger.EUNAVAILABLE)
				if c.Calls() != 5 || !strings.Contains(re.Message, "5 attempts") {
					t.Fatalf("%d calls, %q", c.Calls(), re.Message)
				}
			}
			if got := e.sleeps.Slept(); !slices.Equal(got, tc.sleeps) {
				t.Fatalf("sleeps %v, want %v", got, tc.sleeps)
			}
		})
	}
}

func TestBackoffJitter(t *testing.T) {
	for n := 1; n <= 8; n++ {
		ceil := backoffCeiling(n)
		if ceil > 30*time.Second {
			t.Fatalf("ceiling %v beyond 30 s", ceil)
		}
		for range 100 {
			if d := fullJitter(ceil); d < 0 || d > ceil {
				t.Fatalf("jitter %v outside [0, %v]", d, ceil)
			}
		}
	}
	if backoffCeiling(1) != time.Second || backoffCeiling(3) != 4*time.Second || backoffCeiling(10) != 30*time.Second {
		t.Fatal("backoff schedule is not 1 s, 2 s, 4 s … 30 s")
	}
}

// TestRefusalsAreNotRetried: 400, 403 and 404 fail at once with Exact's
// message and Reason.
func TestRefusalsAreNotRetried(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 50, 10)
	e.login()
	ctx := context.Background()

	t.Run("400 bad filter", func(t *testing.T) {
		c := e.client()
		before := e.sim.Stats().APICalls
		err := c.get(ctx, request{op: "test", url: c.divisionURL(testDivision, "sync/CRM/Contacts") + "?$select=ID&$filter=" + queryEscape("Name eq 'x'"),
			endpoint: "sync/CRM/Contacts", division: testDivision}, func([]byte) error { return nil })
		re := wantCode(t, err, roger.EINVALID)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Message, "Filtering on these fields is not supported: Name") {
			t.Fatalf("APIError %+v", ae)
		}
		if !strings.Contains(re.Message, "Filtering on these fields is not supported") {
			t.Fatalf("message %q", re.Message)
		}
		if d := e.sim.Stats().APICalls - before; d != 1 || c.Calls() != 1 {
			t.Fatalf("%d requests reached Exact, want 1", d)
		}
	})

	t.Run("403 with Reason", func(t *testing.T) {
		for _, reason := range []string{"DivisionBlocked", "NoDivisionAccess", "LicenseExpired"} {
			c := e.client()
			e.fault(exactsim.Fault{Kind: exactsim.FaultForbidden, Reason: reason, Count: 1, Path: "sync/CRM/Accounts"})
			err := c.SyncAccounts(ctx, testDivision, 0, "", func([]Account, string) error { t.Fatal("fn called"); return nil })
			re := wantCode(t, err, roger.EFORBIDDEN)
			if !strings.Contains(re.Message, "division 123456 ("+reason) || c.Calls() != 1 {
				t.Fatalf("%q after %d calls", re.Message, c.Calls())
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Reason != reason || ae.Status != 403 {
				t.Fatalf("APIError %+v", ae)
			}
		}
	})

	t.Run("403 scope violation", func(t *testing.T) {
		c := e.client()
		e.fault(exactsim.Fault{Kind: exactsim.FaultForbidden, Reason: "ScopeViolation", Count: 1, Path: "sync/CRM/Accounts"})
		err := c.SyncAccounts(ctx, testDivision, 0, "", func([]Account, string) error { return nil })
		re := wantCode(t, err, roger.EFORBIDDEN)
		if !strings.Contains(re.Message, "scope") {
			t.Fatalf("message %q", re.Message)
		}
	})

	t.Run("403 division the user cannot open", func(t *testing.T) {
		c := NewClient(e.cfg, e.tokens, e.reg.Get(e.cfg.ClientID, 999999))
		err := c.SyncContacts(ctx, 999999, 0, "", func([]Contact, string) error { return nil })
		re := wantCode(t, err, roger.EFORBIDDEN)
		want := "Exact Online refused access to division 999999 (NoDivisionAccess"
		if !strings.HasPrefix(re.Message, want) || c.Calls() != 1 {
			t.Fatalf("message %q after %d calls, want prefix %q", re.Message, c.Calls(), want)
		}
		e.noSecrets(re.Error())
	})
}

// TestUnauthorizedRetriesOnce: a 401 invalidates the token and retries
// once with a refreshed one; a second 401 fails.
func TestUnauthorizedRetriesOnce(t *testing.T) {
	tests := []struct {
		name  string
		kind  exactsim.FaultKind
		count int
		ok    bool
	}{
		{"empty 401 once", exactsim.FaultUnauthorized, 1, true},
		{"Object moved 401 once", exactsim.FaultUnauthorizedHTML, 1, true},
		{"401 twice", exactsim.FaultUnauthorized, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Tokens that live 20 minutes let the test sit past the 570 s
			// window with a token that is still valid.
			e := newEnv(t, exactsim.Options{AccessTokenLifetime: 20 * time.Minute}, "", 30, 0)
			first := e.login()
			e.clk.Advance(600 * time.Second)
			c := e.client()
			e.fault(exactsim.Fault{Kind: tc.kind, Count: tc.count, Path: "sync/CRM/Accounts"})
			calls := e.tokenCalls()
			var n int
			err := c.SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error { n += len(rows); return nil })
			if c.Calls() != 2 {
				t.Fatalf("%d calls, want 2", c.Calls())
			}
			if e.tokenCalls()-calls != 1 || e.store.current().AccessToken == first.AccessToken {
				t.Fatal("the retry did not use a refreshed token")
			}
			if tc.ok {
				if err != nil || n != 30 {
					t.Fatalf("err %v, %d rows", err, n)
				}
				return
			}
			wantCode(t, err, roger.EUNAVAILABLE)
		})
	}
}

func TestSyncDeleted(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 40, 200)
	e.login()
	c := e.client()
	ctx := context.Background()
	// A real division's log already holds two months of deletions, of
	// other entity types too; only the asked type comes back.
	var history []Deleted
	accountHistory := 0
	for _, typ := range []int{EntityTypeContact, EntityTypeAccount} {
		if err := c.SyncDeleted(ctx, testDivision, typ, 0, "", func(rows []Deleted, _ string) error {
			for _, d := range rows {
				if d.EntityType != typ || d.Timestamp < 1_000_000_000_000 {
					t.Fatalf("history row %+v asked for type %d", d, typ)
				}
			}
			if typ == EntityTypeAccount {
				accountHistory += len(rows)
			} else {
				history = append(history, rows...)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(history) == 0 || accountHistory == 0 {
		t.Fatalf("%d contact and %d account deletions of history, want some", len(history), accountHistory)
	}
	cursor := history[len(history)-1].Timestamp
	e.clk.Advance(time.Hour)
	res, err := e.sim.Mutate(testDivision, exactsim.Mutation{Entity: "contacts", Deletes: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []Deleted
	if err := c.SyncDeleted(ctx, testDivision, EntityTypeContact, cursor, "", func(rows []Deleted, _ string) error { got = append(got, rows...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d deletions, want 3", len(got))
	}
	for i, d := range got {
		if d.EntityKey != res.Deleted[i] && !slices.Contains(res.Deleted, d.EntityKey) {
			t.Fatalf("deleted %s not among %v", d.EntityKey, res.Deleted)
		}
		if d.EntityType != EntityTypeContact || d.Timestamp == 0 || !d.DeletedDate.Equal(e.clk.Now().Truncate(time.Millisecond)) {
			t.Fatalf("deletion %+v (now %v)", d, e.clk.Now())
		}
	}
	var accounts int
	if err := c.SyncDeleted(ctx, testDivision, EntityTypeAccount, 0, "", func(rows []Deleted, _ string) error { accounts += len(rows); return nil }); err != nil {
		t.Fatal(err)
	}
	if accounts != accountHistory {
		t.Fatalf("%d account deletions, want the %d of history", accounts, accountHistory)
	}
	// The cursor moves past them.
	var again int
	if err := c.SyncDeleted(ctx, testDivision, EntityTypeContact, got[2].Timestamp, "", func(rows []Deleted, _ string) error { again += len(rows); return nil }); err != nil {
		t.Fatal(err)
	}
	if again != 0 {
		t.Fatalf("%d deletions after the cursor", again)
	}
}

// TestModifiedDates: records changed now come back with Modified equal to
// now, in summer and in winter, although Exact writes Amsterdam wall time.
func TestModifiedDates(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC),
		time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
	} {
		t.Run(at.Month().String(), func(t *testing.T) {
			e := newEnv(t, exactsim.Options{}, "", 20, 50)
			e.clk.Set(at)
			e.login()
			c := e.client()
			var last int64
			_ = c.SyncContacts(context.Background(), testDivision, 0, "", func(rows []Contact, _ string) error {
				last = rows[len(rows)-1].Timestamp
				return nil
			})
			if _, err := e.sim.Mutate(testDivision, exactsim.Mutation{Entity: "contacts", Updates: 5}); err != nil {
				t.Fatal(err)
			}
			var changed []Contact
			if err := c.SyncContacts(context.Background(), testDivision, last, "", func(rows []Contact, _ string) error { changed = append(changed, rows...); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(changed) != 5 {
				t.Fatalf("%d changed, want 5", len(changed))
			}
			for _, ct := range changed {
				if !ct.Modified.Equal(at) || ct.Modified.Location() != time.UTC {
					t.Fatalf("Modified %v, want %v", ct.Modified, at)
				}
			}
		})
	}
}

func TestBadBaseURL(t *testing.T) {
	for _, base := range []string{"start.exactonline.nl", "ftp://start.exactonline.nl", "https://"} {
		c := NewClient(Config{BaseURL: base}, NewTokenSource(Config{BaseURL: base}, &memStore{}), nil)
		err := c.SyncContacts(context.Background(), testDivision, 0, "", func([]Contact, string) error { return nil })
		wantCode(t, err, roger.EINVALID)
		_, err = c.Me(context.Background())
		wantCode(t, err, roger.EINVALID)
		if c.Calls() != 0 {
			t.Fatalf("%s: %d calls", base, c.Calls())
		}
	}
}

func TestSyncCancelled(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 10, 1500)
	e.login()
	c := e.client()
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	err := c.SyncContacts(ctx, testDivision, 0, "", func([]Contact, string) error { pages++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || pages != 1 || c.Calls() != 1 {
		t.Fatalf("err %v after %d pages and %d calls", err, pages, c.Calls())
	}
}
