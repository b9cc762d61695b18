package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/exactsim/crm"
	"github.com/roger365io/roger/internal/replicate"
	"github.com/roger365io/roger/internal/replicators"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

type database struct {
	name string
	dsn  func(t *testing.T) string
}

func databases(t *testing.T) []database {
	out := []database{{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "roger.db") }}}
	if pg := sqltest.Postgres(t); pg != "" {
		out = append(out, database{"postgres", func(t *testing.T) string { return sqltest.FreshPostgres(t, pg) }})
	}
	return out
}

// mailServer is a real SMTP server on loopback that keeps what it
// receives; it refuses the first refuse messages with a temporary error.
type mailServer struct {
	addr   *net.TCPAddr
	mu     sync.Mutex
	refuse int
	got    []string
}

func startMailServer(t *testing.T, refuse int) *mailServer {
	t.Helper()
	m := &mailServer{refuse: refuse}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().(*net.TCPAddr)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

func (m *mailServer) messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.got...)
}

type mailSession struct {
	m  *mailServer
	to []string
}

func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.refuse > 0 {
		s.m.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.got = append(s.m.got, "To: "+strings.Join(s.to, ",")+"\r\n"+string(b))
	return nil
}

// receiver is an HTTP endpoint standing in for Teams or a webhook.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	heads  []http.Header
}

func startReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.heads = append(r.heads, req.Header.Clone())
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// env is a store with one organisation whose replicator syncs from the
// simulator, authorized through its real OAuth flow, and whose alerts go
// to an e-mail channel (a real SMTP server) and a Teams channel.
type env struct {
	t     *testing.T
	dsn   string
	clk   *clock.Fake
	ring  *secret.Keyring
	store *sqlstore.Store
	org   *roger.Organization
	svc   *replicators.Service
	sync  *replicate.Syncer
	sim   *exactsim.Simulator
	rep   *roger.Replicator
	mail  *mailServer
	teams *receiver
	// appSecret is the Exact app's Client Secret, which no notice holds.
	appSecret string
}

const publicURL = "https://roger.example"

