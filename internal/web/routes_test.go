package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

type route struct {
	method string
	path   string
	form   url.Values
}

// replicatorRoutes are every route that takes a replicator id, each with
// input it would accept.
func replicatorRoutes(id int64) []route {
	base := "/replicators/" + itoa(id)
	return []route{
		{"GET", base, nil},
		{"GET", base + "/status", nil},
		{"GET", base + "/contact-url?template=" + url.QueryEscape("https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1"), nil},
		{"GET", base + "/country-preview?country=BE", nil},
		{"GET", base + "/quality", nil},
		{"GET", base + "/quality?group=too-short&after=1", nil},
		{"GET", base + "/quality.csv", nil},
		{"POST", base + "/credentials", url.Values{"exact_url": {"https://start.exactonline.nl"}, "client_id": {"11111111-2222-3333-4444-555555555555"}, "client_secret": {"s3cret-value"}}},
		{"POST", base + "/authorize", url.Values{}},
		{"POST", base + "/settings", url.Values{"contact_url": {"https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=1"}, "country": {"NL"}, "interval": {"5"}}},
		{"POST", base + "/sync", url.Values{}},
		{"POST", base + "/pause", url.Values{}},
		{"POST", base + "/resume", url.Values{}},
		{"POST", base + "/delete", url.Values{"confirm": {"yes"}}},
	}
}

func TestEveryReplicatorRouteRefusesAnotherOrganisationsID(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	before, _ := p.store.FindReplicatorByID(ctx, p.repB.ID)
	b := p.admin("Alpha")
	for _, r := range replicatorRoutes(p.repB.ID) {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			pg := b.do(r.method, r.path, r.form)
			if pg.status != http.StatusNotFound {
				t.Fatalf("status %d, want 404", pg.status)
			}
			if strings.Contains(pg.body, "Beta contacts") {
				t.Fatal("the answer names the other organisation's replicator")
			}
		})
	}
	after, err := p.store.FindReplicatorByID(ctx, p.repB.ID)
	if err != nil {
		t.Fatalf("the other organisation's replicator is gone: %v", err)
	}
	after.Updated = before.Updated
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("the other organisation's replicator changed:\n%+v\n%+v", before, after)
	}
	if events, _ := p.store.ListAudit(ctx, p.orgB.ID, 10); len(events) != 0 {
		t.Fatalf("the other organisation's audit log has %d events", len(events))
	}
	// Its own replicator answers the same routes (the refusal above is
	// about the organisation, not the route).
	if pg := b.get("/replicators/" + itoa(p.repA.ID)); pg.status != http.StatusOK {
		t.Fatalf("own replicator: %d", pg.status)
	}
}

func TestOtherPagesShowOnlyTheOwnOrganisation(t *testing.T) {
	p := newPortal(t)
	a := p.admin("Alpha")
	for _, path := range []string{"/replicators", "/admins", "/audit", "/directory", "/directory?q=contacts", "/integrations"} {
		pg := a.get(path)
		if pg.status != http.StatusOK {
			t.Fatalf("%s: %d", path, pg.status)
		}
		if strings.Contains(pg.body, "Beta") || strings.Contains(pg.body, "beta@example.nl") {
			t.Errorf("%s shows the other organisation", path)
		}
	}
}

func TestEveryRouteNeedsASignedInAdmin(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	routes := append(replicatorRoutes(p.repA.ID),
		route{"GET", "/", nil}, route{"GET", "/replicators", nil}, route{"GET", "/replicators/new", nil},
		route{"POST", "/replicators", url.Values{"name": {"x"}, "entity": {"accounts"}, "exact_url": {"https://start.exactonline.nl"}}},
		route{"GET", "/directory", nil}, route{"GET", "/admins", nil}, route{"POST", "/admins", url.Values{"email": {"eve@example.nl"}}},
		route{"GET", "/audit", nil}, route{"GET", "/integrations", nil}, route{"POST", "/integrations/keys", url.Values{"name": {"x"}}},
		route{"POST", "/integrations/keys/1/revoke", url.Values{}}, route{"POST", "/integrations/pop-links/renew", url.Values{}})
	for _, r := range routes {
		pg := b.do(r.method, r.path, r.form)
		page := r.method == "GET" && !strings.Contains(r.path, "/status") && !strings.Contains(r.path, "/contact-url") && !strings.Contains(r.path, "/country-preview")
		switch {
		case page && (pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.location, "/login")):
			t.Errorf("%s %s: %d %q, want a redirect to sign in", r.method, r.path, pg.status, pg.location)
		case !page && pg.status != http.StatusUnauthorized:
			t.Errorf("%s %s: %d, want 401", r.method, r.path, pg.status)
		}
	}
	if list, _ := p.store.ListReplicators(context.Background(), 0); len(list) != 2 {
		t.Fatalf("signed-out requests changed the replicators: %d", len(list))
	}
	if _, err := p.store.FindUserByEmail(context.Background(), "eve@example.nl"); roger.ErrorCodeOf(err) != roger.ENOTFOUND {
		t.Fatal("a signed-out request added an admin")
	}
}

func TestPublicRoutes(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	for path, want := range map[string]string{"/healthz": "ok", "/static/app.js": "roger's portal script", "/static/app.css": "--accent", "/login": "Sign in to roger"} {
		if pg := b.get(path); pg.status != http.StatusOK || !strings.Contains(pg.body, want) {
			t.Errorf("%s: %d", path, pg.status)
		}
	}
}
