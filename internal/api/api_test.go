package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/notify"
	"github.com/roger365io/roger/internal/phone"
	"github.com/roger365io/roger/internal/sqlstore"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// env is an API server over a real store with two organisations, each with
// a replicator, a few entries and an API key.
type env struct {
	t      testing.TB
	store  *sqlstore.Store
	clock  *clock.Fake
	srv    *httptest.Server // nil: requests go to h directly
	h      http.Handler
	orgA   *roger.Organization
	orgB   *roger.Organization
	keyA   string
	keyB   string
	keyAID int64
	seen   []string // route and status of every request
}

func eachStore(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "roger.db")) })
	if pg := sqltest.Postgres(t); pg != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, sqltest.FreshPostgres(t, pg)) })
	}
}

func newEnv(t testing.TB, dsn string, cacheTTL time.Duration) *env {
	t.Helper()
	e := newUnservedEnv(t, dsn, cacheTTL)
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

// newUnservedEnv is an env whose requests go straight to the handler, with
// no listener: inside a synctest bubble, where a goroutine waiting for the
// network would keep synctest.Wait from returning.
func newUnservedEnv(t testing.TB, dsn string, cacheTTL time.Duration) *env {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	s, _ := storetest.Open(t, dsn, clk)
	e := &env{t: t, store: s, clock: clk}
	e.orgA, e.keyA, e.keyAID = e.org("Alpha", "NL", "Anna Alpha", "+31201234567")
	e.orgB, e.keyB, _ = e.org("Beta", "BE", "Bert Beta", "+31201234567")
	svc := lookup.New(s, lookup.Options{Clock: clk})
	e.h = (&api.Server{Lookup: svc, Keys: s, Status: &notify.Status{Store: s, Clock: clk}, Clock: clk, KeyCacheTTL: cacheTTL, Observe: func(route string, status int) {
		e.seen = append(e.seen, fmt.Sprintf("%s %d", route, status))
	}}).Handler()
	return e
}

// org makes an organisation with one contacts replicator, a contact with
// number, a second contact, and an API key.
func (e *env) org(name, country, contact, number string) (*roger.Organization, string, int64) {
	ctx := context.Background()
	o := &roger.Organization{Name: name, DefaultCountry: country}
	if err := e.store.CreateOrganization(ctx, o); err != nil {
		e.t.Fatal(err)
	}
	r := &roger.Replicator{OrgID: o.ID, Name: name + " contacts", Source: roger.SourceExactOnline, Entity: roger.Contacts, ExactURL: "https://start.exactonline.nl",
		Division: 42, ClientID: "client-" + name, ContactURL: "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=42",
		Interval: time.Hour, State: roger.StateActive}
	if err := e.store.CreateReplicator(ctx, r); err != nil {
		e.t.Fatal(err)
	}
	entries := []roger.Entry{
		{Kind: roger.KindContact, SourceID: "11111111-0000-4000-8000-" + fmt.Sprintf("%012d", o.ID), CompanyID: "c1", DisplayName: contact, CompanyName: name + " BV",
			JobTitle: "Inkoper", SourceModified: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), SourceTimestamp: 1,
			Numbers: []roger.Number{{Field: "Phone", Raw: number, E164: number, Status: roger.NumberOK}, {Field: "Fax", Raw: "n.v.t.", Status: roger.NumberInvalid, Reason: "not a phone number"}}},
		{Kind: roger.KindContact, SourceID: "22222222-0000-4000-8000-" + fmt.Sprintf("%012d", o.ID), CompanyID: "c1", DisplayName: "Second " + name, CompanyName: name + " BV",
			SourceTimestamp: 2, Numbers: []roger.Number{{Field: "Mobile", Raw: "06", E164: "+31612345678", Status: roger.NumberOK}}},
	}
	if _, err := e.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: o.ID, Upserts: entries, Cursor: 2}); err != nil {
		e.t.Fatal(err)
	}
	k, key, err := e.store.CreateAPIKey(ctx, o.ID, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return o, key, k.ID
}

