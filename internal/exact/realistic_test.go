package exact

import (
	"context"
	"io"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

// The tests in this file read the simulator answering as the recorded real
// Exact Online does (issue 14), one per difference, through the client.

// Item 1: padded Country and Code come out trimmed.
func TestClientTrimsPaddedCodes(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 60, 200)
	e.login()
	c := e.client()
	ctx := context.Background()
	countries := 0
	if err := c.SyncAccounts(ctx, testDivision, 0, "", func(rows []Account, _ string) error {
		for _, a := range rows {
			if a.Code == "" || a.Code != strings.TrimSpace(a.Code) || a.Country != strings.TrimSpace(a.Country) {
				t.Fatalf("account Code %q Country %q: want them trimmed", a.Code, a.Country)
			}
			if len(a.Country) == 2 {
				countries++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if countries == 0 {
		t.Fatal("no account has a two-letter Country")
	}
	if err := c.SyncContacts(ctx, testDivision, 0, "", func(rows []Contact, _ string) error {
		for _, ct := range rows {
			if ct.Country != strings.TrimSpace(ct.Country) || ct.Country != "" && len(ct.Country) != 2 {
				t.Fatalf("contact Country %q: want a trimmed two-letter code", ct.Country)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Item 2: an accountant's hundreds of divisions come in pages of 60, and
// the client reads them all.
func TestClientReadsAllDivisionsOfAnAccountant(t *testing.T) {
	e := newEnv(t, exactsim.Options{MinutelyLimit: -1}, "", 0, 0)
	codes := make([]int, 0, 250)
	for i := range 250 {
		codes = append(codes, 600001+i)
	}
	if _, err := e.sim.AddUser("accountant", "boekhouder", codes...); err != nil {
		t.Fatal(err)
	}
	loc, err := exactsim.Consent(context.Background(), nil, AuthCodeURL(e.cfg, "st", false), "accountant", "boekhouder")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Exchange(context.Background(), e.cfg, loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	e.store.set(tok)
	c := NewClient(e.cfg, e.tokens, e.reg.Get(e.cfg.ClientID, codes[0]))
	divs, err := c.Divisions(context.Background(), codes[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(divs) != 250 || c.Calls() != 5 {
		t.Fatalf("%d divisions in %d calls, want 250 in 5 pages of 60", len(divs), c.Calls())
	}
	for i, d := range divs {
		if d.Code != codes[i] || d.Description == "" || !d.DivisionMoveDate.IsZero() {
			t.Fatalf("division %d: %+v", i, d)
		}
	}
	// Checking one division is one call, however many there are.
	before := c.Calls()
	d, found, err := c.Division(context.Background(), codes[200])
	if err != nil || !found || d.Code != codes[200] || c.Calls()-before != 1 {
		t.Fatalf("Division(%d) = %+v, %v, %v in %d calls", codes[200], d, found, err, c.Calls()-before)
	}
	other := NewClient(e.cfg, e.tokens, e.reg.Get(e.cfg.ClientID, testDivision))
	if _, found, err := other.Division(context.Background(), testDivision); err == nil || found {
		t.Fatalf("a division the accountant cannot open: found %v, err %v", found, err)
	}
}

// Item 3: the first sync pass with Timestamp gt 0 reads exactly what the
// real service gives a first call without $filter.
func TestClientFirstPassMatchesUnfilteredSync(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 40, 80)
	e.login()
	c := e.client()
	read := map[string]bool{}
	if err := c.SyncContacts(context.Background(), testDivision, 0, "", func(rows []Contact, _ string) error {
		for _, r := range rows {
			read[r.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tok := e.store.current()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/"+strconv.Itoa(testDivision)+"/sync/CRM/Contacts?$select=ID", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rows, _, err := decodeRows[struct{ ID string }](body)
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("sync without $filter: %d %v", resp.StatusCode, err)
	}
	if len(rows) != len(read) || len(read) != 80 {
		t.Fatalf("unfiltered: %d rows, client's first pass: %d", len(rows), len(read))
	}
	for _, r := range rows {
		if !read[r.ID] {
			t.Fatalf("%s is missing from the first pass", r.ID)
		}
	}
}

// Item 5: __next links with every name and value percent-encoded are
// followed, and one saved mid-pass resumes.
func TestClientFollowsEncodedNextLinks(t *testing.T) {
	e := newEnv(t, exactsim.Options{EncodeNextLinks: true}, "", 100, 2500)
	e.login()
	c := e.client()
	pages, nexts, err := readContacts(t, c, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 || !strings.Contains(nexts[0], "%24skiptoken=") || !strings.Contains(nexts[0], "%24select=ID%2C") {
		t.Fatalf("%d pages, first link %s", len(pages), nexts[0])
	}
	resumed, _, err := readContacts(t, e.client(), 0, nexts[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(resumed) != 2 || len(resumed[0]) != 1000 || len(resumed[1]) != 500 || resumed[0][0].ID != pages[1][0].ID {
		t.Fatalf("resuming at an encoded link read %d pages", len(resumed))
	}
	divs, err := c.Divisions(context.Background(), testDivision)
	if err != nil || len(divs) != 2 {
		t.Fatalf("divisions: %v, %v", divs, err)
	}
}

// Item 6: escaped dates read as the plain ones; an HTML page on a 5xx is
// retried, and when it persists the error names the status, not the page.
func TestClientEscapedDatesAndHTMLErrorPages(t *testing.T) {
	plain := newEnv(t, exactsim.Options{}, "", 30, 0)
	escaped := newEnv(t, exactsim.Options{EscapeDateSlashes: true}, "", 30, 0)
	read := func(e *env) map[string]time.Time {
		e.login()
		out := map[string]time.Time{}
		if err := e.client().SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error {
			for _, a := range rows {
				out[a.ID] = a.Modified
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := read(plain), read(escaped)
	if len(a) != 30 || len(b) != 30 {
		t.Fatalf("%d and %d accounts", len(a), len(b))
	}
	for id, m := range a {
		if m.IsZero() || !b[id].Equal(m) {
			t.Fatalf("account %s: Modified %v plain, %v escaped", id, m, b[id])
		}
	}

	e := newEnv(t, exactsim.Options{}, "", 30, 0)
	e.login()
	c := e.client()
	e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 502, Count: 1, Path: "sync/CRM/Accounts"})
	n := 0
	if err := c.SyncAccounts(context.Background(), testDivision, 0, "", func(rows []Account, _ string) error { n += len(rows); return nil }); err != nil || n != 30 {
		t.Fatalf("after one 502 page: %d rows, %v", n, err)
	}
	e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Path: "sync/CRM/Accounts"})
	err := c.SyncAccounts(context.Background(), testDivision, 0, "", func([]Account, string) error { return nil })
	re := wantCode(t, err, roger.EUNAVAILABLE)
	if !strings.Contains(re.Message, "HTTP 503") || strings.Contains(re.Message, "<") || strings.Contains(re.Message, "html") {
		t.Fatalf("message %q: want the status and no HTML", re.Message)
	}
}

// Item 6 at the token endpoint: an HTML 503 from the front end is a
// transient refusal, told by its status, never by the page.
func TestExchangeHTMLErrorPage(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 1, 0)
	code := e.code()
	e.fault(exactsim.Fault{Kind: exactsim.FaultStatus, Status: 503, Count: 1, Path: "/api/oauth2/token"})
	_, err := Exchange(context.Background(), e.cfg, code)
	re := wantCode(t, err, roger.EUNAVAILABLE)
	if !strings.Contains(re.Message, "HTTP 503") || strings.Contains(re.Message, "<") {
		t.Fatalf("message %q: want the status and no HTML", re.Message)
	}
	if _, err := Exchange(context.Background(), e.cfg, code); err != nil {
		t.Fatalf("the code is still good after the front end failed: %v", err)
	}
}

// Item 8: a code and refresh tokens with '!' pass through the redirect's
// %21, the exchange and a refresh; Me's UserName is an e-mail address.
func TestClientTokenShapes(t *testing.T) {
	e := newEnv(t, exactsim.Options{}, "", 1, 0)
	loc, err := exactsim.Consent(context.Background(), nil, AuthCodeURL(e.cfg, "st", false), testUser, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	if !strings.Contains(code, "!IAAAA") || !strings.Contains(loc.RawQuery, "%21IAAAA") {
		t.Fatalf("redirect %s: want a code with ! sent as %%21", loc)
	}
	tok, err := Exchange(context.Background(), e.cfg, code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tok.RefreshToken, "!IAAAA") {
		t.Fatalf("refresh token %q", tok.RefreshToken)
	}
	e.store.set(tok)
	e.clk.Advance(10 * time.Minute)
	c := e.client()
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if now := e.store.current(); now.RefreshToken == tok.RefreshToken || !strings.Contains(now.RefreshToken, "!IAAAA") {
		t.Fatalf("the refresh did not rotate to a token of the same shape: %q", now.RefreshToken)
	}
	if _, err := mail.ParseAddress(me.UserName); err != nil || !strings.Contains(me.UserName, "@") {
		t.Fatalf("Me.UserName %q: %v", me.UserName, err)
	}
	e.noSecrets(strings.Join(e.store.eventList(), " "), code)
}
