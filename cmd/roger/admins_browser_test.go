package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminsAndAuditInBrowser walks the admins page and the audit log in
// headless Chromium against "roger demo": a double click on "Create
// replicator" makes one, the owner adds a read-only admin and makes a
// password reset link for her, she chooses her password with it, a
// failed sign-in and a sign-out are recorded, she is refused a change,
// and the audit log tells it all in words, at 1280 and at 390 px. With
// ROGER_SCREENSHOTS=DIR it saves admins.png, admins-390.png,
// audit-log.png and audit-log-390.png there.
func TestAdminsAndAuditInBrowser(t *testing.T) {
	chrome := needBrowser(t)
	d := startDemo(t, t.TempDir(), "--records", "10", "--activity", "0")
	g := browse(t, chrome, d, 3*time.Minute)
	shot := func(name string) {
		t.Helper()
		var png []byte
		g.run("screenshot "+name, into(&png, chromedp.FullScreenshot(100)))
		if err := os.WriteFile(filepath.Join(g.shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(email, password string) {
		t.Helper()
		g.run("sign in as "+email, chromedp.Navigate(d.portal+"/login"), chromedp.WaitVisible(chromedp.ID("#email")),
			chromedp.SendKeys(chromedp.ID("#email"), email), chromedp.SendKeys(chromedp.ID("#password"), password),
			chromedp.Click(chromedp.ID("#signin")), chromedp.WaitVisible(chromedp.ID("#new-replicator")))
	}
	signIn(d.email, d.password)

	// Two clicks 40 ms apart on "Create replicator" make one.
	g.run("new replicator", chromedp.Navigate(d.portal+"/replicators/new"), chromedp.WaitVisible(chromedp.ID("#name")),
		chromedp.SendKeys(chromedp.ID("#name"), "Clicked twice"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("create").click(); setTimeout(function () { document.getElementById("create").click(); }, 40); null`),
		chromedp.WaitVisible(chromedp.CSS("[data-replicator]")))
	var list string
	g.run("list", chromedp.Navigate(d.portal+"/replicators"), chromedp.WaitVisible(chromedp.ID("#new-replicator")), into(&list, chromedp.Text(chromedp.CSS("main"))))
	if n := strings.Count(list, "Clicked twice"); n != 1 {
		t.Fatalf("a double click made %d replicators:\n%s", n, list)
	}

	// A read-only admin, and a reset link for her.
	g.run("add an admin", chromedp.Navigate(d.portal+"/admins"), chromedp.WaitVisible(chromedp.ID("#admin-email")),
		chromedp.SendKeys(chromedp.ID("#admin-email"), "carla@example.nl"), chromedp.SetValue(chromedp.ID("#admin-role"), "read-only"),
		chromedp.Click(chromedp.ID("#add-admin")), chromedp.WaitVisible(chromedp.ID("#new-admin")))
	var admins string
	g.run("read admins", into(&admins, chromedp.Text(chromedp.ID("#admins"))))
	if !strings.Contains(admins, "carla@example.nl") || !strings.Contains(admins, "Read-only") || !strings.Contains(admins, "(you)") {
		t.Fatalf("the admins:\n%s", admins)
	}
	g.run("reset her password", chromedp.Click(chromedp.CSS(`#admins button[id^="reset-"]`)), chromedp.WaitVisible(chromedp.ID("#reset-link")))
	var link string
	g.run("read the link", into(&link, chromedp.Value(chromedp.ID("#reset-link-value"))))
	if !strings.HasPrefix(link, d.portal+"/reset/") {
		t.Fatalf("reset link %q", link)
	}
	shot("admins")
	g.run("narrow", chromedp.EmulateViewport(390, 844))
	g.run("reload narrow", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("#admins")))
	shot("admins-390")
	g.run("wide", chromedp.EmulateViewport(1280, 900))

	// Signing out, a wrong password, and the link.
	g.run("sign out", chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.ID("#email")))
	g.run("a wrong password", chromedp.SendKeys(chromedp.ID("#email"), d.email), chromedp.SendKeys(chromedp.ID("#password"), "not the password"),
		chromedp.Click(chromedp.ID("#signin")), chromedp.WaitVisible(chromedp.ID("#login-error")))
	g.run("open the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("#new-password")),
		chromedp.SendKeys(chromedp.ID("#new-password"), "carla's own password"), chromedp.SendKeys(chromedp.ID("#repeat-password"), "carla's own password"),
		chromedp.Click(chromedp.ID("#set-password")), chromedp.WaitVisible(chromedp.ID("#email")))
	signIn("carla@example.nl", "carla's own password")

	// Read-only: she sees a replicator and cannot pause it.
	g.run("open the replicator", chromedp.Click(chromedp.CSS(`main td a[href^="/replicators/"]`)), chromedp.WaitVisible(chromedp.CSS("[data-replicator]")))
	var refused string
	g.run("try a change", chromedp.Click(chromedp.ID("#confirm-delete")), chromedp.Click(chromedp.ID("#delete-button")), chromedp.WaitVisible(chromedp.ID("#message")),
		into(&refused, chromedp.Text(chromedp.ID("#message"))))
	if !strings.Contains(refused, "read-only") {
		t.Fatalf("a read-only admin's change: %q", refused)
	}

	g.run("audit log", chromedp.Navigate(d.portal+"/audit"), chromedp.WaitVisible(chromedp.ID("#audit")))
	var log string
	g.run("read the log", into(&log, chromedp.Text(chromedp.ID("#audit"))))
	for _, want := range []string{"created replicator Clicked twice", "added admin carla@example.nl", "made a password reset link for carla@example.nl",
		d.email + " signed out", "A sign-in as " + d.email + " failed", "carla@example.nl chose a new password with a reset link", "carla@example.nl signed in"} {
		if !strings.Contains(log, want) {
			t.Errorf("the audit log does not say %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, strings.TrimPrefix(link, d.portal+"/reset/")) || strings.Contains(log, "carla's own password") {
		t.Error("a secret is in the audit log")
	}
	var whenLines int
	g.run("the When column", into(&whenLines, chromedp.Evaluate[int](`(function () { var td = document.querySelector("#audit td.when"); var r = document.createRange(); r.selectNodeContents(td); return Math.round(r.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight)); })()`)))
	if whenLines != 1 {
		t.Errorf("the When column takes %d lines", whenLines)
	}
	shot("audit-log")
	g.run("narrow log", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("#audit")))
	var fits bool
	g.run("fits", into(&fits, chromedp.Evaluate[bool](`document.getElementById("audit").getBoundingClientRect().right <= window.innerWidth`)))
	if !fits {
		t.Error("the audit log is wider than a 390 px screen")
	}
	shot("audit-log-390")
}