// get sends GET path with the Authorization header auth ("" for none) and
// returns the status, headers and body.
func (e *env) get(path, auth string) (int, http.Header, string) {
	e.t.Helper()
	return e.do("GET", path, auth)
}

func (e *env) do(method, path, auth string) (int, http.Header, string) {
	e.t.Helper()
	if e.srv == nil {
		req := httptest.NewRequest(method, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec.Code, rec.Header(), rec.Body.String()
	}
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

type errorEnvelope struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeError(t *testing.T, body string) errorEnvelope {
	t.Helper()
	var env errorEnvelope
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Error.Code == "" || env.Error.Message == "" {
		t.Fatalf("not an error envelope: %s (%v)", body, err)
	}
	return env
}

func TestAuth(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, -1)
		revoked, revokedKey, err := e.store.CreateAPIKey(context.Background(), e.orgA.ID, "old")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.RevokeAPIKey(context.Background(), e.orgA.ID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, path, auth string
			status           int
			code, message    string
		}{
			{"no key", "/api/v1/lookup?number=0201234567", "", 401, "unauthorized", "Send an API key in the Authorization header"},
			{"basic auth", "/api/v1/lookup?number=0201234567", "Basic " + e.keyA, 401, "unauthorized", "Only Bearer authorization"},
			{"empty bearer", "/api/v1/lookup?number=0201234567", "Bearer ", 401, "unauthorized", "Send an API key"},
			{"unknown key", "/api/v1/lookup?number=0201234567", "Bearer rgr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "unauthorized", "The API key is not valid"},
			{"revoked key", "/api/v1/lookup?number=0201234567", "Bearer " + revokedKey, 401, "unauthorized", "The API key is not valid"},
			{"key in the query", "/api/v1/lookup?number=0201234567&api_key=" + e.keyA, "", 400, "invalid", "API keys are accepted only in the Authorization header"},
			{"key in the query beside a header", "/api/v1/lookup?number=0201234567&token=x", "Bearer " + e.keyA, 400, "invalid", "API keys are accepted only in the Authorization header"},
			{"key-shaped value", "/api/v1/entries?q=" + e.keyA, "Bearer " + e.keyA, 400, "invalid", "API keys are accepted only"},
			{"entries need a key too", "/api/v1/entries", "", 401, "unauthorized", "Send an API key"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, h, body := e.get(tt.path, tt.auth)
				env := decodeError(t, body)
				if status != tt.status || env.Error.Code != tt.code || !strings.HasPrefix(env.Error.Message, tt.message) {
					t.Errorf("status %d, %+v; want %d %s %q", status, env.Error, tt.status, tt.code, tt.message)
				}
				if (status == 401) != (h.Get("WWW-Authenticate") == `Bearer realm="roger"`) {
					t.Errorf("WWW-Authenticate %q with status %d", h.Get("WWW-Authenticate"), status)
				}
				if h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
					t.Errorf("headers %v", h)
				}
			})
		}
		// "bearer" in any case is the same scheme.
		if status, _, body := e.get("/api/v1/lookup?number=0201234567", "bearer "+e.keyA); status != 200 {
			t.Errorf("lower-case bearer: %d %s", status, body)
		}
	})
}

