package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

func TestRefusedFormsShowABannerThatLinksToTheField(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	path := "/replicators/" + itoa(p.repA.ID)
	tests := []struct {
		name   string
		action string
		form   url.Values
		// fields are the ids the banner links to, in order, with the
		// label it names each by.
		fields [][2]string
	}{
		{"settings", path + "/settings", url.Values{"contact_url": {"start.exactonline.nl/x?ID={SourceId}"}, "country": {"XX"}, "interval": {"often"}},
			[][2]string{{"contact_url", "Contact URL"}, {"country", "Country Code"}, {"interval", "Sync every"}}},
		{"interval out of range", path + "/settings", url.Values{"contact_url": {"https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=7"}, "country": {"NL"}, "interval": {"0"}},
			[][2]string{{"interval", "Sync every"}}},
		{"credentials", path + "/credentials", url.Values{"exact_url": {"https://start.exactonline.nl"}, "client_id": {"my-app"}, "client_secret": {"a b"}},
			[][2]string{{"client_id", "Client ID"}, {"client_secret", "Client Secret"}}},
		{"new replicator", "/replicators", url.Values{"name": {""}, "entity": {"people"}, "exact_url": {"https://evil.example"}},
			[][2]string{{"exact_url", "Exact Online country"}, {"name", "Name"}, {"entity-accounts", "Copy"}}},
		{"delete", path + "/delete", url.Values{}, [][2]string{{"confirm-delete", "I understand"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pg := a.post(tc.action, tc.form)
			if pg.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", pg.status)
			}
			i := strings.Index(pg.body, `id="form-errors"`)
			if i < 0 {
				t.Fatalf("no banner:\n%s", pg.text())
			}
			banner := pg.body[i:]
			banner = banner[:strings.Index(banner, "</div>")]
			if !strings.Contains(banner, `role="alert"`) && !strings.Contains(pg.body[i-40:i], `role="alert"`) {
				t.Error("the banner is not announced as an alert")
			}
			for _, f := range tc.fields {
				link := `<a href="#` + f[0] + `">` + f[1] + `</a>`
				if !strings.Contains(banner, link) {
					t.Errorf("banner lacks %s:\n%s", link, banner)
				}
				if !strings.Contains(pg.body, `id="`+f[0]+`"`) {
					t.Errorf("the page has no field with id %q to link to", f[0])
				}
			}
			if got := strings.Count(banner, "<li>"); got != len(tc.fields) {
				t.Errorf("banner lists %d refusals, want %d", got, len(tc.fields))
			}
			// The banner comes before the forms, and each message is also
			// at its field.
			if j := strings.Index(pg.body, `<form method="post" action="/replicators`); j < 0 || j < i {
				t.Error("the banner is not at the top of the page")
			}
			if strings.Count(pg.body, `class="error"`)+strings.Count(pg.body, `class="error" `) < len(tc.fields) {
				t.Errorf("the refusals are not shown at their fields")
			}
		})
	}
	// Nothing was stored.
	if rep, _ := p.store.FindReplicatorByID(context.Background(), p.repA.ID); rep.ClientID != "" || rep.DefaultCountry != "" {
		t.Fatalf("a refused form changed the replicator: %+v", rep)
	}
}

// fakeService is a roger.ReplicatorService that records what it was
// asked and answers what the test says.
type fakeService struct {
	roger.ReplicatorService
	mu       sync.Mutex
	settings []roger.SettingsInput
	actors   []string
	refuse   error
	rep      *roger.Replicator
}

func (f *fakeService) SaveSettings(ctx context.Context, orgID, id int64, in roger.SettingsInput) (*roger.Replicator, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = append(f.settings, in)
	f.actors = append(f.actors, roger.ActorFromContext(ctx))
	if f.refuse != nil {
		return nil, false, f.refuse
	}
	return f.rep, true, nil
}

// countingReader is the store with the replicator page's reads counted.
type countingReader struct {
	Store
	mu    sync.Mutex
	reads int
}

