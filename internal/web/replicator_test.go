package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exactsim"
)

const clientA = "11111111-2222-3333-4444-555555555555"

func TestCreateReplicator(t *testing.T) {
	p := newPortal(t)
	b := p.admin("Alpha")
	if pg := b.get("/replicators/new"); pg.status != http.StatusOK || !strings.Contains(pg.body, "start.exactonline.be") {
		t.Fatalf("form: %d", pg.status)
	}
	pg := b.post("/replicators", url.Values{"name": {""}, "entity": {"people"}, "exact_url": {"https://evil.example"}})
	for _, want := range []string{"Give the replicator a name", "Choose accounts or contacts", "Choose the Exact Online country"} {
		if !strings.Contains(pg.text(), want) {
			t.Errorf("refusal lacks %q", want)
		}
	}
	if pg.status != http.StatusBadRequest {
		t.Fatalf("bad input: %d", pg.status)
	}
	pg = b.post("/replicators", url.Values{"name": {"Exact accounts"}, "entity": {"accounts"}, "exact_url": {"https://start.exactonline.be"}})
	if pg.status != http.StatusSeeOther || !strings.HasSuffix(pg.location, "?done=created") {
		t.Fatalf("create: %d %q", pg.status, pg.location)
	}
	show := b.get(strings.TrimSuffix(pg.location, "?done=created"))
	id := strings.TrimPrefix(strings.TrimSuffix(pg.location, "?done=created"), "/replicators/")
	for _, want := range []string{p.srv.URL + "/oauth/exact/" + id + "/callback", "ROGER365.io – accounts", "data-copy=\"redirect-url\"", "Save the Client ID and Client Secret first"} {
		if !strings.Contains(show.body, want) {
			t.Errorf("new replicator page lacks %q", want)
		}
	}
	rep, _ := p.store.FindReplicator(context.Background(), p.orgA.ID, mustID(t, id))
	if rep.State != roger.StateDraft || rep.ExactURL != "https://start.exactonline.be" || rep.Entity != roger.Accounts {
		t.Fatalf("stored: %+v", rep)
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("%q is not an id", s)
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

func TestCredentialsAreWriteOnlyAndUnique(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	a := p.admin("Alpha")
	path := "/replicators/" + itoa(p.repA.ID)
	const secretValue = "Sup3rSecretValue-4f2a"
	form := func(id, secret string) url.Values {
		return url.Values{"exact_url": {"https://start.exactonline.nl"}, "client_id": {id}, "client_secret": {secret}}
	}
	for name, c := range map[string]struct {
		form url.Values
		want string
	}{
		"no client id":    {form("", secretValue), "Paste the Client ID"},
		"not a GUID":      {form("my-app", secretValue), "A Client ID looks like"},
		"no secret":       {form(clientA, ""), "Paste the Client Secret"},
		"secret w/ space": {form(clientA, "abc def"), "has no spaces"},
		"unknown host":    {url.Values{"exact_url": {"https://evil.example"}, "client_id": {clientA}, "client_secret": {secretValue}}, "Choose the Exact Online country"},
	} {
		t.Run(name, func(t *testing.T) {
			pg := a.post(path+"/credentials", c.form)
			if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), c.want) {
				t.Fatalf("%d, want 400 with %q:\n%s", pg.status, c.want, pg.text())
			}
			if r, _ := p.store.FindReplicatorByID(ctx, p.repA.ID); r.ClientID != "" || r.ClientSecretHint != "" {
				t.Fatal("a refused form stored something")
			}
		})
	}
	pg := a.post(path+"/credentials", form("{"+strings.ToUpper(clientA)+"}", secretValue))
	if pg.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", pg.status, pg.text())
	}
	show := a.get(path)
	if strings.Contains(show.body, secretValue) {
		t.Fatal("the page shows the Client Secret")
	}
	if !strings.Contains(show.body, "set, ending in …4f2a") || !strings.Contains(show.body, "authorize-button") {
		t.Fatal("the page does not say the secret is set, or has no Authorize button")
	}
	rep, _ := p.store.FindReplicatorByID(ctx, p.repA.ID)
	if rep.ClientID != clientA || rep.State != roger.StateAwaitingAuthorization {
		t.Fatalf("stored: %q %s", rep.ClientID, rep.State)
	}
	// An empty secret keeps the stored one.
	if pg := a.post(path+"/credentials", form(clientA, "")); pg.status != http.StatusSeeOther {
		t.Fatalf("save without a new secret: %d %s", pg.status, pg.text())
	}
	if got, _ := p.store.ClientSecret(ctx, p.repA.ID); got != secretValue {
		t.Fatal("saving without a secret lost the stored one")
	}

	// The same app for a second replicator of the same organisation:
	// refused, naming the replicator that has it.
	second := &roger.Replicator{OrgID: p.orgA.ID, Name: "Alpha accounts", Source: roger.SourceExactOnline, Entity: roger.Accounts,
		ExactURL: "https://start.exactonline.nl", Interval: 5 * time.Minute, State: roger.StateDraft}
	if err := p.store.CreateReplicator(ctx, second); err != nil {
		t.Fatal(err)
	}
	pg = a.post("/replicators/"+itoa(second.ID)+"/credentials", form(clientA, "other"))
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "already used by replicator “Alpha contacts”") || !strings.Contains(pg.text(), "register another app") {
		t.Fatalf("duplicate in the organisation: %d %s", pg.status, pg.text())
	}
	// In another organisation: refused without naming it.
	pg = p.admin("Beta").post("/replicators/"+itoa(p.repB.ID)+"/credentials", form(clientA, "other"))
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "another organisation") || strings.Contains(pg.text(), "Alpha") {
		t.Fatalf("duplicate in another organisation: %d %s", pg.status, pg.text())
	}

	// Neither the audit log nor its page holds the secret.
	events, _ := p.store.ListAudit(ctx, p.orgA.ID, 50)
	for _, e := range events {
		if strings.Contains(e.Detail+e.Target, secretValue) {
			t.Fatalf("audit event holds the secret: %+v", e)
		}
	}
	if audit := a.get("/audit"); !strings.Contains(audit.body, "replicator.credentials") || strings.Contains(audit.body, secretValue) {
		t.Fatal("audit page: missing the change, or showing the secret")
	}
}