func TestLookup(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, 0)
		status, h, body := e.get("/api/v1/lookup?number=020+123+4567", "Bearer "+e.keyA)
		if status != 200 || h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("lookup: %d %v %s", status, h, body)
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		num := raw["number"].(map[string]any)
		if num["input"] != "020 123 4567" || num["e164"] != "+31201234567" || num["extension"] != "" {
			t.Errorf("number = %v", num)
		}
		matches := raw["matches"].([]any)
		if len(matches) != 1 {
			t.Fatalf("matches = %v", matches)
		}
		m := matches[0].(map[string]any)
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"company", "companyId", "field", "jobTitle", "kind", "matchedNumber", "modified", "name", "replicator", "rule", "sourceId", "syncedAt", "url"}
		if !slices.Equal(keys, want) {
			t.Errorf("match fields %q; want %q", keys, want)
		}
		if m["name"] != "Anna Alpha" || m["company"] != "Alpha BV" || m["kind"] != "contact" || m["rule"] != "exact" || m["field"] != "Phone" ||
			m["matchedNumber"] != "+31201234567" || m["modified"] != "2026-10-01T08:00:00Z" || m["companyId"] != "c1" ||
			m["url"] != "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b11111111-0000-4000-8000-000000000001%7d&_Division_=42" {
			t.Errorf("match = %v", m)
		}
		if rep := m["replicator"].(map[string]any); rep["name"] != "Alpha contacts" || rep["id"] == nil {
			t.Errorf("replicator = %v", rep)
		}

		// Unknown: 200 and an empty list.
		if status, _, body := e.get("/api/v1/lookup?number=%2B31101234567", "Bearer "+e.keyA); status != 200 || !strings.Contains(body, `"matches":[]`) {
			t.Errorf("unknown number: %d %s", status, body)
		}
		// The organisation's default country reads national numbers;
		// country= overrides it.
		if status, _, body := e.get("/api/v1/lookup?number=0475123456", "Bearer "+e.keyB); status != 200 || !strings.Contains(body, `"e164":"+32475123456"`) {
			t.Errorf("Belgian default: %d %s", status, body)
		}
		if status, _, body := e.get("/api/v1/lookup?number=0201234567&country=NL", "Bearer "+e.keyB); status != 200 || !strings.Contains(body, `"name":"Bert Beta"`) {
			t.Errorf("country override: %d %s", status, body)
		}

		for _, tt := range []struct{ name, path, message string }{
			{"not a number", "/api/v1/lookup?number=anonymous", `"anonymous" is not a phone number; send the caller's number`},
			{"no number", "/api/v1/lookup", "Send the caller's number as ?number="},
			{"bad country", "/api/v1/lookup?number=0201234567&country=XX", `country: "XX" is not a country`},
		} {
			status, _, body := e.get(tt.path, "Bearer "+e.keyA)
			if env := decodeError(t, body); status != 400 || env.Error.Code != "invalid" || !strings.HasPrefix(env.Error.Message, tt.message) {
				t.Errorf("%s: %d %+v", tt.name, status, env.Error)
			}
		}
	})
}

// TestLookupUnlistedRange: a well-formed number in a range the numbering
// plan does not list is no bad request: it is looked up like any other,
// and found when the CRM holds exactly that number.
func TestLookupUnlistedRange(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, 0)
		if status, _, body := e.get("/api/v1/lookup?number=%2B31600000001", "Bearer "+e.keyA); status != 200 ||
			!strings.Contains(body, `"matches":[]`) || !strings.Contains(body, `"e164":"+31600000001"`) {
			t.Errorf("unlisted, not in the directory: %d %s", status, body)
		}

		ctx := context.Background()
		r := &roger.Replicator{OrgID: e.orgA.ID, Name: "Alpha accounts", Source: roger.SourceExactOnline, Entity: roger.Accounts,
			ExactURL: "https://start.exactonline.nl", Division: 43, ClientID: "client-alpha-accounts", Interval: time.Hour, State: roger.StateActive}
		if err := e.store.CreateReplicator(ctx, r); err != nil {
			t.Fatal(err)
		}
		n, _ := phone.ParseNumber("06 0000 0002", "Phone", "", "NL")
		if !n.Unlisted || n.E164 != "+31600000002" {
			t.Fatalf("ParseNumber = %+v; want an unlisted +31600000002", n)
		}
		entry := roger.Entry{Kind: roger.KindAccount, SourceID: "33333333-0000-4000-8000-000000000001", CompanyID: "33333333-0000-4000-8000-000000000001",
			DisplayName: "Nieuwe Reeks BV", CompanyName: "Nieuwe Reeks BV", SourceTimestamp: 1, Numbers: []roger.Number{n}}
		if _, err := e.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: e.orgA.ID, Upserts: []roger.Entry{entry}, Cursor: 1}); err != nil {
			t.Fatal(err)
		}
		for _, number := range []string{"%2B31600000002", "06+0000+0002", "0031600000002"} {
			if status, _, body := e.get("/api/v1/lookup?number="+number, "Bearer "+e.keyA); status != 200 || !strings.Contains(body, `"name":"Nieuwe Reeks BV"`) {
				t.Errorf("unlisted, in the directory, as %s: %d %s", number, status, body)
			}
		}
		// Not a phone number at all stays a bad request.
		for _, number := range []string{"abc", "%2B31+6+0000+00012", "12"} {
			if status, _, body := e.get("/api/v1/lookup?number="+number, "Bearer "+e.keyA); status != 400 {
				t.Errorf("%s: %d %s; want 400", number, status, body)
			}
		}
	})
}

