package web

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

func TestTheLastAdminCannotBeRemoved(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	ctx := context.Background()
	alpha, _ := p.store.FindUserByEmail(ctx, "alpha@example.nl")
	if pg := a.post("/admins/"+itoa(alpha.ID)+"/delete", url.Values{}); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "cannot remove yourself") {
		t.Fatalf("remove oneself: %d %s", pg.status, pg.text())
	}
	// Carla, an admin, is made an owner and removes Alpha; she is then
	// the last and stays.
	pg := a.post("/admins", url.Values{"email": {"carla@example.nl"}, "role": {"owner"}})
	pw := regexpFind(t, a.get(pg.location).body, `id="new-admin-password" value="([^"]+)"`)
	c := p.browser()
	c.signIn("carla@example.nl", pw)
	if pg := c.post("/admins/"+itoa(alpha.ID)+"/delete", url.Values{}); pg.status != http.StatusSeeOther {
		t.Fatalf("remove alpha: %d %s", pg.status, pg.text())
	}
	if pg := a.get("/admins"); pg.status != http.StatusSeeOther {
		t.Fatalf("a removed admin's session lives on: %d", pg.status)
	}
	carla, _ := p.store.FindUserByEmail(ctx, "carla@example.nl")
	if _, err := p.store.DeleteUser(ctx, p.orgA.ID, carla.ID); roger.ErrorCodeOf(err) != roger.ECONFLICT {
		t.Fatalf("the last admin removed: %v", err)
	}
	if pg := c.post("/admins/"+itoa(carla.ID)+"/role", url.Values{"role": {"read-only"}}); pg.status != http.StatusConflict || !strings.Contains(pg.text(), "only owner") {
		t.Fatalf("the last owner demoted: %d %s", pg.status, pg.text())
	}
	if pg := c.post("/admins/"+itoa(p.repB.ID+100)+"/delete", url.Values{}); pg.status != http.StatusNotFound {
		t.Fatalf("an unknown admin: %d", pg.status)
	}
	beta, _ := p.store.FindUserByEmail(ctx, "beta@example.nl")
	if pg := c.post("/admins/"+itoa(beta.ID)+"/delete", url.Values{}); pg.status != http.StatusNotFound {
		t.Fatalf("another organisation's admin: %d", pg.status)
	}
	events, _ := p.store.FindAudit(ctx, roger.AuditFilter{OrgID: p.orgA.ID, Action: "admin.remove"})
	if len(events) != 1 || events[0].Actor != "carla@example.nl" || events[0].Target != "admin/alpha@example.nl" {
		t.Fatalf("audit %+v", events)
	}
}

func TestChangingOnesOwnPassword(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	other := p.admin("Alpha")
	if pg := a.post("/account/password", passwordForm("wrong password!", "a brand new password")); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "current password is wrong") {
		t.Fatalf("wrong current: %d %s", pg.status, pg.text())
	}
	if pg := a.post("/account/password", passwordForm(adminPassword, "short")); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "at least 12") {
		t.Fatalf("short: %d", pg.status)
	}
	pg := a.post("/account/password", passwordForm(adminPassword, "a brand new password"))
	if pg.status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", pg.status, pg.text())
	}
	if pg := a.get(pg.location); pg.status != http.StatusOK || !strings.Contains(pg.text(), "Your password is changed") {
		t.Fatalf("this browser stays signed in: %d", pg.status)
	}
	if pg := other.get("/admins"); pg.status != http.StatusSeeOther {
		t.Fatalf("another session lives on: %d", pg.status)
	}
	if pg := p.browser().signIn("alpha@example.nl", "a brand new password"); pg.status != http.StatusSeeOther {
		t.Fatalf("the new password does not sign in: %d", pg.status)
	}
	if pg := p.browser().signIn("alpha@example.nl", adminPassword); pg.status != http.StatusUnauthorized {
		t.Fatalf("the old password signs in: %d", pg.status)
	}
}

func TestAResetLinkIsShownOnceAndWorksOnce(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	pg := a.post("/admins", url.Values{"email": {"carla@example.nl"}, "role": {"admin"}})
	a.get(pg.location)
	carla, _ := p.store.FindUserByEmail(context.Background(), "carla@example.nl")
	pg = a.post("/admins/"+itoa(carla.ID)+"/reset", url.Values{})
	if pg.status != http.StatusSeeOther || strings.Contains(pg.location, "reset/") {
		t.Fatalf("reset: %d %q", pg.status, pg.location)
	}
	shown := a.get(pg.location)
	link := regexpFind(t, shown.body, `id="reset-link-value" value="([^"]+)"`)
	if !strings.HasPrefix(link, p.srv.URL+"/reset/") {
		t.Fatalf("link %q", link)
	}
	if again := a.get(pg.location); strings.Contains(again.body, link) {
		t.Fatal("the link is shown twice")
	}
	events, _ := p.store.ListAudit(context.Background(), p.orgA.ID, 100)
	for _, e := range events {
		if strings.Contains(e.Detail+e.Target, strings.TrimPrefix(link, p.srv.URL+"/reset/")) {
			t.Fatal("the link is in the audit log")
		}
	}
	path := strings.TrimPrefix(link, p.srv.URL)
	anon := p.browser()
	if pg := anon.get(path); pg.status != http.StatusOK || !strings.Contains(pg.text(), "carla@example.nl") {
		t.Fatalf("the link's page: %d %s", pg.status, pg.text())
	}
	if pg := anon.post(path, url.Values{"new": {"carla's own password"}, "repeat": {"carla's other password"}}); pg.status != http.StatusBadRequest {
		t.Fatalf("two different passwords: %d", pg.status)
	}
	if pg := anon.post(path, url.Values{"new": {"carla's own password"}, "repeat": {"carla's own password"}}); pg.status != http.StatusSeeOther || pg.location != "/login?done=password" {
		t.Fatalf("set: %d %q %s", pg.status, pg.location, pg.text())
	}
	if pg := anon.post(path, url.Values{"new": {"eve's password!!"}, "repeat": {"eve's password!!"}}); pg.status != http.StatusNotFound {
		t.Fatalf("the link used twice: %d", pg.status)
	}
	if pg := p.browser().signIn("carla@example.nl", "carla's own password"); pg.status != http.StatusSeeOther {
		t.Fatalf("the chosen password does not sign in: %d", pg.status)
	}
	list := a.get("/admins")
	if !strings.Contains(list.text(), "Admin") || !strings.Contains(list.text(), "Owner") {
		t.Fatalf("roles not shown: %s", list.text())
	}
}

