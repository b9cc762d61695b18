package web

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/password"
	"github.com/roger365io/roger/internal/replicators"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

var fastHashes = password.Params{Memory: 64, Time: 1, Threads: 1}

// portal is the portal over a real SQLite store with two organisations,
// each with an admin and a replicator.
type portal struct {
	t      *testing.T
	srv    *httptest.Server
	site   *Server
	store  *sqlstore.Store
	clock  *clock.Fake
	orgA   *roger.Organization
	orgB   *roger.Organization
	sim    *exactsim.Simulator
	simSrv *httptest.Server
	repA   *roger.Replicator
	repB   *roger.Replicator
	svc    *replicators.Service
}

const adminPassword = "correct horse battery"

func newPortal(t *testing.T) *portal {
	t.Helper()
	p := &portal{t: t, clock: clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))}
	ctx := context.Background()
	var ring *secret.Keyring
	p.store, ring = openTestStore(t, p.clock)
	p.site = &Server{Store: p.store, Clock: p.clock, Passwords: fastHashes, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Directory: lookup.New(p.store, lookup.Options{Clock: p.clock}),
		ExactHosts: append([]ExactHost{{URL: "http://127.0.0.1:1", Label: "simulator"}}, DefaultExactHosts...)}
	p.srv = httptest.NewServer(nil)
	p.site.PublicURL, p.site.Links = p.srv.URL, ring
	p.site.RedirectURL = func(id int64) string { return p.srv.URL + "/oauth/exact/" + itoa(id) + "/callback" }
	p.svc = &replicators.Service{Store: p.store, Clock: p.clock, RedirectURL: p.site.RedirectURL, Log: p.site.Log}
	p.site.Replicators, p.site.Exact = p.svc, p.svc
	p.srv.Config.Handler = p.site.Handler()
	t.Cleanup(p.srv.Close)
	p.sim = exactsim.New(exactsim.Options{Clock: p.clock})
	t.Cleanup(p.sim.Close)
	if _, err := p.sim.AddUser("demo", "demo", 123456, 234567); err != nil {
		t.Fatal(err)
	}
	p.sim.Seed(123456, 5, 20)
	p.simSrv = httptest.NewServer(p.sim.Handler())
	t.Cleanup(p.simSrv.Close)
	for i, name := range []string{"Alpha", "Beta"} {
		org := &roger.Organization{Name: name, DefaultCountry: "NL"}
		if err := p.store.CreateOrganization(ctx, org); err != nil {
			t.Fatal(err)
		}
		hash, _ := password.Hash(adminPassword, fastHashes)
		if err := p.store.CreateUser(ctx, &roger.User{OrgID: org.ID, Email: strings.ToLower(name) + "@example.nl", PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		rep := &roger.Replicator{OrgID: org.ID, Name: name + " contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
			ExactURL: "https://start.exactonline.nl", Interval: 5 * time.Minute, State: roger.StateDraft}
		if err := p.store.CreateReplicator(ctx, rep); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			p.orgA, p.repA = org, rep
		} else {
			p.orgB, p.repB = org, rep
		}
	}
	return p
}

// openTestStore opens a migrated SQLite store in a temporary directory.
func openTestStore(t *testing.T, clk *clock.Fake) (*sqlstore.Store, *secret.Keyring) {
	return storetest.Open(t, filepath.Join(t.TempDir(), "roger.db"), clk)
}

// browser is a client with a cookie jar that does not follow redirects,
// sending the headers a same-origin form post from a browser carries.
type browser struct {
	t      *testing.T
	p      *portal
	client *http.Client
}

func (p *portal) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: p.t, p: p, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		if c := b.cookie(); c != nil && method == http.MethodPost && !form.Has(formTokenField) {
			// As a browser would: the form's page gave it a token.
			form = cloneValues(form)
			form.Set(formTokenField, b.formToken())
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.p.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", b.p.srv.URL)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(data), location: resp.Header.Get("Location"), header: resp.Header}
}

// formToken is a new form token for the browser's session, the one a
// page it opened would have put in a form.
func (b *browser) formToken() string {
	b.t.Helper()
	c := b.cookie()
	if c == nil {
		b.t.Fatal("no session for a form token")
	}
	return mintFormToken(hashToken(c.Value), b.p.clock.Now())
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil) }
func (b *browser) post(path string, form url.Values) page {
	if form == nil {
		form = url.Values{}
	}
	return b.do(http.MethodPost, path, form)
}

func (b *browser) signIn(email, pw string) page {
	b.t.Helper()
	return b.post("/login", url.Values{"email": {email}, "password": {pw}})
}

// admin returns a browser signed in as the admin of org A or B.
func (p *portal) admin(org string) *browser {
	p.t.Helper()
	b := p.browser()
	if pg := b.signIn(strings.ToLower(org)+"@example.nl", adminPassword); pg.status != http.StatusSeeOther {
		p.t.Fatalf("sign in as %s: %d %s", org, pg.status, pg.body)
	}
	return b
}

func (b *browser) cookie() *http.Cookie {
	u, _ := url.Parse(b.p.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == secureCookieName {
			return c
		}
	}
	return nil
}

var tagPattern = regexp.MustCompile(`<[^>]+>`)

var formTokenPattern = regexp.MustCompile(`name="` + formTokenField + `" value="[^"]*"`)

// withoutFormTokens is a page without its forms' one-time tokens, which
// differ at every view, for comparing two views of a page.
func withoutFormTokens(body string) string { return formTokenPattern.ReplaceAllString(body, "") }

// text is a page's text without tags, for asserting messages.
func (pg page) text() string { return html.UnescapeString(tagPattern.ReplaceAllString(pg.body, "")) }

func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", pattern, s)
	}
	return m[1]
}
