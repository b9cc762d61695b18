package web

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/phone"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// The replicator page's data-quality list shows records whose text was
// cleaned, with what was changed, and records the database refused, with
// their Exact id and why; the run's history counts those set aside.
func TestReplicatorPageListsCleanedAndSetAsideRecords(t *testing.T) {
	ctx := t.Context()
	clk := clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "roger.db")
	store, _ := storetest.Open(t, path, clk)
	// The database itself refuses one record, as a constraint would.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN NEW.source_id = 'refused-id' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	org := &roger.Organization{Name: "Alpha", DefaultCountry: "NL"}
	if err := store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	rep := &roger.Replicator{OrgID: org.ID, Name: "Alpha contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts,
		ExactURL: "https://start.exactonline.nl", Interval: 5 * time.Minute, State: roger.StateActive}
	if err := store.CreateReplicator(ctx, rep); err != nil {
		t.Fatal(err)
	}
	res, err := store.ApplyPage(ctx, roger.Page{ReplicatorID: rep.ID, OrgID: org.ID, Upserts: []roger.Entry{
		{Kind: roger.KindContact, SourceID: "cleaned-id", DisplayName: "Nul\uFFFDByte", SourceTimestamp: 1, Cleaned: []string{"FirstName: a NUL byte, replaced by \uFFFD"}},
		{Kind: roger.KindContact, SourceID: "refused-id", DisplayName: "Refused Record", SourceTimestamp: 2},
		{Kind: roger.KindContact, SourceID: "fine-id", DisplayName: "Fine Record", SourceTimestamp: 3},
	}})
	if err != nil || res.SetAside != 1 || res.Created != 2 {
		t.Fatalf("apply: %+v %v", res, err)
	}
	run := &roger.SyncRun{ReplicatorID: rep.ID, Trigger: roger.TriggerManual}
	if err := store.CreateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Outcome, run.SetAside, run.Ended = roger.OutcomeOK, res.SetAside, clk.Now()
	if err := store.UpdateSyncRun(ctx, run); err != nil {
		t.Fatal(err)
	}

	srv := &Server{Store: store, Clock: clk, RedirectURL: func(id int64) string { return "https://roger.example.com/oauth/exact/1/callback" }}
	srv.Handler() // loads the templates
	sess := &roger.Session{OrgID: org.ID, Email: "alpha@example.nl"}
	v, err := srv.replicatorView(ctx, rep, sess)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.renderReplicator(rec, httptest.NewRequest(http.MethodGet, "/replicators/1", nil), http.StatusOK, sess, v)
	text := page{body: rec.Body.String()}.text()
	for _, want := range []string{"Text that was cleaned", "Nul\uFFFDByte", "FirstName: a NUL byte, replaced by \uFFFD",
		"Records set aside", "Refused Record", "refused-id", "The database refused one of its values.", "1 set aside"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replicator page does not show %q", want)
		}
	}
	if strings.Contains(text, "Fine Record") {
		t.Error("a record without a problem is in the data-quality list")
	}
}

// seedQuality stores entries of rep, their numbers read with NL as the
// sync reads them.
func (p *portal) seedQuality(rep *roger.Replicator, entries ...roger.Entry) {
	p.t.Helper()
	for i := range entries {
		e := &entries[i]
		if e.Kind == "" {
			e.Kind = roger.KindContact
		}
		e.CompanyID = "acc-" + e.SourceID
		e.SourceTimestamp = int64(i + 1)
	}
	if _, err := p.store.ApplyPage(t0(p.t), roger.Page{ReplicatorID: rep.ID, OrgID: rep.OrgID, Upserts: entries}); err != nil {
		p.t.Fatal(err)
	}
}

func t0(t *testing.T) context.Context { return t.Context() }

func nl(t *testing.T, field string, raws ...string) []roger.Number {
	t.Helper()
	var out []roger.Number
	for _, raw := range raws {
		n, _ := phone.ParseNumber(raw, field, "", "NL")
		out = append(out, n)
	}
	return out
}

