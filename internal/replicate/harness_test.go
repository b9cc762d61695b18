package replicate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/phone"
	"github.com/roger365io/roger/internal/replicators"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

// The sync engine is tested end to end: the Exact Online simulator behind a
// real HTTP server, the real Exact client, the real store on a temporary
// SQLite file, and replicators authorized through the real OAuth flow
// (login and consent over HTTP, code exchange, sealed token). Unless a test
// needs the wall clock, one fake clock drives the simulator, the store and
// the Syncer, whose Sleep moves that clock instead of waiting, so rate-limit
// waits, token expiry and the six-hour division check take no real time.
//
// Every test compares the directory with the simulator's own data, read
// over the simulator's REST API by a separate app (its own token chain and
// its own rate-limit budget, so the check never disturbs the replicator).

const (
	testDivision = 123456
	testUser     = "anna"
	testPassword = "geheim"
)

// testStart is a summer afternoon, 14:24 UTC.
var testStart = time.Date(2026, 6, 25, 14, 24, 0, 0, time.UTC)

func redirectURL(id int64) string {
	return "https://roger.example.com/oauth/exact/" + strconv.FormatInt(id, 10) + "/callback"
}

const checkerRedirect = "https://checker.example.com/callback"

// envOptions configures newEnv.
type envOptions struct {
	sim exactsim.Options
	// realClock runs everything on the wall clock (the kill test's child
	// processes cannot share a fake one).
	realClock bool
	// divisions the test user can open; default testDivision.
	divisions []int
	// dsn of the store; default a SQLite file in a temporary directory.
	dsn string
}

// env is one simulator with its server, a store, a Syncer, and the checker
// app that reads the source for comparisons.
type env struct {
	t      *testing.T
	sim    *exactsim.Simulator
	srv    *httptest.Server
	clk    *clock.Fake // nil with realClock
	clock  roger.Clock
	dsn    string
	keys   *secret.Keyring
	key    secret.Key
	store  *sqlstore.Store
	org    *roger.Organization
	syncer *Syncer
	sleeps *clock.Sleeper

	checkerApp *exactsim.App
	checkerMu  sync.Mutex
	checkerTok string
	checkerExp time.Time
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t}
	if o.realClock {
		e.clock = clock.System{}
	} else {
		e.clk = clock.NewFake(testStart)
		e.clock = e.clk
	}
	o.sim.Clock = e.clock
	if o.sim.Seed == 0 {
		o.sim.Seed = 7
	}
	e.sim = exactsim.New(o.sim)
	if len(o.divisions) == 0 {
		o.divisions = []int{testDivision}
	}
	if _, err := e.sim.AddUser(testUser, testPassword, o.divisions...); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.sim.Handler())
	t.Cleanup(func() { e.srv.Close(); e.sim.Close() })
	app, err := e.sim.RegisterApp("directory checker", checkerRedirect, "", "")
	if err != nil {
		t.Fatal(err)
	}
	e.checkerApp = app

	e.key, err = secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if e.keys, err = secret.NewKeyring(e.key); err != nil {
		t.Fatal(err)
	}
	e.dsn = o.dsn
	if e.dsn == "" {
		e.dsn = filepath.Join(t.TempDir(), "roger.db")
	}
	e.store = e.openStore()
	e.org = &roger.Organization{Name: "Voorbeeld B.V.", DefaultCountry: "NL"}
	if err := e.store.CreateOrganization(context.Background(), e.org); err != nil {
		t.Fatal(err)
	}
	e.syncer = e.newSyncer(e.store)
	return e
}

