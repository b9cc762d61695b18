package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/notify"
	"github.com/roger365io/roger/internal/password"
)

// postsWithoutToken are the POST routes outside the form tokens, and why:
// no session yet to bind a token to (sign-in), a sign-out that must work
// from any page however old, and a reset link that is itself one-time.
var postsWithoutToken = map[string]bool{"POST /login": true, "POST /logout": true, "POST /reset/{token}": true}

// postRoutes are the registered POST routes of the portal.
func postRoutes(t *testing.T, p *portal) []string {
	t.Helper()
	var out []string
	for _, pattern := range p.site.patterns {
		if strings.HasPrefix(pattern, "POST ") {
			out = append(out, pattern)
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d POST routes registered: %v", len(out), out)
	}
	return out
}

// acting gives, for each signed-in POST route, what makes it act in a
// fresh portal for Alpha's owner: the request's path and form.
func acting(p *portal) map[string]func() (string, url.Values) {
	ctx := context.Background()
	rep := "/replicators/" + itoa(p.repA.ID)
	others := 0
	other := func() string {
		others++
		hash, _ := password.Hash(adminPassword, fastHashes)
		u := &roger.User{OrgID: p.orgA.ID, Email: "other" + itoa(int64(others)) + "@example.nl", PasswordHash: hash, Role: roger.RoleAdmin}
		if err := p.store.CreateUser(ctx, u); err != nil {
			p.t.Fatal(err)
		}
		return "/admins/" + itoa(u.ID)
	}
	channel := func() string {
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
		p.t.Cleanup(hook.Close)
		ch := &roger.Channel{OrgID: p.orgA.ID, Kind: roger.ChannelWebhook, Name: "monitoring", URL: hook.URL + "/in", Secret: "0123456789abcdef"}
		if err := p.store.CreateChannel(ctx, ch); err != nil {
			p.t.Fatal(err)
		}
		return "/notifications/channels/" + itoa(ch.ID)
	}
	settings := url.Values{"contact_url": {p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"}, "country": {"NL"}, "interval": {"5"}}
	return map[string]func() (string, url.Values){
		"POST /replicators": func() (string, url.Values) {
			return "/replicators", url.Values{"name": {"Third"}, "entity": {"accounts"}, "exact_url": {"http://127.0.0.1:1"}}
		},
		"POST /replicators/{id}/credentials": func() (string, url.Values) {
			return rep + "/credentials", url.Values{"exact_url": {"https://start.exactonline.nl"}, "client_id": {"11111111-2222-3333-4444-555555555555"}, "client_secret": {"s3cret-value"}}
		},
		"POST /replicators/{id}/authorize": func() (string, url.Values) {
			p.repA.ClientID = "11111111-2222-3333-4444-555555555555"
			if err := p.store.UpdateReplicator(ctx, p.repA); err != nil {
				p.t.Fatal(err)
			}
			if err := p.store.SaveClientSecret(ctx, p.repA.ID, "s3cret-value"); err != nil {
				p.t.Fatal(err)
			}
			return rep + "/authorize", url.Values{}
		},
		"POST /replicators/{id}/settings": func() (string, url.Values) { p.authorize(p.repA); return rep + "/settings", settings },
		"POST /replicators/{id}/sync": func() (string, url.Values) {
			p.authorize(p.repA)
			if _, _, err := p.svc.SaveSettings(roger.NewContextWithActor(ctx, "test"), p.orgA.ID, p.repA.ID, settingsInput(settings)); err != nil {
				p.t.Fatal(err)
			}
			return rep + "/sync", url.Values{}
		},
		"POST /replicators/{id}/pause": func() (string, url.Values) { p.authorize(p.repA); return rep + "/pause", url.Values{} },
		"POST /replicators/{id}/resume": func() (string, url.Values) {
			p.authorize(p.repA)
			if _, err := p.svc.Pause(ctx, p.orgA.ID, p.repA.ID); err != nil {
				p.t.Fatal(err)
			}
			return rep + "/resume", url.Values{}
		},
		"POST /replicators/{id}/delete": func() (string, url.Values) { return rep + "/delete", url.Values{"confirm": {"yes"}} },
		"POST /admins": func() (string, url.Values) {
			return "/admins", url.Values{"email": {"dirk@example.nl"}, "role": {"admin"}}
		},
		"POST /admins/{id}/delete": func() (string, url.Values) { return other() + "/delete", url.Values{} },
		"POST /admins/{id}/role":   func() (string, url.Values) { return other() + "/role", url.Values{"role": {"read-only"}} },
		"POST /admins/{id}/reset":  func() (string, url.Values) { return other() + "/reset", url.Values{} },
		"POST /account/password": func() (string, url.Values) {
			return "/account/password", passwordForm(adminPassword, "a brand new password")
		},
		"POST /integrations/keys":            func() (string, url.Values) { return "/integrations/keys", url.Values{"name": {"Teams"}} },
		"POST /integrations/pop-links/renew": func() (string, url.Values) { return "/integrations/pop-links/renew", url.Values{} },
		"POST /integrations/keys/{id}/revoke": func() (string, url.Values) {
			k, _, err := p.store.CreateAPIKey(ctx, p.orgA.ID, "old")
			if err != nil {
				p.t.Fatal(err)
			}
			return "/integrations/keys/" + itoa(k.ID) + "/revoke", url.Values{}
		},
		"POST /notifications/channels": func() (string, url.Values) {
			return "/notifications/channels", url.Values{"kind": {"email"}, "name": {"desk"}, "email": {"desk@example.com"}}
		},
		"POST /notifications/channels/{id}/test":   func() (string, url.Values) { return channel() + "/test", url.Values{} },
		"POST /notifications/channels/{id}/delete": func() (string, url.Values) { return channel() + "/delete", url.Values{} },
	}
}

func settingsInput(v url.Values) roger.SettingsInput {
	return roger.SettingsInput{ContactURL: v.Get("contact_url"), Country: v.Get("country"), Interval: 5 * time.Minute}
}

func passwordForm(current, pw string) url.Values {
	return url.Values{"current": {current}, "new": {pw}, "repeat": {pw}}
}

// withNotifications gives the portal its notification channels, sending
// over real webhooks.
func withNotifications(p *portal) {
	p.site.Notifications = storeNotifications{Store: p.store, ev: &notify.Evaluator{Store: p.store, Clock: p.clock, PublicURL: p.srv.URL,
		Senders: map[roger.ChannelKind]notify.Sender{roger.ChannelWebhook: &notify.Webhook{}}}}
}

func (p *portal) auditCount() int {
	p.t.Helper()
	events, err := p.store.ListAudit(context.Background(), p.orgA.ID, 10000)
	if err != nil {
		p.t.Fatal(err)
	}
	return len(events)
}

// TestEveryFormActsOnceForItsToken walks every registered POST route: a
// form without a token is refused, and a form sent twice with the same
// token acts once, the repeat going where the first one went.
func TestEveryFormActsOnceForItsToken(t *testing.T) {
	routes := postRoutes(t, newPortal(t))
	for _, pattern := range routes {
		if postsWithoutToken[pattern] {
			continue
		}
		t.Run(pattern, func(t *testing.T) {
			p := newPortal(t)
			withNotifications(p)
			setup, ok := acting(p)[pattern]
			if !ok {
				t.Fatalf("no case for %s: add one to acting", pattern)
			}
			path, form := setup()
			a := p.admin("Alpha")
			before := p.auditCount()
			bare := cloneValues(form)
			bare.Set(formTokenField, "")
			if pg := a.post(path, bare); pg.status != http.StatusBadRequest || p.auditCount() != before {
				t.Fatalf("without a token: %d, %d audit events after %d", pg.status, p.auditCount(), before)
			}
			form.Set(formTokenField, a.formToken())
			first := a.post(path, form)
			if first.status != http.StatusSeeOther {
				t.Fatalf("first: %d %s", first.status, first.text())
			}
			acted := p.auditCount()
			if acted == before {
				t.Fatal("the first request left no trace in the audit log")
			}
			again := a.post(path, form)
			if p.auditCount() != acted {
				t.Fatalf("the repeat acted again: %d audit events, then %d", acted, p.auditCount())
			}
			// Changing one's password starts a new session, in which the
			// old session's token is no longer good.
			if pattern == "POST /account/password" {
				if again.status != http.StatusBadRequest {
					t.Fatalf("repeat in the new session: %d", again.status)
				}
				return
			}
			if again.status != http.StatusSeeOther || again.location != first.location {
				t.Fatalf("repeat: %d %q, want %d %q", again.status, again.location, first.status, first.location)
			}
		})
	}
}

// TestReadOnlyIsRefusedOnEveryPostRoute walks every registered POST route
// as a read-only admin: each is refused and changes nothing, but for
// their own password.
func TestReadOnlyIsRefusedOnEveryPostRoute(t *testing.T) {
	p := newPortal(t)
	withNotifications(p)
	ctx := context.Background()
	hash, _ := password.Hash(adminPassword, fastHashes)
	if err := p.store.CreateUser(ctx, &roger.User{OrgID: p.orgA.ID, Email: "reader@example.nl", PasswordHash: hash, Role: roger.RoleReadOnly}); err != nil {
		t.Fatal(err)
	}
	cases := acting(p)
	r := p.browser()
	if pg := r.signIn("reader@example.nl", adminPassword); pg.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", pg.status)
	}
	if pg := r.get("/replicators/" + itoa(p.repA.ID)); pg.status != http.StatusOK || !strings.Contains(pg.body, `id="read-only"`) {
		t.Fatalf("a read-only admin cannot see a replicator, or is not told they are read-only: %d", pg.status)
	}
	if pg := p.admin("Alpha").get("/replicators"); strings.Contains(pg.body, `id="read-only"`) {
		t.Fatal("an owner is told they are read-only")
	}
	replicators, _ := p.store.ListReplicators(ctx, p.orgA.ID)
	for _, pattern := range postRoutes(t, p) {
		if postsWithoutToken[pattern] || readOnlyRoutes[pattern] {
			continue
		}
		setup, ok := cases[pattern]
		if !ok {
			t.Fatalf("no case for %s: add one to acting", pattern)
		}
		path, form := setup()
		before := p.auditCount()
		pg := r.post(path, form)
		if pg.status != http.StatusForbidden || !strings.Contains(pg.text(), "read-only") {
			t.Errorf("%s: %d %s", pattern, pg.status, pg.text())
		}
		if p.auditCount() != before {
			t.Errorf("%s: the audit log grew", pattern)
		}
	}
	if after, _ := p.store.ListReplicators(ctx, p.orgA.ID); len(after) != len(replicators) {
		t.Fatalf("replicators %d, then %d", len(replicators), len(after))
	}
	if keys, _ := p.store.ListAPIKeys(ctx, p.orgA.ID); len(keys) != 1 {
		t.Fatalf("%d API keys, want the one the walk made itself", len(keys))
	}
	// Their own password is theirs to change.
	if pg := r.post("/account/password", passwordForm(adminPassword, "reader's own new one")); pg.status != http.StatusSeeOther {
		t.Fatalf("own password: %d %s", pg.status, pg.text())
	}
}

// TestAnAdminDoesNotManageAdmins: managing admins is an owner's.
func TestAnAdminDoesNotManageAdmins(t *testing.T) {
	p := newPortal(t)
	cases := acting(p)
	ctx := context.Background()
	hash, _ := password.Hash(adminPassword, fastHashes)
	if err := p.store.CreateUser(ctx, &roger.User{OrgID: p.orgA.ID, Email: "bert@example.nl", PasswordHash: hash, Role: roger.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	b := p.browser()
	b.signIn("bert@example.nl", adminPassword)
	for pattern := range ownerRoutes {
		path, form := cases[pattern]()
		if pg := b.post(path, form); pg.status != http.StatusForbidden || !strings.Contains(pg.text(), "only an owner") {
			t.Errorf("%s: %d %s", pattern, pg.status, pg.text())
		}
	}
	if pg := b.post("/integrations/keys", url.Values{"name": {"Teams"}}); pg.status != http.StatusSeeOther {
		t.Fatalf("an admin cannot make an API key: %d", pg.status)
	}
	if pg := b.get("/admins"); strings.Contains(pg.body, `action="/admins"`) {
		t.Fatal("an admin is offered the form to add admins")
	}
}

// sendTogether sends form to path from b twice, the second 40 ms after
// the first, as a double click does, and returns both answers.
func sendTogether(b *browser, path string, form url.Values) [2]page {
	var out [2]page
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if i == 1 {
				time.Sleep(40 * time.Millisecond)
			}
			out[i] = b.post(path, form)
		})
	}
	wg.Wait()
	return out
}

func TestADoubleClickOnCreateReplicatorMakesOne(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	form := url.Values{"name": {"Exact – contacts"}, "entity": {"contacts"}, "exact_url": {"http://127.0.0.1:1"}, formTokenField: {a.formToken()}}
	answers := sendTogether(a, "/replicators", form)
	list, _ := p.store.ListReplicators(context.Background(), p.orgA.ID)
	if len(list) != 2 {
		t.Fatalf("%d replicators, want Alpha's first and one new", len(list))
	}
	for _, pg := range answers {
		if pg.status != http.StatusSeeOther || pg.location != answers[0].location {
			t.Fatalf("answers %d %q and %d %q", answers[0].status, answers[0].location, answers[1].status, answers[1].location)
		}
	}
}

func TestADoubleSaveWritesOneAuditEntry(t *testing.T) {
	p := newPortal(t)
	p.authorize(p.repA)
	a := p.admin("Alpha")
	form := url.Values{"contact_url": {p.simSrv.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"}, "country": {"NL"}, "interval": {"5"},
		formTokenField: {a.formToken()}}
	sendTogether(a, "/replicators/"+itoa(p.repA.ID)+"/settings", form)
	events, _ := p.store.FindAudit(context.Background(), roger.AuditFilter{OrgID: p.orgA.ID, Action: "replicator.settings"})
	if len(events) != 1 {
		t.Fatalf("%d settings entries in the audit log, want 1", len(events))
	}
}

func TestReloadingTheNewKeyMakesNoSecondKey(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	form := url.Values{"name": {"Teams"}, formTokenField: {a.formToken()}}
	first := a.post("/integrations/keys", form)
	shown := a.get(first.location)
	key := regexpFind(t, shown.body, `id="new-key-value" value="([^"]+)"`)
	// The browser's "resend" of the post, and a reload of the page.
	if again := a.post("/integrations/keys", form); again.status != http.StatusSeeOther {
		t.Fatalf("resend: %d", again.status)
	}
	if pg := a.get(first.location); strings.Contains(pg.body, key) || strings.Contains(pg.body, "new-key-value") {
		t.Fatal("the key is shown a second time")
	}
	if keys, _ := p.store.ListAPIKeys(context.Background(), p.orgA.ID); len(keys) != 1 {
		t.Fatalf("%d keys, want 1", len(keys))
	}
}

func TestAFormOfAnEarlierSessionIsRefused(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	token := a.formToken()
	a.post("/logout", url.Values{})
	a = p.admin("Alpha")
	pg := a.post("/integrations/keys", url.Values{"name": {"Teams"}, formTokenField: {token}})
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "reload the page") {
		t.Fatalf("an old session's form: %d %s", pg.status, pg.text())
	}
	p.clock.Advance(13 * time.Hour)
	if _, ok := checkFormToken("s", mintFormToken("s", p.clock.Now().Add(-13*time.Hour)), p.clock.Now(), 12*time.Hour); ok {
		t.Fatal("a token older than a session is accepted")
	}
	if _, ok := checkFormToken("s", mintFormToken("t", p.clock.Now()), p.clock.Now(), time.Hour); ok {
		t.Fatal("another session's token is accepted")
	}
}

// TestEveryFormCarriesAToken: every POST form on the pages carries the
// shared token field.
func TestEveryFormCarriesAToken(t *testing.T) {
	p := newPortal(t)
	withNotifications(p)
	p.authorize(p.repA)
	acting(p)["POST /notifications/channels/{id}/test"]()
	a := p.admin("Alpha")
	for _, path := range []string{"/replicators", "/replicators/new", "/replicators/" + itoa(p.repA.ID), "/admins", "/integrations", "/notifications", "/audit", "/directory"} {
		pg := a.get(path)
		forms := strings.Count(pg.body, `method="post"`)
		if tokens := strings.Count(pg.body, `name="`+formTokenField+`"`); forms == 0 || tokens != forms {
			t.Errorf("%s: %d forms, %d tokens", path, forms, tokens)
		}
	}
}

// TestFormActsOnceWhenTheBrowserLeaves: a double click makes the browser
// drop the first sending of a form for the second. The first still
// finishes what it does, with a context its browser's leaving does not
// cancel, and the second goes where the first went instead of acting
// again.
func TestFormActsOnceWhenTheBrowserLeaves(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	sess := &roger.Session{IDHash: hashToken(a.cookie().Value)}
	form := url.Values{formTokenField: {a.formToken()}}
	acted := 0
	send := func(ctx context.Context, leave func()) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/replicators", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		p.site.once(w, r, sess, func(w http.ResponseWriter, r *http.Request, _ *roger.Session) {
			acted++
			leave()
			// As a store call would: a cancelled context fails the work.
			if err := r.Context().Err(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			http.Redirect(w, r, "/replicators/9", http.StatusSeeOther)
		})
		return w
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := send(ctx, cancel)
	if first.Code != http.StatusSeeOther {
		t.Fatalf("the first sending, whose browser left: %d %s", first.Code, first.Body)
	}
	second := send(context.Background(), func() {})
	if acted != 1 || second.Code != http.StatusSeeOther || second.Header().Get("Location") != "/replicators/9" {
		t.Fatalf("the second sending: acted %d times, %d to %q; want once, 303 to /replicators/9", acted, second.Code, second.Header().Get("Location"))
	}
}
