package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The replicator page's own story, its progress and its history, as the
// setup guide's walk meets them; and each main page on a phone's screen.

// checkOneStory checks, after Allow in the popup, that the badge, the
// text under it and the notices tell the same thing: authorized, waiting
// for the settings. The App Center link goes to the simulator's.
func (g *guide) checkOneStory(sim string) {
	g.t.Helper()
	var badge, page string
	var appCenter chromedp.AttributeResult
	g.waitFor("badge after allow", `document.getElementById("state").textContent === "awaiting settings"`, 15*time.Second)
	g.run("story after allow", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("#authorized")),
		into(&badge, chromedp.Text(chromedp.ID("#state"))),
		into(&page, chromedp.Text(chromedp.CSS("main"))),
		into(&appCenter, chromedp.AttributeValue(chromedp.ID("#app-center"), "href")))
	if badge != "awaiting settings" {
		g.t.Fatalf("after Allow the badge says %q", badge)
	}
	if strings.Contains(page, "Now click Authorize application") || strings.Contains(page, "awaiting authorization") {
		g.t.Fatalf("after Allow the page still asks for the authorization:\n%s", page)
	}
	if appCenter.Value != sim+"/appcenter" {
		g.t.Fatalf("the App Center link goes to %q, want the simulator's %s/appcenter", appCenter.Value, sim)
	}
	if strings.Count(page, "set, ending in …") != 1 {
		g.t.Fatalf("the page says how the secret ends %d times, want once", strings.Count(page, "set, ending in …"))
	}
}

// slowLargeDivision gives the division 2500 more accounts and makes
// Exact's sync answers slow, so the first load lasts long enough to be
// watched. It returns how many accounts the division has then.
func (g *guide) slowLargeDivision(division string) int {
	g.t.Helper()
	post := func(path string, body any) []byte {
		b, _ := json.Marshal(body)
		resp, err := http.Post(g.sim+path, "application/json", bytes.NewReader(b))
		if err != nil {
			g.t.Fatalf("simulator %s: %v", path, err)
		}
		defer resp.Body.Close()
		var out bytes.Buffer
		_, _ = out.ReadFrom(resp.Body)
		if resp.StatusCode >= 300 {
			g.t.Fatalf("simulator %s: %d %s", path, resp.StatusCode, out.String())
		}
		return out.Bytes()
	}
	post("/_sim/divisions/"+division+"/mutate", map[string]any{"entity": "accounts", "creates": 2500})
	post("/_sim/faults", map[string]any{"kind": "slow", "path": "sync/CRM/Accounts", "delay": "2s", "count": 3})
	var summary struct {
		Divisions []struct {
			Code     int `json:"code"`
			Accounts int `json:"accounts"`
		} `json:"divisions"`
	}
	resp, err := http.Get(g.sim + "/_sim/")
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&summary); err != nil {
		g.t.Fatalf("simulator summary: %v", err)
	}
	for _, d := range summary.Divisions {
		if fmt.Sprint(d.Code) == division {
			return d.Accounts
		}
	}
	g.t.Fatalf("the simulator has no division %s", division)
	return 0
}

// watchFirstLoad waits, during the first load, for the bar to move
// against Exact's count with a time left, and keeps a screenshot of it.
func (g *guide) watchFirstLoad(accounts int) {
	g.t.Helper()
	g.waitFor("first load progress", `(() => { const b = document.getElementById("progress-bar"); const p = document.getElementById("progress").textContent;
		return !!b && !document.getElementById("progress-box").hidden && b.value > 0 && b.max > 1 && p.includes(" left"); })()`, 40*time.Second)
	var progress, line string
	var max float64
	g.run("first load progress text", into(&progress, chromedp.Text(chromedp.ID("#progress"))),
		into(&line, chromedp.Text(chromedp.ID("directory-line"))),
		into(&max, chromedp.Evaluate[float64](`document.getElementById("progress-bar").max`)))
	g.screenshot(g.ctx, "first-load-progress")
	if !strings.HasPrefix(progress, "First load running: ") || !strings.Contains(progress, fmt.Sprintf(" of %d records read", accounts)) {
		g.t.Fatalf("during the first load the progress says %q, want the records read of %d", progress, accounts)
	}
	if int(max) != accounts {
		g.t.Fatalf("the bar's end is %v, want Exact's count %d", max, accounts)
	}
	if strings.Contains(line, "records in the directory") {
		g.t.Fatalf("during the first load the line above the bar shows counts as if current: %q", line)
	}
}

// checkHistory checks the history's chart and the freshness line after
// the first load, and keeps a screenshot of them.
func (g *guide) checkHistory() {
	g.t.Helper()
	var fresh, caption, trigger string
	var bars int
	g.run("history chart", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("#history-chart")),
		into(&fresh, chromedp.Text(chromedp.ID("freshness"))),
		into(&caption, chromedp.Text(chromedp.ID("history-chart-summary"))),
		into(&trigger, chromedp.Text(chromedp.CSS("#runs tbody tr td:nth-child(2)"))),
		into(&bars, chromedp.Evaluate[int](`document.querySelectorAll("#history-chart rect.chart-bar").length`)),
		chromedp.ScrollIntoView(chromedp.ID("#history")))
	g.screenshot(g.ctx, "history-chart")
	if !strings.HasPrefix(fresh, "In step with Exact Online as of ") || !strings.Contains(fresh, " ago") {
		g.t.Fatalf("freshness line %q", fresh)
	}
	if bars < 2 || !strings.Contains(caption, "records changed") {
		g.t.Fatalf("the history chart has %d bars and says %q", bars, caption)
	}
	if trigger != "first load" {
		g.t.Fatalf("the first sync after Save is labelled %q", trigger)
	}
}

// narrowScreenshots shows the main pages on a 390 px wide phone: the
// navigation must fit, and nothing may be wider than the screen.
func (g *guide) narrowScreenshots(repURL string) {
	g.t.Helper()
	g.run("narrow screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	defer g.run("wide screen", chromedp.EmulateReset())
	for _, p := range []struct{ name, url, wait string }{
		{"narrow-replicators", g.portal + "/replicators", "#replicators"},
		{"narrow-replicator", repURL, "#sync"},
		{"narrow-directory", g.portal + "/directory", "#q"},
		{"narrow-notifications", g.portal + "/notifications", "main h1"},
	} {
		var wide bool
		g.run(p.name, chromedp.Navigate(p.url), chromedp.WaitVisible(chromedp.CSS(p.wait)),
			into(&wide, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)))
		g.screenshot(g.ctx, p.name)
		if wide {
			g.t.Errorf("%s is wider than a 390 px screen", p.url)
		}
	}
}