// openStore opens (another) store on the env's database.
func (e *env) openStore() *sqlstore.Store {
	e.t.Helper()
	s, err := sqlstore.Open(context.Background(), e.dsn, sqlstore.Options{Sealer: e.keys, Clock: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

// newSyncer returns a Syncer on st as production builds one; on a fake
// clock its Sleep moves the clock.
func (e *env) newSyncer(st Store) *Syncer {
	s := &Syncer{Store: st, Reports: &replicators.Service{Store: e.store, Clock: e.clock}, Budgets: exact.NewBudgetRegistry(e.clock),
		HTTPClient: &http.Client{Timeout: 30 * time.Second}, Clock: e.clock, RedirectURL: redirectURL}
	if e.clk != nil {
		e.sleeps = &clock.Sleeper{Clock: e.clk}
		s.Sleep = e.sleeps.Sleep
	}
	return s
}

// sleepTotal counts the waits the Syncer asked for and adds them up.
func sleepTotal(s *clock.Sleeper) (n int, d time.Duration) {
	all := s.Slept()
	for _, x := range all {
		d += x
	}
	return len(all), d
}

// seed fills a division with generated accounts and contacts.
func (e *env) seed(division, accounts, contacts int) {
	e.sim.Seed(division, accounts, contacts)
}

// randomGUID returns a new lower-case GUID, as the App Center gives out
// for a Client ID.
func randomGUID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// replicatorOptions configures addReplicator.
type replicatorOptions struct {
	entity   roger.Entity
	division int
	interval time.Duration
	country  string
}

// addReplicator registers an app in the simulator's App Center, creates a
// replicator for it with its client secret, and authorizes it through the
// real flow, as an admin does in the portal.
func (e *env) addReplicator(o replicatorOptions) *roger.Replicator {
	e.t.Helper()
	ctx := context.Background()
	if o.entity == "" {
		o.entity = roger.Contacts
	}
	if o.division == 0 {
		o.division = testDivision
	}
	if o.interval == 0 {
		o.interval = 5 * time.Minute
	}
	if o.country == "" {
		o.country = "NL"
	}
	r := &roger.Replicator{OrgID: e.org.ID, Name: "Exact " + string(o.entity) + " " + strconv.Itoa(o.division), Source: roger.SourceExactOnline,
		Entity: o.entity, ExactURL: e.srv.URL, Division: o.division, ClientID: randomGUID(e.t),
		ContactURL:     e.srv.URL + "/docs/CRMAccountCard.aspx?_Division_={Division}&AccountID={CompanyId}",
		DefaultCountry: o.country, Interval: o.interval, State: roger.StateAwaitingAuthorization}
	if err := e.store.CreateReplicator(ctx, r); err != nil {
		e.t.Fatal(err)
	}
	app, err := e.sim.RegisterApp(r.Name, redirectURL(r.ID), r.ClientID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.SaveClientSecret(ctx, r.ID, app.Secret); err != nil {
		e.t.Fatal(err)
	}
	e.authorize(r.ID)
	return e.replicator(r.ID)
}

// authorize walks "Authorize application" as the portal and its callback
// do: a single-use state, Exact's login and consent in a browser, the
// state taken back, the code exchanged and the token stored sealed.
func (e *env) authorize(id int64) {
	e.t.Helper()
	ctx := context.Background()
	r := e.replicator(id)
	secretText, err := e.store.ClientSecret(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := exact.Config{BaseURL: r.ExactURL, ClientID: r.ClientID, ClientSecret: secretText, RedirectURL: redirectURL(id), Clock: e.clock}
	state, err := e.store.CreateOAuthState(ctx, id, "", 30*time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	q := e.consent(exact.AuthCodeURL(cfg, state, false))
	rid, _, err := e.store.ConsumeOAuthState(ctx, q.Get("state"))
	if err != nil || rid != id {
		e.t.Fatalf("the state came back for replicator %d (%v), want %d", rid, err, id)
	}
	tok, err := exact.Exchange(ctx, cfg, q.Get("code"))
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	if err := e.store.SaveToken(ctx, id, tok); err != nil {
		e.t.Fatal(err)
	}
	r.State, r.StateMessage, r.NextSyncAt = roger.StateActive, "", e.clock.Now()
	if err := e.store.UpdateReplicator(ctx, r); err != nil {
		e.t.Fatal(err)
	}
}

// consent signs in on Exact's login page and allows access, and returns
// the query Exact redirects back with (code and state).
func (e *env) consent(authURL string) url.Values {
	e.t.Helper()
	loc, err := exactsim.Consent(context.Background(), &http.Client{Timeout: 10 * time.Second}, authURL, testUser, testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	if loc.Query().Get("code") == "" {
		e.t.Fatalf("redirect without code: %s", loc)
	}
	return loc.Query()
}

func (e *env) replicator(id int64) *roger.Replicator {
	e.t.Helper()
	r, err := e.store.FindReplicatorByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// sync runs one synchronisation and fails the test if it fails.
func (e *env) sync(id int64) *roger.SyncRun {
	e.t.Helper()
	// A sync reading in circles must fail the test, not hang it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := e.syncer.Sync(ctx, id, roger.TriggerManual)
	if err != nil {
		e.t.Fatalf("sync of replicator %d failed: %v", id, err)
	}
	if run.Outcome != roger.OutcomeOK {
		e.t.Fatalf("sync of replicator %d: outcome %q", id, run.Outcome)
	}
	return run
}

func (e *env) mutate(division int, m exactsim.Mutation) exactsim.MutationResult {
	e.t.Helper()
	res, err := e.sim.Mutate(division, m)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func (e *env) fault(f exactsim.Fault) exactsim.Fault {
	e.t.Helper()
	armed, err := e.sim.AddFault(f)
	if err != nil {
		e.t.Fatal(err)
	}
	return armed
}

func (e *env) storedToken(id int64) *roger.Token {
	e.t.Helper()
	tok, err := e.store.TokenStore(id).LoadToken(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func mustGUID(t *testing.T, s string) crm.GUID {
	t.Helper()
	g, err := crm.ParseGUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func lastRun(t *testing.T, st *sqlstore.Store, id int64) *roger.SyncRun {
	t.Helper()
	runs, err := st.ListSyncRuns(context.Background(), id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		t.Fatalf("replicator %d has no runs", id)
	}
	return runs[0]
}

// ---- the source, read over the simulator's REST API ----

// sourceRecord is an Exact record as the directory must show it.
type sourceRecord struct {
	ID          string // lower case
	Kind        roger.Kind
	Name        string
	CompanyID   string
	CompanyName string
	Email       string
	JobTitle    string
	// Phones are the distinct non-blank phone fields as written.
	Phones    []string
	Timestamp int64
}

const (
	checkerContactFields = "ID,Account,AccountName,FullName,Email,JobTitleDescription,Phone,Mobile,BusinessPhone,BusinessMobile,BusinessFax,Timestamp"
	checkerAccountFields = "ID,Name,Email,Phone,Fax,Timestamp"
)

// checkerToken returns an access token of the checker app, authorizing it
// again when the last one has expired (by the simulator's clock).
func (e *env) checkerToken() string {
	e.t.Helper()
	e.checkerMu.Lock()
	defer e.checkerMu.Unlock()
	if e.checkerTok != "" && e.clock.Now().Add(time.Minute).Before(e.checkerExp) {
		return e.checkerTok
	}
	v := url.Values{"client_id": {e.checkerApp.ClientID.String()}, "redirect_uri": {checkerRedirect}, "response_type": {"code"}, "state": {"check"}}
	q := e.consent(e.srv.URL + "/api/oauth2/auth?" + v.Encode())
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {checkerRedirect},
		"client_id": {e.checkerApp.ClientID.String()}, "client_secret": {e.checkerApp.Secret}}
	resp, err := http.PostForm(e.srv.URL+"/api/oauth2/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   string `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		e.t.Fatalf("checker token: %d %v", resp.StatusCode, err)
	}
	secs, _ := strconv.Atoi(tok.ExpiresIn)
	e.checkerTok, e.checkerExp = tok.AccessToken, e.clock.Now().Add(time.Duration(secs)*time.Second)
	return e.checkerTok
}

// source reads every record of one entity of a division from the
// simulator's sync endpoint, page by page, with its own decoding: the
// comparison must not share the Exact client's.
func (e *env) source(division int, entity roger.Entity) map[string]sourceRecord {
	e.t.Helper()
	set, fields := "Contacts", checkerContactFields
	if entity == roger.Accounts {
		set, fields = "Accounts", checkerAccountFields
	}
	out := map[string]sourceRecord{}
	link := fmt.Sprintf("%s/api/v1/%d/sync/CRM/%s?$select=%s&$filter=Timestamp%%20gt%%200L", e.srv.URL, division, set, fields)
	for throttled := 0; link != ""; {
		req, err := http.NewRequest("GET", link, nil)
		if err != nil {
			e.t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.checkerToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			e.t.Fatal(err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && e.clk != nil && throttled < 3 {
			// The checker's own minutely budget: wait for the next minute.
			throttled++
			e.clk.Advance(61 * time.Second)
			continue
		}
		if resp.StatusCode != 200 {
			e.t.Fatalf("checker: GET %s: %d %.300s", link, resp.StatusCode, body)
		}
		throttled = 0
		var page struct {
			D struct {
				Results []map[string]any `json:"results"`
				Next    string           `json:"__next"`
			} `json:"d"`
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&page); err != nil {
			e.t.Fatalf("checker: %v: %.300s", err, body)
		}
		for _, row := range page.D.Results {
			rec := sourceRecord{ID: strings.ToLower(str(row["ID"])), Email: str(row["Email"])}
			ts, err := strconv.ParseInt(strings.TrimSuffix(str(row["Timestamp"]), "L"), 10, 64)
			if err != nil {
				e.t.Fatalf("checker: Timestamp %v: %v", row["Timestamp"], err)
			}
			rec.Timestamp = ts
			var phones []string
			if entity == roger.Accounts {
				rec.Kind, rec.Name, rec.CompanyID, rec.CompanyName = roger.KindAccount, str(row["Name"]), rec.ID, str(row["Name"])
				phones = []string{str(row["Phone"]), str(row["Fax"])}
			} else {
				rec.Kind, rec.Name, rec.CompanyID, rec.CompanyName = roger.KindContact, str(row["FullName"]), strings.ToLower(str(row["Account"])), str(row["AccountName"])
				rec.JobTitle = str(row["JobTitleDescription"])
				phones = []string{str(row["Phone"]), str(row["Mobile"]), str(row["BusinessPhone"]), str(row["BusinessMobile"]), str(row["BusinessFax"])}
			}
			rec.Phones = distinctNumberFields(phones)
			if _, dup := out[rec.ID]; dup {
				e.t.Fatalf("checker: the source returned %s twice", rec.ID)
			}
			out[rec.ID] = rec
		}
		link = page.D.Next
	}
	return out
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// distinctNumberFields lists the phone fields that hold a number (valid or
// not) once each: blank fields and placeholders such as "n.v.t." hold
// none, by the rule of phone.ParseNumber, and never reach the directory.
func distinctNumberFields(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if _, ok := phone.ParseNumber(s, "Phone", "", ""); !ok || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// entries returns a replicator's part of the directory.
func entries(t *testing.T, st *sqlstore.Store, orgID, id int64) []*roger.Entry {
	t.Helper()
	var out []*roger.Entry
	err := st.ForEachEntry(context.Background(), roger.EntryFilter{OrgID: orgID, ReplicatorID: id}, func(e *roger.Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffEntry lists how an entry differs from its source record.
func diffEntry(e *roger.Entry, s sourceRecord) []string {
	var d []string
	cmp := func(what, got, want string) {
		if got != want {
			d = append(d, fmt.Sprintf("%s %q, source %q", what, got, want))
		}
	}
	cmp("kind", string(e.Kind), string(s.Kind))
	cmp("name", e.DisplayName, s.Name)
	cmp("company id", e.CompanyID, s.CompanyID)
	cmp("company name", e.CompanyName, s.CompanyName)
	cmp("email", e.Email, s.Email)
	cmp("job title", e.JobTitle, s.JobTitle)
	if e.SourceTimestamp != s.Timestamp {
		d = append(d, fmt.Sprintf("timestamp %d, source %d", e.SourceTimestamp, s.Timestamp))
	}
	var raws []string
	for _, n := range e.Numbers {
		raws = append(raws, n.Raw)
		switch {
		case n.Status == roger.NumberOK && n.E164 == "":
			d = append(d, fmt.Sprintf("number %q is ok without E.164", n.Raw))
		case n.Status == roger.NumberInvalid && n.Reason == "":
			d = append(d, fmt.Sprintf("number %q is invalid without a reason", n.Raw))
		case n.Status != roger.NumberOK && n.Status != roger.NumberInvalid:
			d = append(d, fmt.Sprintf("number %q has status %q", n.Raw, n.Status))
		}
	}
	if got := distinctNumberFields(raws); !reflect.DeepEqual(got, s.Phones) && !(len(got) == 0 && len(s.Phones) == 0) {
		d = append(d, fmt.Sprintf("numbers %q, source %q", got, s.Phones))
	}
	return d
}

// compareDirectory lists every difference between a replicator's entries
// and its source: missing, extra or duplicated records and changed fields.
func compareDirectory(t *testing.T, got []*roger.Entry, src map[string]sourceRecord, ignoreTimestamps bool) []string {
	t.Helper()
	var diffs []string
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e.SourceID] {
			diffs = append(diffs, "duplicate entry "+e.SourceID)
			continue
		}
		seen[e.SourceID] = true
		s, ok := src[e.SourceID]
		if !ok {
			diffs = append(diffs, "entry "+e.SourceID+" ("+e.DisplayName+") is not in the source")
			continue
		}
		for _, d := range diffEntry(e, s) {
			if ignoreTimestamps && strings.HasPrefix(d, "timestamp ") {
				continue
			}
			diffs = append(diffs, e.SourceID+": "+d)
		}
	}
	for id, s := range src {
		if !seen[id] {
			diffs = append(diffs, "source record "+id+" ("+s.Name+") is missing from the directory")
		}
	}
	sort.Strings(diffs)
	return diffs
}

// assertEqual fails the test unless replicator r's directory equals its
// source, and returns the number of entries.
func (e *env) assertEqual(r *roger.Replicator) int {
	e.t.Helper()
	return assertEqualOn(e.t, e, e.store, r, false)
}

// assertSameRecords is assertEqual without comparing Exact's Timestamps:
// the same records with the same names, companies and numbers.
func (e *env) assertSameRecords(r *roger.Replicator) int {
	e.t.Helper()
	return assertEqualOn(e.t, e, e.store, r, true)
}

func assertEqualOn(t *testing.T, e *env, st *sqlstore.Store, r *roger.Replicator, ignoreTimestamps bool) int {
	t.Helper()
	src := e.source(r.Division, r.Entity)
	got := entries(t, st, r.OrgID, r.ID)
	if diffs := compareDirectory(t, got, src, ignoreTimestamps); len(diffs) > 0 {
		if len(diffs) > 10 {
			diffs = append(diffs[:10], fmt.Sprintf("… and %d more", len(diffs)-10))
		}
		t.Fatalf("replicator %d: the directory (%d entries) differs from the source (%d records):\n  %s",
			r.ID, len(got), len(src), strings.Join(diffs, "\n  "))
	}
	if len(src) == 0 {
		t.Fatalf("replicator %d: the source is empty, the comparison proves nothing", r.ID)
	}
	return len(got)
}

// snapshot is a replicator's entries and sync position, to prove that a
// failed run changed nothing.
type snapshot struct {
	Entries               []*roger.Entry
	Cursor, DeletedCursor int64
	ResumeURL             string
	FullSync              bool
	Pass                  int64
}

func (e *env) snapshot(id int64) snapshot {
	e.t.Helper()
	r := e.replicator(id)
	return snapshot{Entries: entries(e.t, e.store, r.OrgID, id), Cursor: r.Cursor, DeletedCursor: r.DeletedCursor, ResumeURL: r.ResumeURL,
		FullSync: r.FullSync, Pass: r.Pass}
}

func (e *env) assertUnchanged(id int64, before snapshot) {
	e.t.Helper()
	after := e.snapshot(id)
	if after.Cursor != before.Cursor || after.DeletedCursor != before.DeletedCursor || after.ResumeURL != before.ResumeURL ||
		after.FullSync != before.FullSync || after.Pass != before.Pass {
		e.t.Fatalf("the sync position moved: before cursor %d/%d resume %q full %v pass %d, after %d/%d %q %v %d",
			before.Cursor, before.DeletedCursor, before.ResumeURL, before.FullSync, before.Pass,
			after.Cursor, after.DeletedCursor, after.ResumeURL, after.FullSync, after.Pass)
	}
	if len(after.Entries) != len(before.Entries) {
		e.t.Fatalf("the directory changed: %d entries before, %d after", len(before.Entries), len(after.Entries))
	}
	for i := range before.Entries {
		if !reflect.DeepEqual(before.Entries[i], after.Entries[i]) {
			e.t.Fatalf("entry %s changed:\nbefore %+v\nafter  %+v", before.Entries[i].SourceID, before.Entries[i], after.Entries[i])
		}
	}
}

// fullLoadCalls is what a full load of n records costs when nothing goes
// wrong: one system/Divisions call (the division check), one $count of
// the records (the portal's progress bar), one sync/CRM call per started
// 1000 records (at least one), and one sync/Deleted call.
func fullLoadCalls(n int) int {
	return 1 + 1 + max(1, (n+999)/1000) + 1
}
