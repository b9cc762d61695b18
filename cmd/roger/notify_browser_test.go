package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
)

// inbox is a real SMTP server on loopback that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	mail []string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &inboxSession{b: b}, nil }

func (b *inbox) received() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.mail...)
}

type inboxSession struct{ b *inbox }

func (s *inboxSession) Reset()                               {}
func (s *inboxSession) Logout() error                        { return nil }
func (s *inboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *inboxSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *inboxSession) Data(r io.Reader) error {
	m, err := io.ReadAll(r)
	s.b.mu.Lock()
	s.b.mail = append(s.b.mail, string(m))
	s.b.mu.Unlock()
	return err
}

// TestNotificationsInBrowser adds an e-mail channel on the portal's
// Notifications page in headless Chromium against "roger demo" with
// ROGER_SMTP_* pointing at a real SMTP server in process, sends a test,
// and sees it arrive and in the log. With ROGER_SCREENSHOTS=DIR it saves
// notifications.png there.
func TestNotificationsInBrowser(t *testing.T) {
	chrome := needBrowser(t)
	box := &inbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	env := map[string]string{"ROGER_SMTP_HOST": "127.0.0.1", "ROGER_SMTP_PORT": strconv.Itoa(ln.Addr().(*net.TCPAddr).Port),
		"ROGER_SMTP_TLS": "none", "ROGER_SMTP_FROM": "roger@example.com"}
	d := startDemoWith(t, func(k string) string { return env[k] }, t.TempDir(), "--records", "10", "--activity", "0")
	g := browse(t, chrome, d, 2*time.Minute)

	g.run("sign in", chromedp.Navigate(d.portal), chromedp.WaitVisible(chromedp.ID("#email")),
		chromedp.SendKeys(chromedp.ID("#email"), d.email), chromedp.SendKeys(chromedp.ID("#password"), d.password),
		chromedp.Click(chromedp.ID("#signin")), chromedp.WaitVisible(chromedp.ID("#new-replicator")))
	g.run("open Notifications", chromedp.Click(chromedp.CSS(`a[href="/notifications"]`)), chromedp.WaitVisible(chromedp.ID("#channel-form")))
	g.run("add an e-mail channel", chromedp.SetValue(chromedp.ID("#channel-kind"), "email"),
		chromedp.SendKeys(chromedp.ID("#channel-name"), "support desk"),
		chromedp.SendKeys(chromedp.ID("#channel-email"), "desk@example.com"),
		chromedp.Click(chromedp.ID("#add-channel")))
	// The page before the post has a channel list too: wait for the one
	// the redirect after it shows.
	g.waitFor("the new channel listed", `(document.getElementById("channel-list") || {textContent: ""}).textContent.includes("support desk")`, 30*time.Second)
	var page string
	g.run("read the channels", into(&page, chromedp.Text(chromedp.ID("#channel-list"))))
	if !strings.Contains(page, "support desk") || !strings.Contains(page, "desk@example.com") {
		t.Fatalf("the channel is not listed:\n%s", page)
	}
	g.run("send a test", chromedp.Click(chromedp.CSS(`#channel-list button`)), chromedp.WaitVisible(chromedp.ID("#test-result")))
	var result, log string
	g.run("read the result", into(&result, chromedp.Text(chromedp.ID("#test-result"))), into(&log, chromedp.Text(chromedp.ID("#delivery-log"))))
	if !strings.Contains(result, "delivered") || !strings.Contains(log, "roger test notice to “support desk”") || !strings.Contains(log, "sent") {
		t.Errorf("the test result %q and log:\n%s", result, log)
	}
	if got := box.received(); len(got) != 1 || !strings.Contains(got[0], "desk@example.com") {
		t.Errorf("the SMTP server received %d mails: %q", len(got), got)
	}
	var png []byte
	g.run("screenshot", into(&png, chromedp.FullScreenshot(100)))
	if err := os.WriteFile(filepath.Join(g.shots, "notifications.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
