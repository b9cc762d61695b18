package exactsim

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rateLimitHeaders are the six headers of section 4, daily ones first.
var rateLimitHeaders = []string{
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
	"X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset",
}

// meteredPath is a cheap division-scoped GET: it always answers 200, so it
// spends the call budget without touching the error budget.
func meteredPath(div int) string { return "/api/v1/" + strconv.Itoa(div) + "/system/Divisions" }

func epochMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func nextWholeMinute(t time.Time) time.Time { return t.UTC().Truncate(time.Minute).Add(time.Minute) }

func nextUTCMidnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// dailyHeaders and minutelyHeaders are the values expected at now.
func dailyHeaders(limit, remaining int, now time.Time) map[string]string {
	return map[string]string{
		"X-RateLimit-Limit":     strconv.Itoa(limit),
		"X-RateLimit-Remaining": strconv.Itoa(remaining),
		"X-RateLimit-Reset":     epochMillis(nextUTCMidnight(now)),
	}
}

func minutelyHeaders(limit, remaining int, now time.Time) map[string]string {
	return map[string]string{
		"X-RateLimit-Minutely-Limit":     strconv.Itoa(limit),
		"X-RateLimit-Minutely-Remaining": strconv.Itoa(remaining),
		"X-RateLimit-Minutely-Reset":     epochMillis(nextWholeMinute(now)),
	}
}

func bothHeaders(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// checkRateLimitHeaders wants exactly the given rate-limit headers, each
// once; the others of the six must be absent.
func checkRateLimitHeaders(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for _, name := range rateLimitHeaders {
		got := h.Values(name)
		w, ok := want[name]
		switch {
		case !ok && len(got) > 0:
			t.Errorf("%s = %q, want it absent", name, got)
		case ok && (len(got) != 1 || got[0] != w):
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
}

// loginSecondApp registers another app and signs the test user in with it,
// so budgets and subscriptions of two apps can be compared.
func (e *env) loginSecondApp(name, redirectURI string) (*App, tokens) {
	e.t.Helper()
	app, err := e.sim.RegisterApp(name, redirectURI, "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	return app, e.loginWith(app)
}

func TestRateLimitHeadersOnDivisionCalls(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	resp, body := e.api(tok.access, "GET", meteredPath(testDivision), "")
	if resp.StatusCode != 200 {
		t.Fatalf("first call: %d %s", resp.StatusCode, body)
	}
	// The literal values pin the units: epoch milliseconds, UTC, reset at
	// the next whole minute and at the next 00:00 UTC.
	checkRateLimitHeaders(t, resp.Header, map[string]string{
		"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "1782432000000",
		"X-RateLimit-Minutely-Limit": "60", "X-RateLimit-Minutely-Remaining": "59", "X-RateLimit-Minutely-Reset": "1782397500000",
	})
	e.clock.Advance(59*time.Second + 999*time.Millisecond)
	resp, _ = e.api(tok.access, "GET", meteredPath(testDivision), "")
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5000, 4998, e.clock.Now()), minutelyHeaders(60, 58, e.clock.Now())))
	if got := resp.Header.Get("X-RateLimit-Minutely-Reset"); got != "1782397500000" {
		t.Errorf("one millisecond before the minute ends the reset is still %s, got %s", "1782397500000", got)
	}
	e.clock.Advance(time.Millisecond)
	resp, _ = e.api(tok.access, "GET", meteredPath(testDivision), "")
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5000, 4997, e.clock.Now()), minutelyHeaders(60, 59, e.clock.Now())))
}

func TestMeCarriesNoRateLimitHeaders(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	for i := 0; i < 3; i++ {
		resp, body := e.api(tok.access, "GET", "/api/v1/current/Me", "")
		if resp.StatusCode != 200 {
			t.Fatalf("Me: %d %s", resp.StatusCode, body)
		}
		checkRateLimitHeaders(t, resp.Header, nil)
	}
	// Nor does it spend the division's budget.
	resp, _ := e.api(tok.access, "GET", meteredPath(testDivision), "")
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5000, 4999, e.clock.Now()), minutelyHeaders(60, 59, e.clock.Now())))
}

