package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/phone"
)

// TestQualityReportInBrowser shows a replicator's data-quality report and
// the Country Code dry run in headless Chromium against "roger demo",
// with records written into the demo's directory as a sync would. With
// ROGER_SCREENSHOTS=DIR it saves quality-report.png and
// country-preview.png there.
func TestQualityReportInBrowser(t *testing.T) {
	chrome := needBrowser(t)
	dataDir := t.TempDir()
	d := startDemo(t, dataDir, "--records", "10", "--activity", "0")
	repID := seedQualityRecords(t, dataDir, d.sim)
	g := browse(t, chrome, d, 2*time.Minute)
	shot := func(name string) {
		var png []byte
		g.run("screenshot "+name, into(&png, chromedp.FullScreenshot(100)))
		if err := os.WriteFile(filepath.Join(g.shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := d.portal + "/replicators/" + strconv.FormatInt(repID, 10)

	g.run("sign in", chromedp.Navigate(d.portal), chromedp.WaitVisible(chromedp.ID("#email")),
		chromedp.SendKeys(chromedp.ID("#email"), d.email), chromedp.SendKeys(chromedp.ID("#password"), d.password),
		chromedp.Click(chromedp.ID("#signin")), chromedp.WaitVisible(chromedp.ID("#new-replicator")))

	// The replicator page's summary leads to the report.
	g.run("replicator page", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("#quality-summary")), chromedp.Click(chromedp.ID("#quality-report")),
		chromedp.WaitVisible(chromedp.ID("#quality-rows")))
	var report string
	g.run("read the report", into(&report, chromedp.Text(chromedp.CSS("main"))))
	for _, want := range []string{"Too short", "Bakkerij de Vries", "zie e-mail", "Shared by several records", "Download the whole report as CSV"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	shot("quality-report")

	// Typing another Country Code shows what it would change, before Save.
	g.run("type a country", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("#country")), retype("#country", "BE"))
	g.waitFor("country preview", `document.getElementById("country-preview").textContent.includes("With BE instead of NL")`, 30*time.Second)
	var preview string
	g.run("read the preview", into(&preview, chromedp.Text(chromedp.ID("#country-preview"))))
	if !strings.Contains(preview, "03 870 23 00: too short → +3238702300") {
		t.Errorf("the preview lacks the Antwerp example:\n%s", preview)
	}
	g.run("show the preview", chromedp.ScrollIntoView(chromedp.ID("#country")))
	shot("country-preview")
}

// seedQualityRecords adds a contacts replicator to the demo's organisation
// with records whose numbers have each kind of problem, read with NL as a
// sync reads them, and returns its id.
func seedQualityRecords(t *testing.T, dataDir, sim string) int64 {
	t.Helper()
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
		if k == "ROGER_DATA_DIR" {
			return dataDir
		}
		return ""
	}}
	a, err := m.openApp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	org, err := a.store.FindOrganizationByName(ctx, "Demo")
	if err != nil {
		t.Fatal(err)
	}
	rep := &roger.Replicator{OrgID: org.ID, Name: "Exact contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts, ExactURL: sim,
		Division: 123456, ContactURL: sim + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456", DefaultCountry: "NL",
		Interval: 5 * time.Minute, State: roger.StatePaused}
	if err := a.store.CreateReplicator(ctx, rep); err != nil {
		t.Fatal(err)
	}
	records := []struct{ name, company, phone, mobile string }{
		{"Bakkerij de Vries", "De Vries B.V.", "12", "06 12345678"},
		{"Garage Janssen", "Janssen Auto's", "020 123 4567", "zie e-mail"},
		{"Els Peeters", "Brouwerij Antwerpen", "03 870 23 00", ""},
		{"Hans Müller", "Müller GmbH", "030 12345678", ""},
		{"Anna van Dijk", "Voorbeeld B.V.", "020 123 4567", "06 87654321"},
		{"Piet Jansen", "Voorbeeld B.V.", "+31 20 123 4567", "06-1234"},
	}
	var entries []roger.Entry
	for i, r := range records {
		e := roger.Entry{Kind: roger.KindContact, SourceID: "0b8a1c2e-0000-4000-8000-00000000000" + strconv.Itoa(i), CompanyID: "c" + strconv.Itoa(i),
			DisplayName: r.name, CompanyName: r.company, SourceTimestamp: int64(i + 1), Country: "NL", CountryFrom: roger.CountryFromReplicator}
		for _, f := range []struct{ field, raw string }{{"Phone", r.phone}, {"Mobile", r.mobile}} {
			if n, ok := phone.ParseNumber(f.raw, f.field, "", "NL"); ok {
				n.National = !strings.HasPrefix(f.raw, "+")
				e.Numbers = append(e.Numbers, n)
			}
		}
		entries = append(entries, e)
	}
	if _, err := a.store.ApplyPage(ctx, roger.Page{ReplicatorID: rep.ID, OrgID: org.ID, Upserts: entries}); err != nil {
		t.Fatal(err)
	}
	return rep.ID
}
