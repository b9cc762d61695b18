package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
)

// browserPath finds Chromium. CI installs Debian's package; elsewhere,
// without it, the browser test is skipped.
func browserPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// guide is a browser walking the setup guide against "roger demo".
type guide struct {
	t        *testing.T
	ctx      context.Context
	portal   string // roger's base URL
	sim      string // the simulator's base URL
	shots    string // where screenshots go
	shotNum  int
	email    string
	password string
}

// demo is a running "roger demo".
type demo struct {
	portal, sim, email, password, apiKey string
	stop                                 func() error
}

// startDemo runs "roger demo" in-process on free ports with its data in
// dataDir; it is stopped when the test ends, if not before.
func startDemo(t *testing.T, dataDir string, args ...string) *demo {
	t.Helper()
	return startDemoWith(t, func(string) string { return "" }, dataDir, args...)
}

// startDemoWith is startDemo with the environment getenv.
func startDemoWith(t *testing.T, getenv func(string) string, dataDir string, args ...string) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	ready := make(chan string, 1)
	m := &Main{Stdout: out, Stderr: out, Ready: func(addr string) { ready <- addr }, Getenv: getenv}
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, append([]string{"demo", "--addr", "127.0.0.1:0", "--exactsim-addr", "127.0.0.1:0", "--data-dir", dataDir}, args...))
	}()
	var once sync.Once
	var runErr error
	d := &demo{stop: func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("roger demo ended with %v", err)
		}
	})
	select {
	case addr := <-ready:
		d.portal = "http://" + addr
	case err := <-done:
		t.Fatalf("roger demo ended before it listened: %v\n%s", err, out)
	case <-time.After(60 * time.Second):
		t.Fatalf("roger demo did not start within 60 s\n%s", out)
	}
	banner := out.String()
	m1 := regexp.MustCompile(`Sign in:\s+(\S+) / (\S+)`).FindStringSubmatch(banner)
	m2 := regexp.MustCompile(`Exact Online:\s+(http://\S+)`).FindStringSubmatch(banner)
	if m1 == nil || m2 == nil || !strings.Contains(banner, "Open "+d.portal) {
		t.Fatalf("the demo banner does not say where to go and how to sign in:\n%s", banner)
	}
	m3 := regexp.MustCompile(`Bearer (rgr_\S+)'`).FindStringSubmatch(banner)
	if m3 == nil {
		t.Fatalf("the demo banner has no API key:\n%s", banner)
	}
	d.email, d.password, d.sim, d.apiKey = m1[1], m1[2], m2[1], m3[1]
	return d
}

func (g *guide) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		g.screenshot(g.ctx, "failed-"+step)
		var loc, body string
		_ = chromedp.Do(g.ctx, into(&loc, chromedp.Location()), into(&body, chromedp.Text(chromedp.CSS("body"))))
		g.t.Fatalf("step %q: %v\nat %s:\n%s", step, err, loc, body)
	}
}

// waitFor evaluates js until it is true. The page reloads itself when a
// sync ends, which cuts an evaluation short: such errors mean "not yet".
func (g *guide) waitFor(step, js string, timeout time.Duration) {
	g.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
		err := chromedp.Do(ctx, into(&ok, chromedp.Evaluate[bool](js)))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			g.run(step, chromedp.Func(func(context.Context, *chromedp.Target) error {
				return fmt.Errorf("not true after %s: %s (last error: %v)", timeout, js, err)
			}))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// screenshot saves the page as NN-name.png.
func (g *guide) screenshot(ctx context.Context, name string) {
	g.shotNum++
	var png []byte
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, into(&png, chromedp.FullScreenshot(100))); err != nil {
		g.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(g.shots, fmt.Sprintf("%02d-%s.png", g.shotNum, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		g.t.Logf("screenshot %s: %v", name, err)
	}
}

// needBrowser returns the path of Chromium, or skips the test without
// one; under CI a missing browser fails it instead.
func needBrowser(t *testing.T) string {
	t.Helper()
	chrome := browserPath()
	if chrome == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run the browser test, and there is no Chromium: .ci/run installs Debian's chromium package")
		}
		t.Skip("no Chromium on this machine (apt-get install chromium)")
	}
	return chrome
}