func TestMinutelyLimitResetsAtTheNextWholeMinute(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	// Start mid-minute: a sliding window would reopen at 14:25:30, Exact's
	// reopens at 14:25:00.
	e.clock.Advance(30 * time.Second)
	for i := 1; i <= 60; i++ {
		resp, body := e.api(tok.access, "GET", meteredPath(testDivision), "")
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-RateLimit-Minutely-Remaining"); got != strconv.Itoa(60-i) {
			t.Fatalf("call %d: Minutely-Remaining %s, want %d", i, got, 60-i)
		}
	}
	refused := func(when string) {
		t.Helper()
		resp, body := e.api(tok.access, "GET", meteredPath(testDivision), "")
		if resp.StatusCode != http.StatusTooManyRequests || body != "" {
			t.Fatalf("%s: want 429 with an empty body, got %d %q", when, resp.StatusCode, body)
		}
		// Only the minutely headers: a client reading the daily ones sees none.
		checkRateLimitHeaders(t, resp.Header, minutelyHeaders(60, 0, e.clock.Now()))
		if got := resp.Header.Get("X-RateLimit-Minutely-Reset"); got != epochMillis(time.Date(2026, 6, 25, 14, 25, 0, 0, time.UTC)) {
			t.Fatalf("%s: Minutely-Reset %s, want 14:25:00Z", when, got)
		}
	}
	refused("61st call")
	e.clock.Advance(29 * time.Second) // 14:24:59
	refused("at 14:24:59")
	e.clock.Advance(time.Second) // 14:25:00
	resp, body := e.api(tok.access, "GET", meteredPath(testDivision), "")
	if resp.StatusCode != 200 {
		t.Fatalf("at 14:25:00: %d %s", resp.StatusCode, body)
	}
	// Refused calls are not spent: 60 + this one.
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5000, 4939, e.clock.Now()), minutelyHeaders(60, 59, e.clock.Now())))
	if st := e.sim.Stats(); st.Rejected != 2 {
		t.Errorf("Stats.Rejected = %d, want 2", st.Rejected)
	}
}

func TestDailyLimitResetsAtMidnightUTC(t *testing.T) {
	e := newEnv(t, Options{DailyLimit: 5}, 0, 0)
	tok := e.login()
	for i := 1; i <= 5; i++ {
		resp, _ := e.api(tok.access, "GET", meteredPath(testDivision), "")
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d", i, resp.StatusCode)
		}
		checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5, 5-i, e.clock.Now()), minutelyHeaders(60, 60-i, e.clock.Now())))
	}
	refused := func(when string) {
		t.Helper()
		resp, body := e.api(tok.access, "GET", meteredPath(testDivision), "")
		if resp.StatusCode != http.StatusTooManyRequests || body != "" {
			t.Fatalf("%s: want 429 with an empty body, got %d %q", when, resp.StatusCode, body)
		}
		checkRateLimitHeaders(t, resp.Header, dailyHeaders(5, 0, e.clock.Now()))
		if got := resp.Header.Get("X-RateLimit-Reset"); got != "1782432000000" {
			t.Fatalf("%s: Reset %s, want 2026-06-26T00:00Z", when, got)
		}
	}
	refused("6th call")
	// A new minute does not help.
	e.clock.Advance(time.Minute)
	refused("a minute later")
	e.clock.Set(time.Date(2026, 6, 25, 23, 59, 59, 0, time.UTC))
	tok = e.login() // the old access token has expired by now
	refused("at 23:59:59")
	e.clock.Advance(time.Second)
	resp, body := e.api(tok.access, "GET", meteredPath(testDivision), "")
	if resp.StatusCode != 200 {
		t.Fatalf("at 00:00:00: %d %s", resp.StatusCode, body)
	}
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5, 4, e.clock.Now()), minutelyHeaders(60, 59, e.clock.Now())))
	if got := resp.Header.Get("X-RateLimit-Reset"); got != epochMillis(time.Date(2026, 6, 27, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the new day resets at 2026-06-27T00:00Z, got %s", got)
	}
}

// TestDefaultDailyLimitIs5000 spends a whole day's budget. It calls the
// handler directly, because 5,000 round trips over TCP under -race would
// dominate the suite's runtime.
func TestDefaultDailyLimitIs5000(t *testing.T) {
	// A long-lived token keeps the test about budgets, not refreshes.
	e := newEnv(t, Options{AccessTokenLifetime: 24 * time.Hour}, 0, 0)
	tok := e.login()
	h := e.sim.Handler()
	call := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", meteredPath(testDivision), nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.access)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := 1; i <= 5000; i++ {
		if i%60 == 1 && i > 1 {
			e.clock.Advance(time.Minute)
		}
		rec := call()
		if rec.Code != 200 || rec.Header().Get("X-RateLimit-Remaining") != strconv.Itoa(5000-i) {
			t.Fatalf("call %d: %d, Remaining %q", i, rec.Code, rec.Header().Get("X-RateLimit-Remaining"))
		}
	}
	e.clock.Advance(time.Minute)
	if got := e.clock.Now(); got.Day() != testStart.Day() {
		t.Fatalf("the test ran into the next day: %s", got)
	}
	rec := call()
	if rec.Code != http.StatusTooManyRequests || rec.Body.Len() != 0 {
		t.Fatalf("call 5001: want 429 with an empty body, got %d %q", rec.Code, rec.Body.String())
	}
	checkRateLimitHeaders(t, rec.Header(), dailyHeaders(5000, 0, e.clock.Now()))
}