// TestTenantIsolation: a key of one organisation never sees another's
// entries, though both have the same number.
func TestTenantIsolation(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, 0)
		for _, tt := range []struct{ key, own, other string }{{e.keyA, "Alpha", "Beta"}, {e.keyB, "Beta", "Alpha"}} {
			_, _, body := e.get("/api/v1/lookup?number=%2B31201234567", "Bearer "+tt.key)
			if !strings.Contains(body, tt.own) || strings.Contains(body, tt.other) {
				t.Errorf("lookup with %s's key: %s", tt.own, body)
			}
			_, _, body = e.get("/api/v1/entries?limit=200", "Bearer "+tt.key)
			if !strings.Contains(body, tt.own) || strings.Contains(body, tt.other) {
				t.Errorf("entries with %s's key: %s", tt.own, body)
			}
			_, _, body = e.get("/api/v1/entries?q="+tt.other, "Bearer "+tt.key)
			if body != "{\"entries\":[]}\n" {
				t.Errorf("searching %s with %s's key: %s", tt.other, tt.own, body)
			}
		}
	})
}

func TestEntries(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, 0)
		type page struct {
			Entries []lookup.Entry `json:"entries"`
			Next    int64          `json:"next"`
		}
		get := func(path string) page {
			status, _, body := e.get(path, "Bearer "+e.keyA)
			if status != 200 {
				t.Fatalf("%s: %d %s", path, status, body)
			}
			var p page
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		p := get("/api/v1/entries?q=alpha&limit=1")
		if len(p.Entries) != 1 || p.Entries[0].Name != "Anna Alpha" || p.Next == 0 {
			t.Fatalf("page 1: %+v", p)
		}
		if n := p.Entries[0].Numbers; len(n) != 2 || n[1].Status != "invalid" || n[1].Reason != "not a phone number" || n[1].Raw != "n.v.t." {
			t.Errorf("numbers: %+v", n)
		}
		p = get(fmt.Sprintf("/api/v1/entries?q=alpha&limit=1&after=%d", p.Next))
		if len(p.Entries) != 1 || p.Entries[0].Name != "Second Alpha" || p.Next != 0 {
			t.Fatalf("page 2: %+v", p)
		}
		for _, bad := range []string{"?limit=0x", "?limit=500", "?after=-1", "?after=abc"} {
			status, _, body := e.get("/api/v1/entries"+bad, "Bearer "+e.keyA)
			if env := decodeError(t, body); status != 400 || env.Error.Code != "invalid" {
				t.Errorf("%s: %d %s", bad, status, body)
			}
		}
	})
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), 0)
	status, h, body := e.do("POST", "/api/v1/lookup?number=0201234567", "Bearer "+e.keyA)
	if env := decodeError(t, body); status != 405 || h.Get("Allow") != "GET, HEAD" || env.Error.Code != "invalid" {
		t.Errorf("POST: %d %v %s", status, h, body)
	}
	status, _, body = e.get("/api/v1/nope", "Bearer "+e.keyA)
	if env := decodeError(t, body); status != 404 || env.Error.Code != "not_found" || !strings.Contains(env.Error.Message, "/api/v1/openapi.json") {
		t.Errorf("unknown path: %d %s", status, body)
	}
	if want := []string{"lookup 405", "other 404"}; !slices.Equal(e.seen, want) {
		t.Errorf("observed %q; want %q", e.seen, want)
	}
}

