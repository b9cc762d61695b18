package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/exact"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	reps := []*roger.Replicator{{ID: 7, OrgID: 2, Name: "Exact – contacts", Entity: roger.Contacts, State: roger.StateActive, ClientID: "abc", Division: 123456}}
	var listErr error
	m := New(&Budgets{
		Replicators: func(context.Context) ([]*roger.Replicator, error) { return reps, listErr },
		Registry:    exact.NewBudgetRegistry(nil),
	})
	m.ObserveLookup("match", 30*time.Microsecond)
	m.ObserveLookup("match", 3*time.Millisecond)
	m.ObserveLookup("no_match", 40*time.Microsecond)
	m.ObserveRequest("lookup", 200)
	m.ObserveRequest("lookup", 401)
	m.ObserveRun(reps[0], &roger.SyncRun{Outcome: roger.OutcomeOK, APICalls: 12})
	m.ObserveRun(reps[0], &roger.SyncRun{Outcome: roger.OutcomeFailed, APICalls: 1})

	text := scrape(t, m)
	for _, want := range []string{
		`roger_lookups_total{outcome="match"} 2`,
		`roger_lookups_total{outcome="no_match"} 1`,
		`roger_lookup_duration_seconds_bucket{le="5e-05"} 2`,
		`roger_lookup_duration_seconds_count 3`,
		`roger_api_requests_total{code="401",route="lookup"} 1`,
		`roger_sync_runs_total{outcome="ok",replicator="7"} 1`,
		`roger_sync_runs_total{outcome="failed",replicator="7"} 1`,
		`roger_exact_api_calls_total{replicator="7"} 13`,
		`roger_replicator_info{entity="contacts",org="2",replicator="7",state="active"} 1`,
		`roger_replicators_scrape_error 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "Exact – contacts") {
		t.Error("a tenant's replicator name is on the shared metrics page")
	}
	// No call went through the budget yet: nothing is known, nothing shown.
	if strings.Contains(text, "roger_exact_ratelimit_remaining{") {
		t.Error("a rate-limit figure before Exact sent any")
	}

	listErr = errors.New("database down")
	reps = nil
	if text := scrape(t, m); !strings.Contains(text, "roger_replicators_scrape_error 1") {
		t.Error("a failed replicator read is not reported")
	}
}

// Two Metrics values count apart: nothing is global.
func TestMetricsAreIndependent(t *testing.T) {
	a, b := New(nil), New(nil)
	a.ObserveLookup("match", time.Millisecond)
	if text := scrape(t, b); strings.Contains(text, `roger_lookups_total{outcome="match"}`) {
		t.Error("a lookup counted in one Metrics shows in another")
	}
}

// The counters kept per label set are the ones exported, however many
// times and from how many goroutines they are counted.
func TestCountersConcurrent(t *testing.T) {
	m := New(nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 1000 {
				m.ObserveRequest("lookup", 200+i%2*201)
				m.ObserveLookup([]string{"match", "no_match"}[i%2], time.Millisecond)
			}
		})
	}
	wg.Wait()
	text := scrape(t, m)
	for _, want := range []string{
		`roger_api_requests_total{code="200",route="lookup"} 2000`,
		`roger_api_requests_total{code="401",route="lookup"} 2000`,
		`roger_lookups_total{outcome="match"} 2000`,
		`roger_lookups_total{outcome="no_match"} 2000`,
		`roger_lookup_duration_seconds_count 4000`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := New(nil)
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveRequest("lookup", 200)
		m.ObserveLookup("match", 30*time.Microsecond)
	}
}

// TestRateWaitMetrics: replicators waiting for Exact's rate limit are
// counted by window and each says until when; one whose wait has passed
// is not; the workers and the busy ones are shown.
func TestRateWaitMetrics(t *testing.T) {
	now := time.Date(2026, 6, 25, 14, 2, 30, 0, time.UTC)
	minute, midnight := time.Date(2026, 6, 25, 14, 3, 1, 0, time.UTC), time.Date(2026, 6, 26, 0, 0, 1, 0, time.UTC)
	reps := []*roger.Replicator{
		{ID: 1, OrgID: 1, Entity: roger.Contacts, State: roger.StateActive, RateWaitUntil: minute},
		{ID: 2, OrgID: 1, Entity: roger.Contacts, State: roger.StateActive, RateWaitUntil: minute},
		{ID: 3, OrgID: 2, Entity: roger.Accounts, State: roger.StateActive, RateWaitUntil: midnight, RateWaitDaily: true},
		{ID: 4, OrgID: 2, Entity: roger.Accounts, State: roger.StateActive, RateWaitUntil: now.Add(-time.Second)},
		{ID: 5, OrgID: 3, Entity: roger.Accounts, State: roger.StateActive},
	}
	last := map[int64]time.Time{1: now.Add(-90 * time.Second), 3: now.Add(-2 * time.Hour)}
	m := New(&Budgets{Replicators: func(context.Context) ([]*roger.Replicator, error) { return reps, nil }, Clock: clock.NewFake(now),
		LastSuccess: func(context.Context) (map[int64]time.Time, error) { return last, nil }})
	busy := 3
	m.WatchWorkers(4, func() int { return busy })
	text := scrape(t, m)
	for _, want := range []string{
		`roger_replicators_waiting_for_rate_limit{window="minutely"} 2`,
		`roger_replicators_waiting_for_rate_limit{window="daily"} 1`,
		`roger_replicator_rate_wait_until_seconds{replicator="1",window="minutely"} 1.782396181e+09`,
		`roger_replicator_rate_wait_until_seconds{replicator="3",window="daily"} 1.782432001e+09`,
		`roger_sync_workers 4`,
		`roger_sync_workers_busy 3`,
		`roger_replicator_state{replicator="1",state="active"} 1`,
		`roger_replicator_state{replicator="1",state="needs_reauthorization"} 0`,
		`roger_replicator_stale_seconds{replicator="1"} 90`,
		`roger_replicator_stale_seconds{replicator="3"} 7200`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, not := range []string{`rate_wait_until_seconds{replicator="4"`, `rate_wait_until_seconds{replicator="5"`, `stale_seconds{replicator="2"`} {
		if strings.Contains(text, not) {
			t.Errorf("metrics show a wait that is over or never was: %s", not)
		}
	}
	busy = 0
	if text := scrape(t, m); !strings.Contains(text, "roger_sync_workers_busy 0") {
		t.Error("the busy workers are not read at scrape time")
	}
}