func TestRateLimitBudgetsPerDivisionAndApp(t *testing.T) {
	e := newEnv(t, Options{}, 0, 0)
	tok := e.login()
	for i := 0; i < 60; i++ {
		e.api(tok.access, "GET", meteredPath(testDivision), "")
	}
	if resp, _ := e.api(tok.access, "GET", meteredPath(testDivision), ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("61st call: %d", resp.StatusCode)
	}
	now := e.clock.Now()
	resp, body := e.api(tok.access, "GET", meteredPath(testDivision2), "")
	if resp.StatusCode != 200 {
		t.Fatalf("other division: %d %s", resp.StatusCode, body)
	}
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5000, 4999, now), minutelyHeaders(60, 59, now)))

	other, otherTok := e.loginSecondApp("Other integration", "https://other.example.org/cb")
	resp, body = e.api(otherTok.access, "GET", meteredPath(testDivision), "")
	if resp.StatusCode != 200 {
		t.Fatalf("other app, same division: %d %s", resp.StatusCode, body)
	}
	checkRateLimitHeaders(t, resp.Header, bothHeaders(dailyHeaders(5000, 4999, now), minutelyHeaders(60, 59, now)))

	got := map[string]Usage{}
	for _, u := range e.sim.Usage() {
		got[u.ClientID.String()+"/"+strconv.Itoa(u.Division)] = u
	}
	want := map[string][2]int{
		e.app.ClientID.String() + "/" + strconv.Itoa(testDivision):  {0, 4940},
		e.app.ClientID.String() + "/" + strconv.Itoa(testDivision2): {59, 4999},
		other.ClientID.String() + "/" + strconv.Itoa(testDivision):  {59, 4999},
	}
	if len(got) != len(want) {
		t.Fatalf("Usage has %d budgets, want %d: %+v", len(got), len(want), got)
	}
	for k, w := range want {
		if u := got[k]; u.MinutelyRemaining != w[0] || u.DailyRemaining != w[1] {
			t.Errorf("Usage %s = %d/min %d/day, want %d/%d", k, u.MinutelyRemaining, u.DailyRemaining, w[0], w[1])
		}
	}
}

// accountsWithoutFilter is refused with 400 by mandatory filtering, which
// makes it the cheapest way to spend the error budget of crm/Accounts.
const accountsWithoutFilter = "/api/v1/123456/crm/Accounts"

const blockedMessage = "API key blocked: too many errors on this endpoint within an hour. Try again after an hour."