func (c *countingReader) count() {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
}

func (c *countingReader) CountEntries(ctx context.Context, id int64) (int, int, error) {
	c.count()
	return c.Store.CountEntries(ctx, id)
}

func (c *countingReader) ListSyncRuns(ctx context.Context, id int64, limit int) ([]*roger.SyncRun, error) {
	c.count()
	return c.Store.ListSyncRuns(ctx, id, limit)
}

func (c *countingReader) APICallsSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error) {
	c.count()
	return c.Store.APICallsSince(ctx, orgID, since)
}

func TestAPostActsBeforeItBuildsThePage(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	svc := &fakeService{rep: p.repA}
	reader := &countingReader{Store: p.store}
	p.site.Replicators, p.site.Store = svc, reader
	path := "/replicators/" + itoa(p.repA.ID)
	form := url.Values{"contact_url": {" https://start.exactonline.nl/x?ID={SourceId} "}, "country": {"BE"}, "interval": {"15"}}

	pg := a.post(path+"/settings", form)
	if pg.status != http.StatusSeeOther || pg.location != path+"?done=active" {
		t.Fatalf("accepted form: %d %q", pg.status, pg.location)
	}
	if reader.reads != 0 {
		t.Fatalf("an accepted form read %d parts of the replicator page", reader.reads)
	}
	want := roger.SettingsInput{ContactURL: "https://start.exactonline.nl/x?ID={SourceId}", Country: "BE", Interval: 15 * time.Minute}
	if len(svc.settings) != 1 || svc.settings[0] != want || svc.actors[0] != "alpha@example.nl" {
		t.Fatalf("the service got %+v from %v, want %+v from alpha@example.nl", svc.settings, svc.actors, want)
	}

	var refused roger.Invalid
	refused.Add("country", "Not a country the service knows.")
	svc.refuse = refused.Err()
	pg = a.post(path+"/settings", form)
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.body, `<a href="#country">Country Code</a>: Not a country the service knows.`) {
		t.Fatalf("refused form: %d\n%s", pg.status, pg.text())
	}
	if !strings.Contains(pg.body, `value="BE"`) || !strings.Contains(pg.body, `value="15"`) {
		t.Error("the refused form lost what was typed")
	}
	if reader.reads == 0 {
		t.Error("the refused form was not shown again with the page")
	}
	// An error that is not about a field is the error page.
	svc.refuse = roger.Errorf(roger.ECONFLICT, "Replicator %q is paused: resume it first.", "x")
	if pg := a.post(path+"/settings", form); pg.status != http.StatusConflict || !strings.Contains(pg.text(), "resume it first") {
		t.Fatalf("conflict: %d %s", pg.status, pg.text())
	}
}

// exactDown is an ExactClients whose Exact cannot be reached.
type exactDown struct {
	mu    sync.Mutex
	asked []int
}

func (e *exactDown) Client(_ context.Context, rep *roger.Replicator) (*exact.Client, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.asked = append(e.asked, rep.Division)
	return nil, roger.Errorf(roger.EUNAVAILABLE, "Exact Online does not answer.")
}

func TestTheExampleLinkIsLeftOutWhenExactCannotBeAsked(t *testing.T) {
	p := newPortal(t)
	p.authorize(p.repA)
	ex := &exactDown{}
	p.site.Exact = ex
	a := p.admin("Alpha")
	pg := a.get("/replicators/" + itoa(p.repA.ID) + "/contact-url?template=" + url.QueryEscape(p.simSrv.URL+"/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=234567"))
	if pg.status != http.StatusOK || !strings.Contains(pg.body, `"ok":true`) || strings.Contains(pg.body, `"example"`) {
		t.Fatalf("check: %d %s", pg.status, pg.body)
	}
	if len(ex.asked) != 1 || ex.asked[0] != 234567 {
		t.Fatalf("Exact was asked for divisions %v, want the link's 234567 (its budget is that division's)", ex.asked)
	}
}

// sessionsLost is the store with every session gone.
type sessionsLost struct{ Store }

