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

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/notify"
	"github.com/roger365io/roger/internal/sqlstore"
)

// storeNotifications is the page's Notifications as roger serve joins
// them: channels and log from the store, test sends from the evaluator.
type storeNotifications struct {
	*sqlstore.Store
	ev *notify.Evaluator
}

func (n storeNotifications) SendTest(ctx context.Context, org *roger.Organization, id int64) (*roger.Notification, error) {
	return n.ev.SendTest(ctx, org, id)
}

func TestNotificationsPage(t *testing.T) {
	p := newPortal(t)
	var mu sync.Mutex
	var received []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, r.Header.Get(notify.SignatureHeader)+" "+string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	p.site.Notifications = storeNotifications{Store: p.store, ev: &notify.Evaluator{Store: p.store, Clock: p.clock, PublicURL: p.srv.URL,
		Senders: map[roger.ChannelKind]notify.Sender{roger.ChannelWebhook: &notify.Webhook{}, roger.ChannelTeams: &notify.Webhook{}}}}

	a := p.admin("Alpha")
	if pg := a.get("/notifications"); pg.status != http.StatusOK || !strings.Contains(pg.text(), "No channels yet") {
		t.Fatalf("empty page: %d %s", pg.status, pg.text())
	}
	pg := a.post("/notifications/channels", url.Values{"kind": {"email"}, "name": {"desk"}, "email": {"desk@example.com, nope"}})
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), `"nope" is not an e-mail address`) || !strings.Contains(pg.body, `value="desk@example.com, nope"`) {
		t.Errorf("a bad address: %d %s", pg.status, pg.text())
	}
	pg = a.post("/notifications/channels", url.Values{"kind": {"webhook"}, "name": {"monitoring"}, "url": {hook.URL + "/in?token=url-secret"}, "secret": {"short"}})
	if pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "at least 16 characters") || strings.Contains(pg.body, "url-secret") {
		t.Errorf("a short secret: %d %s", pg.status, pg.text())
	}
	pg = a.post("/notifications/channels", url.Values{"kind": {"webhook"}, "name": {"monitoring"}, "url": {hook.URL + "/in?token=url-secret"}, "secret": {"0123456789abcdef"}})
	if pg.status != http.StatusSeeOther || pg.location != "/notifications?done=channel" {
		t.Fatalf("add a webhook: %d %s %s", pg.status, pg.location, pg.text())
	}
	pg = a.get(pg.location)
	if !strings.Contains(pg.text(), "Channel added") || !strings.Contains(pg.text(), "monitoring") || strings.Contains(pg.body, "url-secret") {
		t.Errorf("the page after adding: %s", pg.text())
	}
	channels, err := p.store.ListChannels(context.Background(), p.orgA.ID)
	if err != nil || len(channels) != 1 {
		t.Fatalf("channels %v, %v", channels, err)
	}
	id := itoa(channels[0].ID)

	pg = a.post("/notifications/channels/"+id+"/test", nil)
	if pg.status != http.StatusSeeOther {
		t.Fatalf("send a test: %d %s", pg.status, pg.text())
	}
	pg = a.get(pg.location)
	if !strings.Contains(pg.text(), "The test notice was delivered") {
		t.Errorf("send a test: %d %s", pg.status, pg.text())
	}
	mu.Lock()
	if len(received) != 1 || !strings.HasPrefix(received[0], "sha256=") || !strings.Contains(received[0], `"kind":"test"`) {
		t.Errorf("the webhook received %q", received)
	}
	mu.Unlock()
	if !strings.Contains(pg.text(), "roger test notice to “monitoring”") || !strings.Contains(pg.text(), "sent") {
		t.Errorf("the log does not show the test: %s", pg.text())
	}

	// Another organisation neither sees nor tests the channel.
	b := p.admin("Beta")
	if pg := b.get("/notifications"); strings.Contains(pg.text(), "monitoring") {
		t.Error("Beta sees Alpha's channel")
	}
	if pg := b.post("/notifications/channels/"+id+"/test", nil); pg.status != http.StatusNotFound {
		t.Errorf("Beta tests Alpha's channel: %d", pg.status)
	}
	if pg := b.post("/notifications/channels/"+id+"/delete", nil); pg.status != http.StatusNotFound {
		t.Errorf("Beta removes Alpha's channel: %d", pg.status)
	}
	if pg := a.post("/notifications/channels/"+id+"/delete", nil); pg.status != http.StatusSeeOther || pg.location != "/notifications?done=removed" {
		t.Errorf("remove the channel: %d %s", pg.status, pg.location)
	}
	if pg := a.get("/notifications?done=removed"); !strings.Contains(pg.text(), "Channel removed") || !strings.Contains(pg.text(), "No channels yet") {
		t.Errorf("after removing: %s", pg.text())
	}
	mu.Lock()
	if len(received) != 1 {
		t.Errorf("%d deliveries, want 1", len(received))
	}
	mu.Unlock()
}