func TestErrorBudgetBlocksTheEndpointForAnHour(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		status int
	}{
		{"default 429", Options{}, http.StatusTooManyRequests},
		{"switch 403", Options{ErrorBlockStatus: http.StatusForbidden}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.AccessTokenLifetime = 3 * time.Hour
			e := newEnv(t, tc.opts, 2, 0)
			tok := e.login()
			for i := 1; i <= 10; i++ {
				resp, body := e.api(tok.access, "GET", accountsWithoutFilter, "")
				if resp.StatusCode != 400 || !strings.HasPrefix(odataMessage(t, body), "This endpoint has mandatory filtering") {
					t.Fatalf("error %d: want the mandatory-filter 400, got %d %s", i, resp.StatusCode, body)
				}
			}
			blocked := func(when, path string) {
				t.Helper()
				resp, body := e.api(tok.access, "GET", path, "")
				if resp.StatusCode != tc.status || odataMessage(t, body) != blockedMessage {
					t.Fatalf("%s: want %d %q, got %d %s", when, tc.status, blockedMessage, resp.StatusCode, body)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("%s: Content-Type %q", when, ct)
				}
				// The key is refused before metering: no call is spent.
				checkRateLimitHeaders(t, resp.Header, nil)
			}
			good := accountsWithoutFilter + "?$filter=Code%20eq%20'1'"
			blocked("11th call", accountsWithoutFilter)
			blocked("a valid request to the endpoint", good)
			blocked("the endpoint by key", accountsWithoutFilter+"(guid'00000000-0000-0000-0000-000000000001')")
			blocked("the endpoint in other case", "/api/v1/123456/CRM/accounts?$filter=Code%20eq%20'1'")

			for _, other := range []string{"/api/v1/123456/crm/Contacts?$filter=HID%20eq%201", meteredPath(testDivision), "/api/v1/234567/crm/Accounts?$filter=Code%20eq%20'1'"} {
				if resp, body := e.api(tok.access, "GET", other, ""); resp.StatusCode != 200 {
					t.Errorf("%s must stay usable: %d %s", other, resp.StatusCode, body)
				}
			}

			e.clock.Advance(time.Hour - time.Second)
			blocked("after 59:59", good)
			e.clock.Advance(time.Second)
			if resp, body := e.api(tok.access, "GET", good, ""); resp.StatusCode != 200 {
				t.Fatalf("after an hour: %d %s", resp.StatusCode, body)
			}
			// The block wiped the slate: one new error does not block again.
			e.api(tok.access, "GET", accountsWithoutFilter, "")
			if resp, body := e.api(tok.access, "GET", good, ""); resp.StatusCode != 200 {
				t.Fatalf("one error after the block: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestErrorBudgetCountsEvery4xxKindButNot5xx(t *testing.T) {
	e := newEnv(t, Options{}, 2, 0)
	tok := e.login()
	missing := accountsWithoutFilter + "(guid'00000000-0000-0000-0000-000000000001')"
	arm := func(f Fault) {
		t.Helper()
		f.Path = "crm/Accounts"
		if _, err := e.sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
	}
	// Five 503s first: server errors must not count.
	arm(Fault{Kind: FaultStatus, Status: 503, Count: 5})
	for i := 0; i < 5; i++ {
		if resp, _ := e.api(tok.access, "GET", accountsWithoutFilter, ""); resp.StatusCode != 503 {
			t.Fatalf("503 %d: got %d", i, resp.StatusCode)
		}
	}
	type step struct {
		status int
		do     func() *http.Response
	}
	get := func(path string) func() *http.Response {
		return func() *http.Response { resp, _ := e.api(tok.access, "GET", path, ""); return resp }
	}
	faulted := func(f Fault) func() *http.Response {
		return func() *http.Response { arm(f); return get(accountsWithoutFilter)() }
	}
	steps := []step{
		{400, get(accountsWithoutFilter)},
		{400, get(accountsWithoutFilter)},
		{404, get(missing)},
		{404, get(missing)},
		{401, faulted(Fault{Kind: FaultUnauthorized, Count: 1})},
		{401, faulted(Fault{Kind: FaultUnauthorizedHTML, Count: 1})},
		{403, faulted(Fault{Kind: FaultForbidden, Reason: "BlockedUser", Count: 1})},
		{403, faulted(Fault{Kind: FaultForbidden, Reason: "ScopeViolation", Count: 1})},
		{400, get(accountsWithoutFilter)},
		{404, get(missing)}, // the 10th
	}
	for i, s := range steps {
		if resp := s.do(); resp.StatusCode != s.status {
			t.Fatalf("error %d: want %d, got %d", i+1, s.status, resp.StatusCode)
		}
	}
	if resp, body := e.api(tok.access, "GET", missing, ""); resp.StatusCode != 429 || odataMessage(t, body) != blockedMessage {
		t.Fatalf("after ten 4xx of four kinds: want the block, got %d %s", resp.StatusCode, body)
	}
}

func TestErrorBudgetCountsOnlyTheLastHour(t *testing.T) {
	e := newEnv(t, Options{AccessTokenLifetime: 3 * time.Hour}, 2, 0)
	tok := e.login()
	errs := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if resp, body := e.api(tok.access, "GET", accountsWithoutFilter, ""); resp.StatusCode != 400 {
				t.Fatalf("want 400, got %d %s", resp.StatusCode, body)
			}
		}
	}
	errs(5)                           // 14:24
	e.clock.Advance(30 * time.Minute) // 14:54
	errs(4)
	e.clock.Advance(30 * time.Minute) // 15:24: the first five are an hour old
	errs(5)                           // 9 within the hour
	e.clock.Advance(time.Minute)
	errs(1) // the 10th within the hour (14:54 … 15:25)
	if resp, body := e.api(tok.access, "GET", accountsWithoutFilter, ""); resp.StatusCode != 429 || body == "" {
		t.Fatalf("after ten within a sliding hour: want 429, got %d %s", resp.StatusCode, body)
	}
}