// authorize registers an app for rep in the simulator, saves its
// credentials and walks Exact's consent to roger's callback, as an admin
// would: afterwards rep holds a real token for divisions 123456 and 234567.
func (p *portal) authorize(rep *roger.Replicator) {
	p.t.Helper()
	ctx := context.Background()
	app, err := p.sim.RegisterApp("ROGER365.io – "+string(rep.Entity), p.site.RedirectURL(rep.ID), "", "")
	if err != nil {
		p.t.Fatal(err)
	}
	rep.ClientID, rep.ExactURL, rep.State = app.ClientID.String(), p.simSrv.URL, roger.StateAwaitingAuthorization
	if err := p.store.UpdateReplicator(ctx, rep); err != nil {
		p.t.Fatal(err)
	}
	if err := p.store.SaveClientSecret(ctx, rep.ID, app.Secret); err != nil {
		p.t.Fatal(err)
	}
	state, _ := p.store.CreateOAuthState(ctx, rep.ID, "", time.Minute)
	authorize := p.simSrv.URL + "/api/oauth2/auth?" + url.Values{"client_id": {rep.ClientID}, "response_type": {"code"}, "state": {state},
		"redirect_uri": {p.site.RedirectURL(rep.ID)}}.Encode()
	loc, err := exactsim.Consent(ctx, nil, authorize, "demo", "demo")
	if err != nil {
		p.t.Fatal(err)
	}
	if pg := p.browser().get(strings.TrimPrefix(loc.String(), p.srv.URL)); !strings.Contains(pg.body, "Authorized") {
		p.t.Fatalf("callback: %d %s", pg.status, pg.text())
	}
	*rep = *must(p.store.FindReplicatorByID(ctx, rep.ID))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAuthorizeBindsTheStateToTheSession(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	path := "/replicators/" + itoa(p.repA.ID)
	if pg := a.post(path+"/authorize", nil); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "Save the app's Client ID and Client Secret first") {
		t.Fatalf("authorize without credentials: %d %s", pg.status, pg.text())
	}
	a.post(path+"/credentials", url.Values{"exact_url": {"http://127.0.0.1:1"}, "client_id": {clientA}, "client_secret": {"s"}})
	pg := a.post(path+"/authorize", nil)
	u, err := url.Parse(pg.location)
	if pg.status != http.StatusSeeOther || err != nil || u.Host != "127.0.0.1:1" || u.Path != "/api/oauth2/auth" {
		t.Fatalf("authorize: %d %q", pg.status, pg.location)
	}
	q := u.Query()
	if q.Get("client_id") != clientA || q.Get("redirect_uri") != p.srv.URL+"/oauth/exact/"+itoa(p.repA.ID)+"/callback" || q.Get("response_type") != "code" {
		t.Fatalf("authorize URL %s", u)
	}
	if strings.Contains(pg.location, "secret") {
		t.Fatal("the authorize URL carries the secret")
	}
	rid, session, err := p.store.ConsumeOAuthState(context.Background(), q.Get("state"))
	if err != nil || rid != p.repA.ID || session != hashToken(a.cookie().Value) {
		t.Fatalf("state: replicator %d, session %q, %v", rid, session, err)
	}
	// The page allows the form to go to this Exact host only.
	if csp := a.get(path).header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:1;") {
		t.Fatalf("CSP %q", csp)
	}
}