// browse starts Chromium at chrome for a walk through demo d that must
// end within timeout, with screenshots in $ROGER_SCREENSHOTS (default: a
// temporary directory). The browser closes when the test ends.
func browse(t *testing.T, chrome string, d *demo, timeout time.Duration) *guide {
	t.Helper()
	shots := os.Getenv("ROGER_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	ctx, cancelAll := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelAll)
	// The first Run starts the browser; it lives as long as its context,
	// so it must not be one of the per-step timeouts.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &guide{t: t, ctx: ctx, portal: d.portal, sim: d.sim, shots: shots, email: d.email, password: d.password}
}

// TestSetupGuideInBrowser walks ../shared/seed/exact-online-setup-guide.txt
// in headless Chromium against "roger demo": sign in, create a replicator,
// register an app in the simulator's App Center with the copied Redirect
// URL, paste Client ID and Secret, authorize in the popup, find the
// division on a relation's page, fill in Contact URL and Country Code,
// wait for the first sync, look a caller up and follow the CRM link.
// Screenshots go to $ROGER_SCREENSHOTS (default: a temporary directory).
func TestSetupGuideInBrowser(t *testing.T) {
	chrome := needBrowser(t)
	d := startDemo(t, t.TempDir(), "--records", "250", "--activity", "0")
	portal, sim, email, password := d.portal, d.sim, d.email, d.password
	g := browse(t, chrome, d, 4*time.Minute)
	ctx := g.ctx

	// 1. Sign in.
	g.run("open portal", chromedp.Navigate(portal), chromedp.WaitVisible(chromedp.ID("#email")))
	g.screenshot(ctx, "sign-in")
	g.run("sign in",
		chromedp.SendKeys(chromedp.ID("#email"), email),
		chromedp.SendKeys(chromedp.ID("#password"), password),
		chromedp.Click(chromedp.ID("#signin")),
		chromedp.WaitVisible(chromedp.ID("#new-replicator")))
	g.screenshot(ctx, "replicators-empty")

	// 2. Create a replicator for accounts on the simulator.
	g.run("new replicator",
		chromedp.Click(chromedp.ID("#new-replicator")),
		chromedp.WaitVisible(chromedp.ID("#name")),
		chromedp.SendKeys(chromedp.ID("#name"), "Exact accounts"),
		chromedp.Click(chromedp.ID("#entity-accounts")),
		chromedp.SetValue(chromedp.ID("#exact_url"), sim))
	g.screenshot(ctx, "new-replicator")
	var redirectURL string
	g.run("create replicator",
		chromedp.Click(chromedp.ID("#create")),
		chromedp.WaitVisible(chromedp.ID("#redirect-url")),
		into(&redirectURL, chromedp.Value(chromedp.ID("#redirect-url"))))
	if !strings.HasPrefix(redirectURL, portal+"/oauth/exact/") || !strings.HasSuffix(redirectURL, "/callback") {
		t.Fatalf("Redirect URL %q is not the replicator's callback on %s", redirectURL, portal)
	}
	g.screenshot(ctx, "replicator-created")
	repURL := ""
	g.run("replicator URL", into(&repURL, chromedp.Location()))
	repURL = strings.SplitN(repURL, "?", 2)[0]

	// 3. Register an app in the App Center with the copied Redirect URL.
	var clientID, clientSecret string
	g.run("app center sign-in",
		chromedp.Navigate(sim+"/appcenter"),
		chromedp.WaitVisible(chromedp.ID("#username")),
		chromedp.SendKeys(chromedp.ID("#username"), "demo"),
		chromedp.SendKeys(chromedp.ID("#password"), "demo"),
		chromedp.Click(chromedp.ID("#login")),
		chromedp.WaitVisible(chromedp.ID("#register")),
		chromedp.Click(chromedp.ID("#register")),
		chromedp.WaitVisible(chromedp.ID("#redirect_uri")),
		chromedp.SendKeys(chromedp.ID("#name"), "ROGER365.io – accounts"),
		chromedp.SendKeys(chromedp.ID("#redirect_uri"), redirectURL),
		chromedp.Click(chromedp.ID("#terms")))
	g.screenshot(ctx, "appcenter-register")
	g.run("register app",
		chromedp.Click(chromedp.ID("#save")),
		chromedp.WaitVisible(chromedp.ID("#client-id")),
		into(&clientID, chromedp.Text(chromedp.ID("#client-id"))),
		into(&clientSecret, chromedp.Text(chromedp.ID("#client-secret"))))
	g.screenshot(ctx, "appcenter-app")

	// 4. Paste Client ID and Secret; the secret is not shown again.
	g.run("paste credentials",
		chromedp.Navigate(repURL),
		chromedp.WaitVisible(chromedp.ID("#client_id")),
		chromedp.SendKeys(chromedp.ID("#client_id"), clientID),
		chromedp.SendKeys(chromedp.ID("#client_secret"), clientSecret),
		chromedp.Click(chromedp.ID("#save-credentials")),
		chromedp.WaitVisible(chromedp.ID("#authorize-button")))
	var page string
	g.run("read page", into(&page, chromedp.OuterHTML(chromedp.CSS("html"))))
	if strings.Contains(page, clientSecret) {
		t.Fatal("the replicator page shows the Client Secret after saving")
	}
	if !strings.Contains(page, "set, ending in …"+clientSecret[len(clientSecret)-4:]) {
		t.Fatal("the replicator page does not say the secret is set and how it ends")
	}
	g.screenshot(ctx, "credentials-saved")

	// 5. Authorize application: a popup with Exact's login and consent.
	popupCh := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return info.URL != "" })
	g.run("click authorize", chromedp.Click(chromedp.ID("#authorize-button")))
	var popupID = <-popupCh
	popup, cancelPopup := chromedp.NewContext(ctx, chromedp.WithTargetID(popupID))
	defer cancelPopup()
	if err := chromedp.Do(popup); err != nil {
		t.Fatalf("attach to the popup: %v", err)
	}
	pg := &guide{t: t, ctx: popup, shots: g.shots, shotNum: g.shotNum}
	// The browser signed in to Exact in the App Center already, so Exact
	// may go straight to its consent page; otherwise it asks to sign in.
	var needLogin bool
	pg.run("exact page in popup",
		chromedp.WaitVisible(chromedp.CSS("#username, #allow")),
		into(&needLogin, chromedp.Evaluate[bool](`document.querySelector("#username") !== null`)))
	if needLogin {
		pg.run("exact login in popup",
			chromedp.SendKeys(chromedp.ID("#username"), "demo"),
			chromedp.SendKeys(chromedp.ID("#password"), "demo"))
		pg.screenshot(popup, "popup-exact-login")
		pg.run("sign in to exact", chromedp.Click(chromedp.ID("#login")), chromedp.WaitVisible(chromedp.ID("#allow")))
	}
	pg.screenshot(popup, "popup-consent")
	var result string
	pg.run("allow", chromedp.Click(chromedp.ID("#allow")), chromedp.WaitVisible(chromedp.ID("#result")), into(&result, chromedp.Text(chromedp.ID("#message"))))
	pg.screenshot(popup, "popup-authorized")
	g.shotNum = pg.shotNum
	if result != "Authorized. You can close this window." {
		t.Fatalf("popup says %q", result)
	}
	// The opener updates itself.
	g.run("opener shows authorized", chromedp.WaitVisible(chromedp.ID("#authorized")))
	g.screenshot(ctx, "authorized")
	cancelPopup()
	g.checkOneStory(sim)

	// 6. The division id from a relation's link in Exact.
	var rows [][]string
	g.run("relations",
		chromedp.Navigate(sim+"/docs/MenuPortal.aspx"),
		chromedp.WaitVisible(chromedp.CSS(`a[href*="CRMAccounts.aspx"]`)),
		chromedp.Click(chromedp.CSS(`a[href*="CRMAccounts.aspx"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a.relation`)),
		// The relations with a phone number of at least eight digits.
		into(&rows, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("tr")).map(tr => [tr.querySelector("a.relation"), tr.querySelectorAll("td")])
			.filter(([a, tds]) => a && tds.length >= 4 && tds[3].textContent.replace(/\D/g, "").length >= 8)
			.map(([a, tds]) => [a.href, tds[3].textContent.trim()])`)))
	// The caller: the first of them whose number is a valid one of its
	// country (the card's address ends in the country code).
	var relationName, cardURL, phoneText, caller string
	for _, row := range rows {
		var address string
		g.run("open relation", chromedp.Navigate(row[0]), chromedp.WaitVisible(chromedp.ID("#card-name")),
			into(&relationName, chromedp.Text(chromedp.ID("#card-name"))), into(&cardURL, chromedp.Location()),
			into(&address, chromedp.Text(chromedp.Search(`//dt[text()="Address"]/following-sibling::dd[1]`))))
		fields := strings.Fields(address)
		if len(fields) == 0 {
			continue
		}
		country := fields[len(fields)-1]
		if n, ok := phone.ParseNumber(row[1], "Phone", "", country); ok && n.Status == roger.NumberOK && n.Extension == "" {
			phoneText, caller = row[1], n.E164
			if country != "NL" {
				// A number written without its country code only means
				// something with that country; the telephony sends E.164.
				phoneText = n.E164
			}
			break
		}
	}
	if caller == "" {
		t.Fatalf("no relation with a valid phone number among %d in the simulator's list", len(rows))
	}
	g.screenshot(ctx, "exact-relation")
	u, _ := url.Parse(cardURL)
	division := u.Query().Get("_Division_")
	if division == "" {
		t.Fatalf("no _Division_ in %s", cardURL)
	}

	// 7. Contact URL and Country Code; saving starts the first sync.
	template := sim + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=" + division
	// The setup guide's template, copied with its stray space.
	g.run("contact url",
		chromedp.Navigate(repURL),
		chromedp.WaitVisible(chromedp.ID("#contact_url")),
		retype("#contact_url", strings.Replace(template, "&_Division_", " &_Division_", 1)),
		chromedp.WaitVisible(chromedp.CSS("#contact-url-check .error")))
	var checkText string
	g.run("bad template message", into(&checkText, chromedp.Text(chromedp.ID("#contact-url-check"))))
	if !strings.Contains(checkText, "Remove the space before &_Division_=") {
		t.Fatalf("live check of a bad template says %q", checkText)
	}
	g.screenshot(ctx, "contact-url-refused")
	g.run("good template",
		retype("#contact_url", template),
		chromedp.WaitVisible(chromedp.CSS("#contact-url-check .ok")),
		// Before the first sync, the example is a record read from Exact.
		chromedp.WaitVisible(chromedp.ID("#contact-url-example")),
		into(&checkText, chromedp.Text(chromedp.ID("#contact-url-check"))),
		retype("#country", "+31"))
	if !strings.Contains(checkText, "Looks right: the account card in division "+division) || !strings.Contains(checkText, "Example for ") {
		t.Fatalf("live check of the right template says %q", checkText)
	}
	g.screenshot(ctx, "settings")
	accounts := g.slowLargeDivision(division)
	g.run("save settings", chromedp.Click(chromedp.ID("#save-settings")), chromedp.WaitVisible(chromedp.ID("#sync-now")))
	g.watchFirstLoad(accounts)

	// 8. The first sync finishes on its own; the page shows its progress
	// and then the run in the history.
	g.waitFor("first sync", `(() => { const c = document.querySelector("#runs tbody tr td:nth-child(4)"); return !!c && c.textContent.startsWith("ok"); })()`, 50*time.Second)
	// The progress line, filled from the run the page polls.
	var progress string
	g.waitFor("progress", `document.getElementById("progress").textContent.startsWith("First load")`, 20*time.Second)
	g.run("progress text", into(&progress, chromedp.Text(chromedp.ID("#progress"))))
	if !strings.Contains(progress, "records read") || !strings.Contains(progress, "API calls") {
		t.Fatalf("progress line %q", progress)
	}
	g.screenshot(ctx, "synced")
	g.checkHistory()
	var state string
	g.run("state", into(&state, chromedp.Text(chromedp.ID("#state"))))
	if state != "active" {
		t.Fatalf("after the first sync the replicator is %q", state)
	}
	// Webhooks: the app's webhook secret, from its page in the App
	// Center, pasted in step 2; the replicator subscribes at once.
	var hookSecret, hooks string
	g.run("webhook secret", chromedp.Navigate(sim+"/appcenter/apps/"+clientID), chromedp.WaitVisible(chromedp.ID("#webhook-secret")),
		into(&hookSecret, chromedp.Text(chromedp.ID("#webhook-secret"))))
	g.run("paste webhook secret", chromedp.Navigate(repURL), chromedp.WaitVisible(chromedp.ID("#webhook_secret")),
		chromedp.SendKeys(chromedp.ID("#webhook_secret"), hookSecret), chromedp.Click(chromedp.ID("#save-credentials")),
		chromedp.WaitVisible(chromedp.ID("#authorize-button")))
	g.waitFor("webhooks on", `document.getElementById("webhooks").textContent.startsWith("Webhooks: on")`, 20*time.Second)
	g.run("webhooks line", into(&hooks, chromedp.Text(chromedp.ID("#webhooks"))), into(&page, chromedp.OuterHTML(chromedp.CSS("html"))))
	if hookSecret == "" || strings.Contains(page, hookSecret) {
		t.Fatalf("the webhook secret %q is empty or shown on the replicator page", hookSecret)
	}
	g.screenshot(ctx, "webhooks-on")
	var records string
	g.run("replicator list", chromedp.Navigate(portal+"/replicators"), chromedp.WaitVisible(chromedp.ID("#replicators")),
		into(&records, chromedp.Text(chromedp.CSS("#replicators tbody tr td:nth-child(5)"))))
	g.screenshot(ctx, "replicators")
	if records != strconv.Itoa(accounts) {
		t.Fatalf("the list shows %q records, want the %d accounts of division %s", records, accounts, division)
	}
	g.lookUp(relationName, phoneText, caller, division)
	g.narrowScreenshots(repURL)
}