// TestNoInternalErrorText: when the database is gone the answer says so
// in plain words and shows nothing of the driver's error.
func TestNoInternalErrorText(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), -1)
	e.store.Close()
	for _, path := range []string{"/api/v1/lookup?number=0201234567", "/api/v1/entries"} {
		status, h, body := e.get(path, "Bearer "+e.keyA)
		env := decodeError(t, body)
		if status != 503 || env.Error.Code != "unavailable" || h.Get("Retry-After") == "" || strings.Contains(body, "sql") || strings.Contains(body, "closed") {
			t.Errorf("%s with the database closed: %d %s", path, status, body)
		}
	}
}

// TestKeyCacheAndLastUse: a checked key is trusted for the cache time, so
// a revocation takes effect within it; its last use is recorded at most
// once a minute. The use is recorded in the background, so the test runs
// in a synctest bubble: synctest.Wait returns once that background work
// is done, which proves that a use within the minute wrote nothing.
func TestKeyCacheAndLastUse(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		synctest.Test(t, func(t *testing.T) {
			e := newUnservedEnv(t, dsn, 5*time.Second)
			ctx := context.Background()
			lastUsed := func() time.Time {
				t.Helper()
				synctest.Wait()
				keys, err := e.store.ListAPIKeys(ctx, e.orgA.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range keys {
					if k.ID == e.keyAID {
						return k.LastUsed
					}
				}
				t.Fatal("key gone")
				return time.Time{}
			}
			lookup := func() int {
				status, _, _ := e.get("/api/v1/lookup?number=0201234567", "Bearer "+e.keyA)
				return status
			}
			first := e.clock.Now()
			if lookup() != 200 {
				t.Fatal("lookup failed")
			}
			if got := lastUsed(); !got.Equal(first) {
				t.Fatalf("last use %v; want %v", got, first)
			}
			e.clock.Advance(30 * time.Second)
			if lookup() != 200 {
				t.Fatal("lookup failed")
			}
			if got := lastUsed(); !got.Equal(first) {
				t.Errorf("last use recorded again after 30 s: %v", got)
			}
			e.clock.Advance(31 * time.Second)
			if lookup() != 200 {
				t.Fatal("lookup failed")
			}
			if got := lastUsed(); !got.Equal(e.clock.Now()) {
				t.Errorf("last use %v; want %v", got, e.clock.Now())
			}

			if err := e.store.RevokeAPIKey(ctx, e.orgA.ID, e.keyAID); err != nil {
				t.Fatal(err)
			}
			if lookup() != 200 {
				t.Error("the cached key stopped at once; the cache is not used")
			}
			e.clock.Advance(6 * time.Second)
			if status := lookup(); status != 401 {
				t.Errorf("revoked key after the cache time: %d", status)
			}
		})
	})
}

// TestOpenAPI: the description is served without a key, is JSON, and names
// exactly the fields the lookup and search answers have.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "roger.db"), 0)
	status, h, body := e.get("/api/v1/openapi.json", "")
	if status != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi: %d %v", status, h)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
		Comps   struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/v1/lookup", "/api/v1/entries", "/api/v1/openapi.json"} {
		if doc.Paths[p]["get"] == nil {
			t.Errorf("openapi lacks GET %s", p)
		}
	}
	for schema, typ := range map[string]any{"Match": lookup.Match{}, "Entry": lookup.Entry{}, "EntryNumber": lookup.EntryNumber{},
		"LookupResult": lookup.Result{}, "EntryPage": lookup.Page{}, "Replicator": lookup.ReplicatorRef{}} {
		var fields []string
		rt := reflect.TypeOf(typ)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name != "-" {
				fields = append(fields, name)
			}
		}
		var documented []string
		for k := range doc.Comps.Schemas[schema].Properties {
			documented = append(documented, k)
		}
		slices.Sort(fields)
		slices.Sort(documented)
		if !slices.Equal(fields, documented) {
			t.Errorf("schema %s documents %q; the answer has %q", schema, documented, fields)
		}
	}
}