func TestAuthorizeInThePopupOfTheSameSession(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	a := p.admin("Alpha")
	path := "/replicators/" + itoa(p.repA.ID)
	app, err := p.sim.RegisterApp("ROGER365.io – contacts", p.site.RedirectURL(p.repA.ID), "", "")
	if err != nil {
		t.Fatal(err)
	}
	p.site.ExactHosts = append(p.site.ExactHosts, ExactHost{URL: p.simSrv.URL, Label: "test simulator"})
	if pg := a.post(path+"/credentials", url.Values{"exact_url": {p.simSrv.URL}, "client_id": {app.ClientID.String()}, "client_secret": {app.Secret}}); pg.status != http.StatusSeeOther {
		t.Fatalf("credentials: %d %s", pg.status, pg.text())
	}
	consent := func() string {
		pg := a.post(path+"/authorize", nil)
		loc, err := exactsim.Consent(ctx, nil, pg.location, "demo", "demo")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(loc.String(), p.srv.URL)
	}
	// Another browser (no session, or another admin's) cannot finish it.
	if pg := p.browser().get(consent()); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "another browser session") {
		t.Fatalf("callback in another browser: %d %s", pg.status, pg.text())
	}
	pg := a.get(consent())
	if pg.status != http.StatusOK || !strings.Contains(pg.text(), "Authorized. You can close this window.") || !strings.Contains(pg.body, `data-popup-replicator="`+itoa(p.repA.ID)+`"`) {
		t.Fatalf("callback: %d %s", pg.status, pg.text())
	}
	events, _ := p.store.ListAudit(ctx, p.orgA.ID, 10)
	found := false
	for _, e := range events {
		if e.Action == "replicator.authorize" && e.Actor == "alpha@example.nl" && strings.Contains(e.Detail, "division 123456") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the authorization is not in the audit log under the admin: %+v", events)
	}
	if show := a.get(path); !strings.Contains(show.body, `id="authorized"`) {
		t.Fatal("the replicator page does not show it as authorized")
	}
}

func TestReauthorizationBanner(t *testing.T) {
	p := newPortal(t)
	p.authorize(p.repA)
	if err := p.store.SetState(context.Background(), p.repA.ID, roger.StateNeedsReauthorization, "Exact Online no longer accepts roger's access: another integration used the same app."); err != nil {
		t.Fatal(err)
	}
	a := p.admin("Alpha")
	pg := a.get("/replicators/" + itoa(p.repA.ID))
	if !strings.Contains(pg.body, `id="reauthorize-banner"`) || !strings.Contains(pg.text(), "another integration used the same app") ||
		!strings.Contains(pg.body, `action="/replicators/`+itoa(p.repA.ID)+`/authorize"`) {
		t.Fatalf("no re-authorization banner with its button:\n%s", pg.text())
	}
	if list := a.get("/replicators"); !strings.Contains(list.text(), "needs re-authorization") {
		t.Fatal("the list does not show the state")
	}
}