func (sessionsLost) FindSession(context.Context, string) (*roger.Session, error) {
	return nil, roger.Errorf(roger.ENOTFOUND, "no such session")
}

// fixedAdmins lists one admin whatever the organisation.
type fixedAdmins struct{ Store }

func (fixedAdmins) ListUsers(_ context.Context, orgID int64) ([]*roger.User, error) {
	return []*roger.User{{ID: 99, OrgID: orgID, Email: "listed-by-the-fake@example.nl"}}, nil
}

// recordedAudit keeps what is appended to the audit log.
type recordedAudit struct {
	Store
	mu     sync.Mutex
	events []string
}

func (r *recordedAudit) AppendAudit(_ context.Context, _ int64, actor, action, target, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, actor+" "+action+" "+target)
	return nil
}

// oneKey lists one API key, and refuses to revoke it.
type oneKey struct{ Store }

func (oneKey) ListAPIKeys(_ context.Context, orgID int64) ([]*roger.APIKey, error) {
	return []*roger.APIKey{{ID: 7, OrgID: orgID, Name: "key from the fake", Prefix: "rk_fake"}}, nil
}

func (oneKey) RevokeAPIKey(context.Context, int64, int64) error {
	return errors.New("the database is read-only")
}

func TestPagesOverSmallStoreInterfaces(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	t.Run("sessions", func(t *testing.T) {
		p.site.Store = sessionsLost{p.store}
		defer func() { p.site.Store = p.store }()
		if pg := a.get("/replicators"); pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.location, "/login") {
			t.Fatalf("a lost session: %d %q", pg.status, pg.location)
		}
	})
	t.Run("accounts", func(t *testing.T) {
		p.site.Store = fixedAdmins{p.store}
		defer func() { p.site.Store = p.store }()
		if pg := a.get("/admins"); pg.status != http.StatusOK || !strings.Contains(pg.body, "listed-by-the-fake@example.nl") {
			t.Fatalf("admins: %d", pg.status)
		}
	})
	t.Run("audit", func(t *testing.T) {
		audit := &recordedAudit{Store: p.store}
		p.site.Store = audit
		defer func() { p.site.Store = p.store }()
		if pg := a.post("/admins", url.Values{"email": {"new@example.nl"}}); pg.status != http.StatusSeeOther {
			t.Fatalf("add admin: %d %s", pg.status, pg.text())
		}
		if len(audit.events) != 1 || audit.events[0] != "alpha@example.nl admin.create admin/new@example.nl" {
			t.Fatalf("audit: %v", audit.events)
		}
	})
	t.Run("integrations", func(t *testing.T) {
		p.site.Store = oneKey{p.store}
		defer func() { p.site.Store = p.store }()
		if pg := a.get("/integrations"); pg.status != http.StatusOK || !strings.Contains(pg.body, "key from the fake") {
			t.Fatalf("integrations: %d", pg.status)
		}
		if pg := a.post("/integrations/keys/7/revoke", nil); pg.status != http.StatusInternalServerError || strings.Contains(pg.body, "read-only") {
			t.Fatalf("a failed revoke: %d %s", pg.status, pg.text())
		}
	})
}

// TestTheExampleBeforeAuthorizationSaysItsIDIsMadeUp checks a link on a
// replicator not yet authorized: the example fills in an id that is no
// record's, and says so.
func TestTheExampleBeforeAuthorizationSaysItsIDIsMadeUp(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	var got contactURLJSON
	pg := a.get("/replicators/" + itoa(p.repA.ID) + "/contact-url?template=" + url.QueryEscape("https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=42"))
	if err := json.Unmarshal([]byte(pg.body), &got); err != nil {
		t.Fatalf("%s: %v", pg.body, err)
	}
	if !got.OK || got.Card != "contact card" || got.Record != "" || got.Example != "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b"+madeUpID+"%7d&_Division_=42" ||
		!strings.Contains(got.Note, "made-up id") {
		t.Fatalf("check before authorization: %+v", got)
	}
}