func TestTheAuditLogInWords(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	// A failed sign-in of a known account, one of an unknown address, a
	// sign-in and a sign-out.
	p.browser().signIn("alpha@example.nl", "not the password")
	p.browser().signIn("nobody@example.nl", "not the password")
	a := p.admin("Alpha")
	a.post("/logout", url.Values{})
	a = p.admin("Alpha")
	target := "replicator/" + itoa(p.repA.ID) + " (Alpha contacts)"
	_ = p.store.AppendAudit(ctx, p.orgA.ID, "anna@example.nl", "replicator.authorize", target, "division 1")
	_ = p.store.AppendAudit(ctx, p.orgA.ID, "anna@example.nl", "replicator.authorize-failed", target, "=HYPERLINK(\"http://evil\")")
	pg := a.get("/audit")
	for _, want := range []string{"A sign-in as alpha@example.nl failed", "alpha@example.nl signed out", "alpha@example.nl signed in",
		"anna@example.nl authorized replicator Alpha contacts", "Authorizing replicator Alpha contacts by anna@example.nl failed"} {
		if !strings.Contains(pg.text(), want) {
			t.Errorf("the log does not say %q", want)
		}
	}
	if strings.Contains(pg.body, "nobody@example.nl") || strings.Contains(pg.body, "not the password") {
		t.Error("the log names an unknown address or a password")
	}
	if !strings.Contains(pg.body, `<td class="when">`) {
		t.Error("the When column is not kept on one line")
	}

	filtered := a.get("/audit?who=anna%40example.nl&what=replicator.authorize&on=" + itoa(p.repA.ID))
	table := filtered.body[strings.Index(filtered.body, `id="audit"`):]
	if !strings.Contains(table, "anna@example.nl authorized") || strings.Count(table, `<td class="when">`) != 1 {
		t.Fatalf("filtered: %d %s", filtered.status, filtered.text())
	}
	if pg := a.get("/audit?from=2020-13-01"); pg.status != http.StatusBadRequest || !strings.Contains(pg.text(), "YYYY-MM-DD") {
		t.Fatalf("a bad date: %d", pg.status)
	}
	today := p.clock.Now().Format("2006-01-02")
	if pg := a.get("/audit?to=" + p.clock.Now().AddDate(0, 0, -1).Format("2006-01-02")); !strings.Contains(pg.text(), "Nothing matches") {
		t.Fatalf("before today: %s", pg.text())
	}
	if pg := a.get("/audit?from=" + today + "&to=" + today); !strings.Contains(pg.text(), "authorized replicator") {
		t.Fatal("today's events are not found by today's dates")
	}

	resp := a.get("/audit.csv?what=replicator.authorize-failed")
	rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
	if err != nil || len(rows) != 2 || resp.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: %v %q", err, resp.body)
	}
	if detail := rows[1][5]; !strings.HasPrefix(detail, "'=") {
		t.Fatalf("a formula is not defused: %q", detail)
	}
}

func TestTheAuditLogPages(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	for i := range 120 {
		_ = p.store.AppendAudit(ctx, p.orgA.ID, "anna@example.nl", "apikey.create", "apikey/k"+itoa(int64(i)), "")
		p.clock.Advance(time.Second)
	}
	a := p.admin("Alpha")
	first := a.get("/audit?who=anna%40example.nl")
	if n := strings.Count(first.body, `<td class="when">`); n != auditPage {
		t.Fatalf("first page: %d rows", n)
	}
	older := html.UnescapeString(regexpFind(t, first.body, `href="([^"]+)" id="audit-older"`))
	second := a.get(older)
	third := a.get(html.UnescapeString(regexpFind(t, second.body, `href="([^"]+)" id="audit-older"`)))
	if n := strings.Count(third.body, `<td class="when">`); n != 20 || strings.Contains(third.body, "audit-older") || !strings.Contains(third.text(), "API key #k0") {
		t.Fatalf("last page: %d rows", n)
	}
	if !strings.Contains(third.body, "audit-newest") || !strings.Contains(older, "who=anna") {
		t.Fatalf("the pages lose their filter or their way back: %q", older)
	}
	rows, _ := csv.NewReader(strings.NewReader(a.get("/audit.csv?who=anna%40example.nl").body)).ReadAll()
	if len(rows) != 121 {
		t.Fatalf("CSV has %d rows, want every event and a header", len(rows)-1)
	}
}

// TestGuessingTheCurrentPasswordIsThrottled: wrong current passwords count
// as failed sign-ins, so an open session is no way to try passwords.
func TestGuessingTheCurrentPasswordIsThrottled(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	var last page
	for range 6 {
		last = a.post("/account/password", passwordForm("a wrong guess!", "a brand new password"))
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("the sixth wrong guess: %d %s", last.status, last.text())
	}
	if pg := a.post("/account/password", passwordForm(adminPassword, "a brand new password")); pg.status != http.StatusTooManyRequests {
		t.Fatalf("the right password while throttled: %d", pg.status)
	}
}