func TestQualityReportPagesFiltersAndDownloads(t *testing.T) {
	p := newPortal(t)
	ctx := t.Context()
	p.repA.ContactURL, p.repA.Division, p.repA.DefaultCountry = "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=7", 7, "NL"
	if err := p.store.UpdateReplicator(ctx, p.repA); err != nil {
		t.Fatal(err)
	}
	accounts := &roger.Replicator{OrgID: p.orgA.ID, Name: "Alpha accounts", Source: roger.SourceExactOnline, Entity: roger.Accounts,
		ExactURL: "https://start.exactonline.nl", Interval: 5 * time.Minute, State: roger.StateDraft}
	if err := p.store.CreateReplicator(ctx, accounts); err != nil {
		t.Fatal(err)
	}
	var entries []roger.Entry
	for i := range 120 {
		entries = append(entries, roger.Entry{SourceID: fmt.Sprintf("short-%03d", i), DisplayName: fmt.Sprintf("Short %03d", i), Numbers: nl(t, "Phone", "12")})
	}
	entries = append(entries,
		roger.Entry{SourceID: "letters", DisplayName: "=HYPERLINK(\"http://x\")", CompanyName: "Letters B.V.", Numbers: nl(t, "Mobile", "zie e-mail")},
		roger.Entry{SourceID: "shared", DisplayName: "Piet Gedeeld", Numbers: nl(t, "Phone", "+31 20 123 4567")})
	p.seedQuality(p.repA, entries...)
	p.seedQuality(accounts, roger.Entry{Kind: roger.KindAccount, SourceID: "acc", DisplayName: "Gedeeld B.V.", Numbers: nl(t, "Phone", "020-1234567")})
	// Another organisation's records share nothing with these.
	p.seedQuality(p.repB, roger.Entry{SourceID: "beta", DisplayName: "Beta Gedeeld", Numbers: nl(t, "Phone", "0201234567", "zie e-mail")})

	a := p.admin("Alpha")
	base := "/replicators/" + itoa(p.repA.ID)
	show := a.get(base)
	for _, want := range []string{">Too short</a></td><td class=\"num\">120 records<", ">Letters or not a phone number</a></td><td class=\"num\">1 record<",
		">Shared by several records</a></td><td class=\"num\">1 number<", ">Open the data-quality report<"} {
		if !strings.Contains(show.body, want) {
			t.Errorf("the replicator page's summary lacks %q", want)
		}
	}

	// Every group on one list, 50 records a page, forwards and back.
	first := a.get(base + "/quality")
	if first.status != http.StatusOK || strings.Count(first.body, "CRMContactCard.aspx?_ID=%7bshort-") != 50 || strings.Contains(first.body, "quality-prev") {
		t.Fatalf("first page: %d, %d rows\n%s", first.status, strings.Count(first.body, "_ID=%7bshort-"), first.text())
	}
	next := linkOf(t, first.body, "quality-next")
	second := a.get(next)
	third := a.get(linkOf(t, second.body, "quality-next"))
	if !strings.Contains(third.text(), "Short 119") || !strings.Contains(third.text(), "Letters B.V.") || strings.Contains(third.body, "quality-next") {
		t.Errorf("the last page: %s", third.text())
	}
	back := a.get(linkOf(t, third.body, "quality-prev"))
	if withoutFormTokens(back.body) != withoutFormTokens(second.body) {
		t.Error("going back does not give the page that came before")
	}
	if again := a.get(linkOf(t, back.body, "quality-prev")); strings.Contains(again.body, "quality-prev") || !strings.Contains(again.text(), "Short 000") {
		t.Errorf("back at the first page: %s", again.text())
	}

	// One group at a time.
	letters := a.get(base + "/quality?group=not-a-number")
	if strings.Contains(letters.text(), "Short 0") || !strings.Contains(letters.text(), "zie e-mail") || strings.Contains(letters.text(), "Beta") {
		t.Errorf("letters: %s", letters.text())
	}
	shared := a.get(base + "/quality?group=shared")
	for _, want := range []string{"+31201234567", "Piet Gedeeld", "Gedeeld B.V.", "from Alpha accounts", "held by 2 records"} {
		if !strings.Contains(shared.text(), want) {
			t.Errorf("the shared numbers lack %q: %s", want, shared.text())
		}
	}
	if strings.Contains(shared.text(), "Beta Gedeeld") {
		t.Error("another organisation's record is listed as sharing a number")
	}
	if bad := a.get(base + "/quality?group=nonsense"); bad.status != http.StatusBadRequest || !strings.Contains(bad.text(), "not a data-quality group; use one of too-short") {
		t.Errorf("an unknown group: %d %s", bad.status, bad.text())
	}
	if bad := a.get(base + "/quality?after=x"); bad.status != http.StatusBadRequest || !strings.Contains(bad.text(), "open the report from the replicator's page") {
		t.Errorf("a damaged page link: %d %s", bad.status, bad.text())
	}

	// The whole report as CSV.
	resp, err := a.client.Get(p.srv.URL + base + "/quality.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.HasSuffix(cd, ".csv\"") ||
		resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("headers: %v", resp.Header)
	}
	text, ok := strings.CutPrefix(string(body), "\uFEFF")
	records, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if !ok || err != nil {
		t.Fatalf("CSV (BOM %v): %v", ok, err)
	}
	if len(records) != 1+120+1+2 || records[0][0] != "group" {
		t.Fatalf("%d CSV rows, want a header and 123", len(records))
	}
	if row := records[121]; row[1] != `'=HYPERLINK("http://x")` || row[6] != "zie e-mail" || row[9] != "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7bletters%7d&_Division_=7" {
		t.Errorf("letters row: %q", row)
	}
}