// retype empties an input and types value into it, as a person would.
func retype(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)),
		chromedp.SendKeys(chromedp.CSS(sel), value),
	)
}

// into runs a and keeps its value in dst, so that a step can read values
// among actions that return none.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// lookUp searches the directory for the caller's number as a person
// would type it, checks the match and follows the CRM link to the card.
func (g *guide) lookUp(name, number, e164, division string) {
	g.t.Helper()
	var got, rule, understood string
	var linkAttr chromedp.AttributeResult
	g.run("directory search",
		chromedp.Navigate(g.portal+"/directory"),
		chromedp.WaitVisible(chromedp.ID("#q")),
		chromedp.SendKeys(chromedp.ID("#q"), number),
		chromedp.Click(chromedp.ID("#search")),
		chromedp.WaitVisible(chromedp.CSS(".match")),
		into(&got, chromedp.Text(chromedp.CSS(".match .name"))),
		into(&rule, chromedp.Text(chromedp.CSS(".match .rule"))),
		into(&linkAttr, chromedp.AttributeValue(chromedp.CSS(".match a.crm"), "href")),
		into(&understood, chromedp.Text(chromedp.ID("#e164"))))
	g.screenshot(g.ctx, "directory-lookup")
	link := linkAttr.Value
	if got != name || understood != e164 || !strings.Contains(link, "_Division_="+division) || rule == "" {
		g.t.Fatalf("looking up %q (read as %s) found %q (rule %q, link %s), want %q (%s) in division %s", number, understood, got, rule, link, name, e164, division)
	}
	var card string
	g.run("follow CRM link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("#card-name")),
		into(&card, chromedp.Text(chromedp.ID("#card-name"))))
	g.screenshot(g.ctx, "crm-card")
	if card != name {
		g.t.Fatalf("the CRM link opened the card of %q, want %q", card, name)
	}

	// The screen pop a softphone opens, with the link the portal hands out.
	var popLink, popName string
	g.run("screen-pop link",
		chromedp.Navigate(g.portal+"/integrations"),
		chromedp.WaitVisible(chromedp.ID("#pop-link")),
		into(&popLink, chromedp.Value(chromedp.ID("#pop-link"))))
	g.screenshot(g.ctx, "integrations")
	g.run("screen pop",
		chromedp.Navigate(strings.Replace(popLink, "{number}", url.QueryEscape(number), 1)),
		chromedp.WaitVisible(chromedp.CSS(".match .name")),
		into(&popName, chromedp.Text(chromedp.CSS(".match .name"))))
	g.screenshot(g.ctx, "screen-pop")
	if popName != name {
		g.t.Fatalf("the screen pop shows %q, want %q", popName, name)
	}
}
