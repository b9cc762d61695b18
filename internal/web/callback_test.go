package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/replicators"
	"github.com/roger365io/roger/internal/sqlstore"
)

// world is a simulator, a store with one replicator whose app is
// registered there, and roger's pages in front of the store.
type world struct {
	t     *testing.T
	sim   *httptest.Server
	site  *httptest.Server
	store *sqlstore.Store
	clock *clock.Fake
	rep   *roger.Replicator
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, clock: clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))}
	ctx := context.Background()
	w.store, _ = openTestStore(t, w.clock)
	srv := &Server{Store: w.store, Clock: w.clock}
	w.site = httptest.NewServer(nil)
	srv.RedirectURL = func(id int64) string { return w.site.URL + "/oauth/exact/" + itoa(id) + "/callback" }
	svc := &replicators.Service{Store: w.store, Clock: w.clock, RedirectURL: srv.RedirectURL}
	srv.Replicators, srv.Exact = svc, svc
	w.site.Config.Handler = srv.Handler()
	t.Cleanup(w.site.Close)

	sim := exactsim.New(exactsim.Options{Clock: w.clock})
	t.Cleanup(sim.Close)
	if _, err := sim.AddUser("demo", "demo", 123456); err != nil {
		t.Fatal(err)
	}
	w.sim = httptest.NewServer(sim.Handler())
	t.Cleanup(w.sim.Close)

	org := &roger.Organization{Name: "org"}
	if err := w.store.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	w.rep = &roger.Replicator{OrgID: org.ID, Name: "contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts, ExactURL: w.sim.URL,
		ClientID: "placeholder", ContactURL: w.sim.URL + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d", DefaultCountry: "NL",
		Interval: 5 * time.Minute, State: roger.StateAwaitingAuthorization}
	if err := w.store.CreateReplicator(ctx, w.rep); err != nil {
		t.Fatal(err)
	}
	app, err := sim.RegisterApp("ROGER365.io – contacts", srv.RedirectURL(w.rep.ID), "", "")
	if err != nil {
		t.Fatal(err)
	}
	w.rep.ClientID = app.ClientID.String()
	if err := w.store.UpdateReplicator(ctx, w.rep); err != nil {
		t.Fatal(err)
	}
	if err := w.store.SaveClientSecret(ctx, w.rep.ID, app.Secret); err != nil {
		t.Fatal(err)
	}
	return w
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// consent walks Exact's login and consent for state and returns roger's
// callback answer.
func (w *world) consent(state string) (int, string) {
	w.t.Helper()
	authorize := w.sim.URL + "/api/oauth2/auth?" + url.Values{"client_id": {w.rep.ClientID}, "response_type": {"code"}, "state": {state},
		"redirect_uri": {w.site.URL + "/oauth/exact/" + itoa(w.rep.ID) + "/callback"}}.Encode()
	loc, err := exactsim.Consent(context.Background(), nil, authorize, "demo", "demo")
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCallbackStoresTheTokenAndSuggestsTheDivision(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	state, _ := w.store.CreateOAuthState(ctx, w.rep.ID, "", 30*time.Minute)
	status, body := w.consent(state)
	if status != 200 || !strings.Contains(body, "Authorized. You can close this window.") {
		t.Fatalf("callback: %d %s", status, body)
	}
	tok, err := w.store.TokenStore(w.rep.ID).LoadToken(ctx)
	if err != nil || tok.RefreshToken == "" || !tok.Expiry.After(w.clock.Now()) {
		t.Fatalf("stored token: %+v %v", tok, err)
	}
	r, _ := w.store.FindReplicatorByID(ctx, w.rep.ID)
	if r.Division != 123456 || r.State != roger.StateActive {
		t.Fatalf("replicator after authorization: division %d state %s %q", r.Division, r.State, r.StateMessage)
	}
	// The same state cannot be used again.
	status, body = w.consent(state)
	if status != 400 || !strings.Contains(body, "already used or has expired") {
		t.Fatalf("reused state: %d %s", status, body)
	}
}

func TestCallbackRefusals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	get := func(path string) (int, string) {
		resp, err := http.Get(w.site.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	t.Run("denied", func(t *testing.T) {
		status, body := get("/oauth/exact/1/callback?error=access_denied&state=x")
		if status != 400 || !strings.Contains(body, "did not grant access") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("unknown state", func(t *testing.T) {
		status, body := get("/oauth/exact/1/callback?code=abc&state=forged")
		if status != 400 || !strings.Contains(body, "already used or has expired") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("expired state", func(t *testing.T) {
		state, _ := w.store.CreateOAuthState(ctx, w.rep.ID, "", 30*time.Minute)
		w.clock.Advance(31 * time.Minute)
		status, body := get("/oauth/exact/1/callback?code=abc&state=" + state)
		if status != 400 || !strings.Contains(body, "expired") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("state of another replicator", func(t *testing.T) {
		state, _ := w.store.CreateOAuthState(ctx, w.rep.ID, "", 30*time.Minute)
		status, body := get("/oauth/exact/99/callback?code=abc&state=" + state)
		if status != 400 || !strings.Contains(body, "another replicator") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("state bound to another session", func(t *testing.T) {
		state, _ := w.store.CreateOAuthState(ctx, w.rep.ID, "session-of-someone-else", 30*time.Minute)
		status, body := get("/oauth/exact/1/callback?code=abc&state=" + state)
		if status != 400 || !strings.Contains(body, "another browser session") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("code Exact does not know", func(t *testing.T) {
		state, _ := w.store.CreateOAuthState(ctx, w.rep.ID, "", 30*time.Minute)
		status, body := get("/oauth/exact/1/callback?code=stampN!forged&state=" + state)
		// The one status table answers an authorization that must be done
		// again as it does everywhere.
		if status != roger.HTTPStatus(roger.EREAUTHORIZE) || !strings.Contains(body, "did not accept the authorization") || strings.Contains(body, "forged") {
			t.Fatalf("%d %s", status, body)
		}
		if _, err := w.store.TokenStore(w.rep.ID).LoadToken(ctx); roger.ErrorCodeOf(err) != roger.EREAUTHORIZE {
			t.Fatalf("a failed exchange stored a token: %v", err)
		}
	})
}

func TestCallbackChecksTheDivisionAgainstTheUsersDivisions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.rep.Division = 999999
	if err := w.store.UpdateReplicator(ctx, w.rep); err != nil {
		t.Fatal(err)
	}
	state, _ := w.store.CreateOAuthState(ctx, w.rep.ID, "", 30*time.Minute)
	status, body := w.consent(state)
	if status != 200 || !strings.Contains(body, "no access to division 999999") || !strings.Contains(body, "123456") {
		t.Fatalf("callback: %d %s", status, body)
	}
	r, _ := w.store.FindReplicatorByID(ctx, w.rep.ID)
	if r.State == roger.StateActive || !strings.Contains(r.StateMessage, "Correct the division") {
		t.Fatalf("a replicator whose division the user cannot open was activated: %s %q", r.State, r.StateMessage)
	}
	if _, err := w.store.TokenStore(w.rep.ID).LoadToken(ctx); err != nil {
		t.Fatalf("the token must still be kept (a division fix needs no new authorization): %v", err)
	}
}