// linkOf returns the href of the link with id in a page.
func linkOf(t *testing.T, body, id string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `href="`)
	for ok {
		var href string
		href, rest, _ = strings.Cut(rest, `"`)
		if strings.HasPrefix(rest, ` id="`+id+`"`) {
			return html.UnescapeString(href)
		}
		_, rest, ok = strings.Cut(rest, `href="`)
	}
	t.Fatalf("no link %s", id)
	return ""
}

func TestCountryPreview(t *testing.T) {
	p := newPortal(t)
	p.repA.DefaultCountry = "DE"
	if err := p.store.UpdateReplicator(t.Context(), p.repA); err != nil {
		t.Fatal(err)
	}
	de := func(raw string) []roger.Number {
		n, _ := phone.ParseNumber(raw, "Phone", "", "DE")
		n.National = true
		return []roger.Number{n}
	}
	p.seedQuality(p.repA,
		roger.Entry{SourceID: "berlin", DisplayName: "Berlin", Numbers: de("030 1234567")},
		roger.Entry{SourceID: "long", DisplayName: "Berlin lang", Numbers: de("030 12345678")},
		roger.Entry{SourceID: "intl", DisplayName: "International", Numbers: nl(t, "Phone", "+31 20 765 4321")})
	a := p.admin("Alpha")
	preview := func(country string) map[string]any {
		t.Helper()
		pg := a.get("/replicators/" + itoa(p.repA.ID) + "/country-preview?country=" + url.QueryEscape(country))
		var out map[string]any
		if err := json.Unmarshal([]byte(pg.body), &out); pg.status != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %v %s", country, pg.status, err, pg.body)
		}
		return out
	}
	nlPreview := preview("+31")
	if nlPreview["ok"] != true || nlPreview["to"] != "NL" || nlPreview["numbers"] != 3.0 || nlPreview["changed"] != 1.0 || nlPreview["noLongerParse"] != 1.0 || nlPreview["newlyParse"] != 0.0 {
		t.Fatalf("preview for NL: %v", nlPreview)
	}
	examples := nlPreview["examples"].([]any)
	if first := examples[0].(map[string]any); first["raw"] != "030 1234567" || first["before"] != "+49301234567" || first["after"] != "+31301234567" {
		t.Errorf("first example: %v", first)
	}
	if summary := nlPreview["summary"].(string); !strings.Contains(summary, "With NL instead of DE, 2 of the 3 numbers read with the Country Code would read differently") {
		t.Errorf("summary: %s", summary)
	}
	if same := preview("de"); same["ok"] != true || same["summary"] != "This is the current Country Code." {
		t.Errorf("the current country: %v", same)
	}
	if bad := preview("Holland"); bad["ok"] != false || !strings.Contains(bad["error"].(string), "is not a country") {
		t.Errorf("not a country: %v", bad)
	}
	// Nothing was saved.
	if rep, _ := p.store.FindReplicator(t.Context(), p.orgA.ID, p.repA.ID); rep.DefaultCountry != "DE" {
		t.Errorf("the preview changed the Country Code to %s", rep.DefaultCountry)
	}
}