func TestSettingsRefuseWhatCannotWork(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	p.authorize(p.repA)
	a := p.admin("Alpha")
	path := "/replicators/" + itoa(p.repA.ID)
	good := p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"
	for name, c := range map[string]struct {
		contactURL, country, interval, want string
	}{
		"unknown placeholder": {"https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID={AccountId}&_Division_=1", "NL", "5", "{AccountId} is not a placeholder"},
		"no scheme":           {"start.exactonline.nl/docs/x?_ID={SourceId}&_Division_=1", "NL", "5", "must start with https://"},
		"no access":           {strings.Replace(good, "123456", "999999", 1), "NL", "5", "cannot open division 999999. Divisions they can open: 123456, 234567"},
		"unknown country":     {good, "XX", "5", "XX"},
		"interval":            {good, "NL", "0", "between once a minute and once a day"},
		"interval not number": {good, "NL", "often", "whole number"},
	} {
		t.Run(name, func(t *testing.T) {
			pg := a.post(path+"/settings", url.Values{"contact_url": {c.contactURL}, "country": {c.country}, "interval": {c.interval}})
			if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), c.want) {
				t.Fatalf("%d, want 400 with %q:\n%s", pg.status, c.want, pg.text())
			}
			if r, _ := p.store.FindReplicatorByID(ctx, p.repA.ID); r.ContactURL != "" || r.Division != 123456 || r.State != roger.StateAwaitingAuthorization {
				t.Fatal("a refused form stored something")
			}
			if !strings.Contains(pg.body, "value=\""+strings.ReplaceAll(c.contactURL, "&", "&amp;")+"\"") {
				t.Error("the refused Contact URL is not kept in the form")
			}
		})
	}
	good = strings.Replace(good, "123456", "234567", 1)
	pg := a.post(path+"/settings", url.Values{"contact_url": {good}, "country": {"+31"}, "interval": {"10"}})
	if pg.status != http.StatusSeeOther || !strings.HasSuffix(pg.location, "?done=active") {
		t.Fatalf("save: %d %q %s", pg.status, pg.location, pg.text())
	}
	r, _ := p.store.FindReplicatorByID(ctx, p.repA.ID)
	if r.State != roger.StateActive || r.Division != 234567 || r.DefaultCountry != "NL" || r.Interval != 10*time.Minute || r.ContactURL != good {
		t.Fatalf("stored: %+v", r)
	}
}

func TestSettingsRefuseALinkToAnotherExactHost(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	pg := a.post("/replicators/"+itoa(p.repA.ID)+"/settings", url.Values{"contact_url": {"https://start.exactonline.be/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=1"},
		"country": {"BE"}, "interval": {"5"}})
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "points to https://start.exactonline.be, but the replicator reads from https://start.exactonline.nl") {
		t.Fatalf("%d %s", pg.status, pg.text())
	}
	// Without _Division_= and before any authorization suggested one,
	// there is no division to read.
	pg = a.post("/replicators/"+itoa(p.repA.ID)+"/settings", url.Values{"contact_url": {"https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID={SourceId}"},
		"country": {"NL"}, "interval": {"5"}})
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "Add _Division_=") {
		t.Fatalf("%d %s", pg.status, pg.text())
	}
}