func newEnv(t *testing.T, dsn string, refuse int) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, dsn: dsn, clk: clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))}
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if e.ring, err = secret.NewKeyring(key); err != nil {
		t.Fatal(err)
	}
	e.store = e.open()
	e.org = &roger.Organization{Name: "Acme Support"}
	if err := e.store.CreateOrganization(ctx, e.org); err != nil {
		t.Fatal(err)
	}

	e.sim = exactsim.New(exactsim.Options{Clock: e.clk})
	t.Cleanup(e.sim.Close)
	if _, err := e.sim.AddUser("demo", "demo", 123456); err != nil {
		t.Fatal(err)
	}
	e.sim.Seed(123456, 5, 20)
	srv := httptest.NewServer(e.sim.Handler())
	t.Cleanup(srv.Close)
	const redirect = "https://roger.example/oauth/exact/callback"
	app, err := e.sim.RegisterApp("ROGER365.io – contacts", redirect, "", "")
	if err != nil {
		t.Fatal(err)
	}
	e.appSecret = app.Secret
	sleeper := &clock.Sleeper{Clock: e.clk}
	e.svc = &replicators.Service{Store: e.store, Clock: e.clk, Sleep: sleeper.Sleep, Budgets: exact.NewBudgetRegistry(e.clk),
		RedirectURL: func(int64) string { return redirect }}
	e.rep, err = e.svc.Create(ctx, roger.ReplicatorInput{OrgID: e.org.ID, Name: "Exact contacts", Entity: roger.Contacts, ExactURL: srv.URL,
		Credentials: &roger.CredentialsInput{ClientID: app.ClientID.String(), ClientSecret: app.Secret},
		Settings:    &roger.SettingsInput{ContactURL: srv.URL + "/docs/CRMContactCard.aspx?_ID={SourceId}&_Division_=123456", Country: "NL", Interval: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	e.authorize()
	e.sync = &replicate.Syncer{Store: e.store, Reports: e.svc, Budgets: e.svc.Budgets, Clock: e.clk, Sleep: sleeper.Sleep,
		RedirectURL: e.svc.RedirectURL, PagesPerCommit: 1}

	e.mail = startMailServer(t, refuse)
	e.teams = startReceiver(t)
	for _, c := range []*roger.Channel{
		{OrgID: e.org.ID, Kind: roger.ChannelEmail, Name: "support desk", Recipients: []string{"desk@acme.example", "lead@acme.example"}},
		{OrgID: e.org.ID, Kind: roger.ChannelTeams, Name: "Teams #roger", URL: e.teams.URL + "/workflows/abc/triggers/manual/run?sig=teams-secret-sig"},
	} {
		if err := e.store.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) open() *sqlstore.Store {
	s, err := sqlstore.Open(context.Background(), e.dsn, sqlstore.Options{Sealer: e.ring, Clock: e.clk})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

// authorize signs in to the simulator as its user and lets the app in.
func (e *env) authorize() {
	e.t.Helper()
	ctx := context.Background()
	to, err := e.svc.StartAuthorization(ctx, e.org.ID, e.rep.ID, "", time.Minute)
	if err != nil {
		e.t.Fatal(err)
	}
	back, err := exactsim.Consent(ctx, nil, to, "demo", "demo")
	if err != nil {
		e.t.Fatal(err)
	}
	auth, err := e.svc.FinishAuthorization(ctx, e.rep.ID, back.Query().Get("state"), back.Query().Get("code"), "")
	if err != nil || auth.Replicator.State != roger.StateActive {
		e.t.Fatalf("authorization: %v %+v", err, auth)
	}
}

// evaluator is one instance's evaluator on store.
func (e *env) evaluator(store *sqlstore.Store, owner string) *Evaluator {
	return &Evaluator{Store: store, Clock: e.clk, Owner: owner, PublicURL: publicURL,
		Senders: map[roger.ChannelKind]Sender{
			roger.ChannelEmail: &Mailer{SMTP: SMTP{Host: "127.0.0.1", Port: e.mail.addr.Port, TLS: "none", From: "roger@acme.example"}},
			roger.ChannelTeams: &Webhook{}, roger.ChannelWebhook: &Webhook{},
		}}
}

func (e *env) round(ev *Evaluator) {
	e.t.Helper()
	if err := ev.Round(context.Background()); err != nil {
		e.t.Fatalf("round: %v", err)
	}
}

func (e *env) syncOnce(wantErr roger.ErrorCode) {
	e.t.Helper()
	_, err := e.sync.Sync(context.Background(), e.rep.ID, roger.TriggerSchedule)
	if roger.ErrorCodeOf(err) != wantErr || (wantErr == "" && err != nil) {
		e.t.Fatalf("sync: %v (code %q), want code %q", err, roger.ErrorCodeOf(err), wantErr)
	}
}

// expect checks that exactly mails e-mails and cards Teams posts have
// arrived so far.
func (e *env) expect(mails, cards int) {
	e.t.Helper()
	if got := len(e.mail.messages()); got != mails {
		e.t.Errorf("%d e-mails received, want %d", got, mails)
	}
	if got := len(e.teams.got()); got != cards {
		e.t.Errorf("%d Teams cards received, want %d", got, cards)
	}
}

func TestReauthorizationIsAlertedOnceAndRecoveryOnce(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			e := newEnv(t, db.dsn(t), 0)
			ev := e.evaluator(e.store, "instance-a")
			e.syncOnce("")
			e.round(ev)
			e.expect(0, 0)
			if last, err := e.store.LastSuccessfulSyncs(context.Background()); err != nil || !last[e.rep.ID].Equal(e.clk.Now()) {
				t.Errorf("last successful syncs %v, %v: want replicator %d at %s", last, err, e.rep.ID, e.clk.Now())
			}

			// Another integration refreshes on the same app and user:
			// roger's refresh token is superseded.
			clientID, err := crm.ParseGUID(e.rep.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			if !e.sim.SupersedeChain(clientID, "demo") {
				t.Fatal("SupersedeChain found no chain")
			}
			e.clk.Advance(11 * time.Minute)
			e.syncOnce(roger.EREAUTHORIZE)
			e.round(ev)
			e.expect(1, 1)

			link := fmt.Sprintf("%s/replicators/%d#authorize", publicURL, e.rep.ID)
			mail := decoded(t, e.mail.messages()[0])
			for _, want := range []string{"Subject: Replicator “Exact contacts” needs re-authorization", link, "desk@acme.example,lead@acme.example", "Authorize application"} {
				if !strings.Contains(mail, want) {
					t.Errorf("the e-mail does not say %q:\n%s", want, mail)
				}
			}
			card := e.teams.got()[0]
			var msg struct {
				Attachments []struct {
					ContentType string `json:"contentType"`
					Content     struct {
						Type    string `json:"type"`
						Body    []map[string]any
						Actions []struct{ Title, URL string }
					} `json:"content"`
				} `json:"attachments"`
			}
			if err := json.Unmarshal([]byte(card), &msg); err != nil || len(msg.Attachments) != 1 {
				t.Fatalf("the Teams message is no card: %v %s", err, card)
			}
			a := msg.Attachments[0]
			if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.Content.Type != "AdaptiveCard" || len(a.Content.Actions) != 1 ||
				a.Content.Actions[0].URL != link || a.Content.Actions[0].Title != "Authorize application" || !strings.Contains(card, "Exact contacts") {
				t.Errorf("the card does not name the replicator and link to its Authorize step: %s", card)
			}
			for _, secret := range []string{"teams-secret-sig", e.appSecret} {
				if strings.Contains(mail, secret) || strings.Contains(card, secret) {
					t.Errorf("a notice holds %q", secret)
				}
			}

			// Again, and after a restart (a new evaluator, a new store
			// handle): nothing is sent twice.
			e.clk.Advance(time.Minute)
			e.round(ev)
			e.round(e.evaluator(e.open(), "instance-a"))
			e.expect(1, 1)

			e.authorize()
			e.round(ev)
			e.expect(2, 2)
			if got := decoded(t, e.mail.messages()[1]); !strings.Contains(got, "Resolved") || !strings.Contains(got, "authorized again") {
				t.Errorf("the second e-mail is no recovery notice:\n%s", got)
			}
			e.clk.Advance(time.Minute)
			e.round(ev)
			e.round(e.evaluator(e.open(), "instance-a"))
			e.expect(2, 2)

			log, err := e.store.ListDeliveries(context.Background(), e.org.ID, 10)
			if err != nil || len(log) != 4 {
				t.Fatalf("notifications log %+v, %v: want 4 attempts", log, err)
			}
			for _, d := range log {
				if d.Outcome != roger.DeliverySent {
					t.Errorf("attempt %+v not sent", d)
				}
			}
		})
	}
}

func TestTwoInstancesSendOneAlert(t *testing.T) {
	pg := sqltest.Postgres(t)
	if pg == "" {
		t.Skip("set ROGER_TEST_POSTGRES to run the instances on PostgreSQL")
	}
	e := newEnv(t, sqltest.FreshPostgres(t, pg), 0)
	e.syncOnce("")
	e.clk.Advance(2 * time.Hour) // stale
	a, b := e.evaluator(e.open(), "instance-a"), e.evaluator(e.open(), "instance-b")

	// Both take a round at once: one holds the lease.
	var wg sync.WaitGroup
	for _, ev := range []*Evaluator{a, b} {
		wg.Go(func() { e.round(ev) })
	}
	wg.Wait()
	e.expect(1, 1)

	// Without the lease, the unique open alert still makes one alert of
	// two evaluations racing.
	e.syncOnce("")
	for _, ev := range []*Evaluator{a, b} {
		wg.Go(func() {
			if err := ev.Evaluate(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e.clk.Advance(3 * time.Hour)
	for _, ev := range []*Evaluator{a, b} {
		wg.Go(func() {
			if err := ev.Evaluate(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	alerts, err := e.store.ListAlerts(context.Background(), e.org.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || !alerts[0].Cleared.IsZero() || alerts[1].Cleared.IsZero() {
		t.Errorf("alerts %+v: want the first cleared and one open", alerts)
	}
}

func TestStaleAlertRemindsDailyAndRecovers(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), 0)
	ev := e.evaluator(e.store, "instance-a")
	e.syncOnce("")
	// Interval 5 minutes: the limit is the least one, an hour.
	e.clk.Advance(time.Hour)
	e.round(ev)
	e.expect(0, 0)
	e.clk.Advance(time.Minute)
	e.round(ev)
	e.expect(1, 1)
	if got := decoded(t, e.mail.messages()[0]); !strings.Contains(got, "has not synced since 25 June 2026 12:00 UTC") || !strings.Contains(got, "limit of 1 hour") {
		t.Errorf("the staleness e-mail does not say since when:\n%s", got)
	}
	e.clk.Advance(23 * time.Hour)
	e.round(ev)
	e.expect(1, 1)
	e.clk.Advance(time.Hour)
	e.round(ev)
	e.expect(2, 2)
	if got := decoded(t, e.mail.messages()[1]); !strings.Contains(got, "Subject: Still: Replicator") {
		t.Errorf("the reminder does not say it is one:\n%s", got)
	}
	e.syncOnce("")
	e.round(ev)
	e.expect(3, 3)
	if got := decoded(t, e.mail.messages()[2]); !strings.Contains(got, "a sync succeeded again") {
		t.Errorf("no recovery notice:\n%s", got)
	}
}

func TestRefusedMailIsRetriedAndLogged(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), 1)
	ev := e.evaluator(e.store, "instance-a")
	e.syncOnce("")
	e.clk.Advance(61 * time.Minute)
	if err := ev.Round(context.Background()); err != nil {
		t.Fatalf("a refused delivery is recorded, not an error of the round: %v", err)
	}
	e.expect(0, 1)
	e.clk.Advance(30 * time.Second)
	e.round(ev)
	e.expect(0, 1)
	e.clk.Advance(30 * time.Second)
	e.round(ev)
	e.expect(1, 1)

	log, err := e.store.ListDeliveries(context.Background(), e.org.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var mails []roger.DeliveryAttempt
	for _, d := range log {
		if d.Channel == "support desk" {
			mails = append(mails, d)
		}
	}
	if len(mails) != 2 || mails[1].Outcome != roger.DeliveryFailed || !strings.Contains(mails[1].Error, "Try again later") || mails[0].Outcome != roger.DeliverySent {
		t.Errorf("the log shows %+v, want a failed attempt and then a sent one", mails)
	}
	audit, err := e.store.ListAudit(context.Background(), e.org.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var failed, sent int
	for _, a := range audit {
		switch a.Action {
		case "notification failed":
			failed++
		case "notification sent":
			sent++
		}
	}
	if failed != 1 || sent != 2 {
		t.Errorf("the audit log has %d failed and %d sent notifications, want 1 and 2", failed, sent)
	}
}

func TestWebhookIsSignedAndKeepsItsURLSecret(t *testing.T) {
	r := startReceiver(t)
	ch := &roger.Channel{Kind: roger.ChannelWebhook, Name: "hook", URL: r.URL + "/in?token=url-secret", Secret: "signing-key", Hint: "127.0.0.1"}
	n := roger.Notice{Kind: roger.NoticeTest, Title: "test", Text: "hello", Organization: "Acme", At: time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC)}
	if err := (&Webhook{}).Send(context.Background(), ch, n); err != nil {
		t.Fatal(err)
	}
	body := r.got()[0]
	if got, want := r.heads[0].Get(SignatureHeader), Sign("signing-key", []byte(body)); got != want || !strings.HasPrefix(got, "sha256=") {
		t.Errorf("signature %q, want %q", got, want)
	}
	var back roger.Notice
	if err := json.Unmarshal([]byte(body), &back); err != nil || back.Title != "test" || back.Kind != roger.NoticeTest {
		t.Errorf("payload %s: %v", body, err)
	}

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	ch.URL = down.URL + "/in?token=url-secret"
	err := (&Webhook{}).Send(context.Background(), ch, n)
	down.Close()
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("a 500 answer gave %v", err)
	}
	err = (&Webhook{}).Send(context.Background(), ch, n)
	if err == nil || strings.Contains(err.Error(), "url-secret") || strings.Contains(err.Error(), "/in") {
		t.Errorf("an unreachable webhook gave %v: it must fail without naming the URL", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Error("not a cancellation")
	}
}

// decoded is a received mail as a person reads it: its recipients, its
// subject decoded and its quoted-printable body.
func decoded(t *testing.T, raw string) string {
	t.Helper()
	to, rest, _ := strings.Cut(raw, "\r\n")
	m, err := mail.ReadMessage(strings.NewReader(rest))
	if err != nil {
		t.Fatalf("not a mail: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return to + "\nSubject: " + subject + "\n\n" + string(body)
}

func TestSendTestReportsTheResultOnce(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), 0)
	ctx := context.Background()
	ev := e.evaluator(e.store, "instance-a")
	channels, err := e.store.ListChannels(ctx, e.org.ID)
	if err != nil || len(channels) != 2 {
		t.Fatalf("channels %v, %v", channels, err)
	}
	for _, c := range channels {
		if c.URL != "" || strings.Contains(c.Hint, "sig") {
			t.Errorf("a listed channel shows its URL: %+v", c)
		}
	}
	n, err := ev.SendTest(ctx, e.org, channels[0].ID)
	if err != nil || n.Status != roger.DeliverySent {
		t.Fatalf("test to e-mail: %+v, %v", n, err)
	}
	if got := decoded(t, e.mail.messages()[0]); !strings.Contains(got, "Subject: roger test notice to “support desk”") {
		t.Errorf("the test e-mail says:\n%s", got)
	}

	hook := &roger.Channel{OrgID: e.org.ID, Kind: roger.ChannelWebhook, Name: "gone", URL: "http://127.0.0.1:1/hook?key=hook-secret", Secret: "0123456789abcdef"}
	if err := hook.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateChannel(ctx, hook); err != nil {
		t.Fatal(err)
	}
	n, err = ev.SendTest(ctx, e.org, hook.ID)
	if err != nil || n.Status != roger.DeliveryFailed {
		t.Fatalf("test to a closed port: %+v, %v", n, err)
	}
	// Tests are sent once: a round has nothing to deliver.
	e.round(ev)
	log, err := e.store.ListDeliveries(ctx, e.org.ID, 10)
	if err != nil || len(log) != 2 || log[0].Outcome != roger.DeliveryFailed || strings.Contains(log[0].Error, "hook-secret") || log[1].Outcome != roger.DeliverySent {
		t.Errorf("log %+v, %v: want a sent test and a failed one that names no URL", log, err)
	}
	e.expect(1, 0)

	other := &roger.Organization{Name: "Other"}
	if err := e.store.CreateOrganization(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.SendTest(ctx, other, hook.ID); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		t.Errorf("a test to another organisation's channel: %v", err)
	}
}

func TestChannelValidate(t *testing.T) {
	tests := []struct {
		name string
		ch   roger.Channel
		want string // "" valid; else the field refused
	}{
		{"email", roger.Channel{Kind: roger.ChannelEmail, Name: "desk", Recipients: []string{"desk@example.com"}}, ""},
		{"email without recipients", roger.Channel{Kind: roger.ChannelEmail, Name: "desk"}, "email"},
		{"email with a name", roger.Channel{Kind: roger.ChannelEmail, Name: "desk", Recipients: []string{"Desk <desk@example.com>"}}, "email"},
		{"teams", roger.Channel{Kind: roger.ChannelTeams, Name: "t", URL: "https://prod-01.westeurope.logic.azure.com/workflows/x?sig=y"}, ""},
		{"teams over http", roger.Channel{Kind: roger.ChannelTeams, Name: "t", URL: "http://example.com/x"}, "url"},
		{"webhook to loopback", roger.Channel{Kind: roger.ChannelWebhook, Name: "h", URL: "http://127.0.0.1:9000/x", Secret: "0123456789abcdef"}, ""},
		{"webhook short secret", roger.Channel{Kind: roger.ChannelWebhook, Name: "h", URL: "https://example.com/x", Secret: "short"}, "secret"},
		{"no name", roger.Channel{Kind: roger.ChannelEmail, Recipients: []string{"desk@example.com"}}, "name"},
		{"unknown kind", roger.Channel{Kind: "sms", Name: "x"}, "kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ch.Validate()
			var inv roger.Invalid
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &inv) || !inv.Has(tc.want)):
				t.Errorf("error %v, want %s refused", err, tc.want)
			}
		})
	}
}

func TestLeaseHandsOverWhenTheHolderStops(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), 0)
	a, b := e.evaluator(e.store, "instance-a"), e.evaluator(e.open(), "instance-b")
	e.syncOnce("")
	e.round(a)
	e.clk.Advance(61 * time.Minute)
	// a holds the lease, renewed by its rounds: b does nothing.
	e.round(a)
	e.round(b)
	e.expect(1, 1)
	e.syncOnce("")
	e.clk.Advance(2 * time.Minute)
	e.round(b)
	e.expect(1, 1)
	// a stopped: once its lease ran out, b evaluates and sends the recovery.
	e.clk.Advance(time.Minute + time.Second)
	e.round(b)
	e.expect(2, 2)
}