func TestSyncPauseResumeDelete(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	p.authorize(p.repA)
	woken := 0
	p.svc.Wake = func() { woken++ }
	a := p.admin("Alpha")
	path := "/replicators/" + itoa(p.repA.ID)
	p.repA.State = roger.StateAwaitingAuthorization
	p.store.UpdateReplicator(ctx, p.repA)
	if pg := a.post(path+"/sync", nil); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "save the Contact URL and Country Code") {
		t.Fatalf("sync before set-up: %d %s", pg.status, pg.text())
	}
	if pg := a.post(path+"/settings", url.Values{"contact_url": {p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=123456"}, "country": {"NL"}, "interval": {"5"}}); pg.status != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", pg.status, pg.text())
	}
	if pg := a.post(path+"/sync", nil); pg.status != http.StatusSeeOther {
		t.Fatalf("sync now: %d %s", pg.status, pg.text())
	}
	r, _ := p.store.FindReplicatorByID(ctx, p.repA.ID)
	if !r.SyncRequested || woken != 2 {
		t.Fatalf("sync now: requested %v, scheduler woken %d times", r.SyncRequested, woken)
	}
	a.post(path+"/pause", nil)
	if r, _ := p.store.FindReplicatorByID(ctx, p.repA.ID); r.State != roger.StatePaused {
		t.Fatalf("pause: %s", r.State)
	}
	if pg := a.post(path+"/sync", nil); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "resume it first") {
		t.Fatalf("sync while paused: %d", pg.status)
	}
	a.post(path+"/resume", nil)
	if r, _ := p.store.FindReplicatorByID(ctx, p.repA.ID); r.State != roger.StateActive {
		t.Fatalf("resume: %s", r.State)
	}
	// Delete wants a confirmation and says what it removes.
	if pg := a.post(path+"/delete", nil); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "Tick the box") {
		t.Fatalf("unconfirmed delete: %d", pg.status)
	}
	if !strings.Contains(a.get(path).text(), "its 0 directory entries, its sync history and its stored Exact credentials") {
		t.Fatal("the page does not say what deleting removes")
	}
	if pg := a.post(path+"/delete", url.Values{"confirm": {"yes"}}); pg.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", pg.status)
	}
	if _, err := p.store.FindReplicatorByID(ctx, p.repA.ID); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	events, _ := p.store.ListAudit(ctx, p.orgA.ID, 50)
	var actions []string
	for _, e := range events {
		if e.Actor == "alpha@example.nl" {
			actions = append(actions, e.Action)
		}
	}
	for _, want := range []string{"replicator.settings", "replicator.sync", "replicator.pause", "replicator.resume", "replicator.delete"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

func TestStatusAndContactURLCheck(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	p.authorize(p.repA)
	p.repA.Division, p.repA.ContactURL = 234567, p.simSrv.URL+"/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=234567"
	p.store.UpdateReplicator(ctx, p.repA)
	run := &roger.SyncRun{ReplicatorID: p.repA.ID, Trigger: roger.TriggerManual, Full: true, Started: p.clock.Now()}
	if err := p.store.CreateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Read, run.Created, run.APICalls = 2000, 2000, 3
	p.store.UpdateSyncRun(ctx, run)
	p.clock.Advance(4 * time.Second)
	a := p.admin("Alpha")
	var st statusJSON
	pg := a.get("/replicators/" + itoa(p.repA.ID) + "/status")
	if err := json.Unmarshal([]byte(pg.body), &st); err != nil || st.Run == nil {
		t.Fatalf("status: %s %v", pg.body, err)
	}
	if !st.Run.Running || st.Run.Read != 2000 || st.Run.PerSec != 500 || !strings.Contains(st.Run.Summary, "2000 records read") || !st.Authorized {
		t.Fatalf("status: %+v %+v", st, st.Run)
	}

	check := func(tmpl string) contactURLJSON {
		var out contactURLJSON
		pg := a.get("/replicators/" + itoa(p.repA.ID) + "/contact-url?template=" + url.QueryEscape(tmpl))
		if err := json.Unmarshal([]byte(pg.body), &out); err != nil {
			t.Fatalf("%s: %v", pg.body, err)
		}
		return out
	}
	// Before the first sync the example is a record read from Exact.
	got := check(p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456")
	if !got.OK || got.Record == "" || !strings.HasPrefix(got.Example, p.simSrv.URL+"/docs/CRMContactCard.aspx?_ID=%7b") || strings.Contains(got.Example, "{SourceId}") {
		t.Fatalf("example from Exact: %+v", got)
	}
	// It is cached: checking again as the admin types costs no call.
	before := p.sim.Summarize()
	if again := check(p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=123456"); again.Record != got.Record {
		t.Fatalf("second check: %+v", again)
	}
	if after := p.sim.Summarize(); after.Stats.APICalls != before.Stats.APICalls {
		t.Fatalf("a second check made %d Exact calls", after.Stats.APICalls-before.Stats.APICalls)
	}

	// A record in the directory renders the example link.
	page := roger.Page{ReplicatorID: p.repA.ID, OrgID: p.orgA.ID, Cursor: 1, Upserts: []roger.Entry{{Kind: roger.KindContact,
		SourceID: "0b8a1c2e-0000-4000-8000-000000000001", CompanyID: "0b8a1c2e-0000-4000-8000-0000000000aa", DisplayName: "Anna de Vries",
		SourceTimestamp: 5, Numbers: []roger.Number{{Field: "Phone", Raw: "020 123 4567", E164: "+31201234567", Status: roger.NumberOK}}}}}
	if _, err := p.store.ApplyPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	got = check(p.simSrv.URL + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=234567")
	if !got.OK || got.Division != 234567 || got.Example != p.simSrv.URL+"/docs/CRMAccountCard.aspx?AccountID=%7b0b8a1c2e-0000-4000-8000-0000000000aa%7d&_Division_=234567" ||
		!strings.Contains(got.Note, "every contact opens its company's card") {
		t.Fatalf("good template: %+v", got)
	}
	if got := check("https://x/{Foo}"); got.OK || !strings.Contains(got.Error, "{Foo}") {
		t.Fatalf("bad template: %+v", got)
	}
	if got := check(p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID={SourceId}"); !got.OK || got.Division != 234567 || !strings.Contains(got.Note, "division 234567") {
		t.Fatalf("template without a division: %+v", got)
	}
	// A division the authorized user cannot open is refused as it is
	// typed, not only on Save.
	if got := check(p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=999999"); got.OK || !strings.Contains(got.Error, "cannot open division 999999") {
		t.Fatalf("division 999999: %+v", got)
	}
	if got := check(p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d &_Division_=234567"); got.OK || !strings.Contains(got.Error, "Remove the space before &_Division_=") {
		t.Fatalf("the guide's stray space: %+v", got)
	}
}

func TestAdmins(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	if pg := a.post("/admins", url.Values{"email": {"not an address"}}); pg.status != http.StatusBadRequest {
		t.Fatalf("bad address: %d", pg.status)
	}
	pg := a.post("/admins", url.Values{"email": {"Carla@Example.nl"}})
	if pg.status != http.StatusSeeOther || strings.Contains(pg.location, "carla") {
		t.Fatalf("add: %d %q, want a redirect", pg.status, pg.location)
	}
	pg = a.get(pg.location)
	if !strings.Contains(pg.body, "carla@example.nl can now sign in") {
		t.Fatalf("add: %d %s", pg.status, pg.text())
	}
	pw := regexpFind(t, pg.body, `id="new-admin-password" value="([^"]+)"`)
	if pg := p.browser().signIn("carla@example.nl", pw); pg.status != http.StatusSeeOther {
		t.Fatalf("the new admin cannot sign in: %d", pg.status)
	}
	if again := a.get("/admins"); strings.Contains(again.body, pw) {
		t.Fatal("the password is shown again")
	}
	if pg := a.post("/admins", url.Values{"email": {"beta@example.nl"}}); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "cannot be added") {
		t.Fatalf("existing address: %d %s", pg.status, pg.text())
	}
	if pg := p.admin("Beta").get("/admins"); strings.Contains(pg.body, "carla@example.nl") {
		t.Fatal("another organisation sees the new admin")
	}
}

func TestDirectoryExplainsTheMatch(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	p.repA.ContactURL, p.repA.Division = "https://start.exactonline.nl/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=7", 7
	p.store.UpdateReplicator(ctx, p.repA)
	page := roger.Page{ReplicatorID: p.repA.ID, OrgID: p.orgA.ID, Cursor: 1, Upserts: []roger.Entry{{Kind: roger.KindAccount,
		SourceID: "0b8a1c2e-0000-4000-8000-0000000000aa", CompanyID: "0b8a1c2e-0000-4000-8000-0000000000aa", DisplayName: "Voorbeeld B.V.",
		CompanyName: "Voorbeeld B.V.", SourceTimestamp: 5, Numbers: []roger.Number{{Field: "Phone", Raw: "089 123456-0", E164: "+4989123456", Extension: "0", Status: roger.NumberOK}}}}}
	if _, err := p.store.ApplyPage(ctx, page); err != nil {
		t.Fatal(err)
	}
	a := p.admin("Alpha")
	pg := a.get("/directory?q=" + url.QueryEscape("+49 89 123456 78"))
	for _, want := range []string{"Understood as +498912345678", "Voorbeeld B.V.", "company-main", "AccountID=%7b0b8a1c2e-0000-4000-8000-0000000000aa%7d"} {
		if !strings.Contains(pg.text(), want) && !strings.Contains(pg.body, want) {
			t.Errorf("direct dial lookup lacks %q", want)
		}
	}
	if pg := a.get("/directory?q=" + url.QueryEscape("+44 20 7946 0000")); !strings.Contains(pg.text(), "Unknown caller") {
		t.Errorf("unknown number: %s", pg.text())
	}
	if pg := a.get("/directory?q=voorbeeld"); !strings.Contains(pg.text(), "089 123456-0 → +4989123456 ext. 0") {
		t.Errorf("name search: %s", pg.text())
	}
	if pg := p.admin("Beta").get("/directory?q=" + url.QueryEscape("+49 89 123456")); strings.Contains(pg.body, "card match") || !strings.Contains(pg.text(), "Unknown caller") {
		t.Error("another organisation finds the entry")
	}
}
