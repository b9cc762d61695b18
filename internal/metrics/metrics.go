// Package metrics exposes roger's operational figures to Prometheus:
// lookups by outcome and their latency, sync runs by outcome, Exact Online
// API calls and the rate-limit budget left per replicator. Everything lives
// in one Metrics value with its own registry, so tests and several servers
// in one process do not share counters.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/exact"
)

// Metrics holds roger's collectors and the registry they are in.
type Metrics struct {
	registry      *prometheus.Registry
	lookups       *prometheus.CounterVec
	lookupSeconds prometheus.Histogram
	requests      *prometheus.CounterVec
	syncRuns      *prometheus.CounterVec
	apiCalls      *prometheus.CounterVec

	// The counters of every lookup and API request, resolved from their
	// labels once: WithLabelValues hashes the labels and takes a lock on
	// each call, and strconv.Itoa allocates for a status.
	lookupsBy  counters[string]
	requestsBy counters[requestLabels]
}

type requestLabels struct {
	route  string
	status int
}

// maxCachedCounters bounds a counters cache; labels come from a few
// outcomes, routes and statuses, so beyond it something is odd and the
// counters are just looked up each time.
const maxCachedCounters = 256

// counters is a copy-on-write map of labelled counters: reading it takes
// no lock, and it is written once per label set.
type counters[K comparable] struct {
	m  atomic.Pointer[map[K]prometheus.Counter]
	mu sync.Mutex
}

func (c *counters[K]) get(k K) (prometheus.Counter, bool) {
	if m := c.m.Load(); m != nil {
		ctr, ok := (*m)[k]
		return ctr, ok
	}
	return nil, false
}

func (c *counters[K]) put(k K, ctr prometheus.Counter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[K]prometheus.Counter
	if m := c.m.Load(); m != nil {
		old = *m
	}
	if len(old) >= maxCachedCounters {
		return
	}
	next := make(map[K]prometheus.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[k] = ctr
	c.m.Store(&next)
}

// Budgets is where the rate-limit gauges come from: the replicators (all
// organisations) and the budget registry the syncs spend from.
type Budgets struct {
	Replicators func(ctx context.Context) ([]*roger.Replicator, error)
	Registry    *exact.BudgetRegistry
	// LastSuccess, when set, gives each replicator's last successful
	// sync, for roger_replicator_stale_seconds.
	LastSuccess func(ctx context.Context) (map[int64]time.Time, error)
	// Clock decides which replicators wait for the rate limit now; nil
	// means the system clock.
	Clock roger.Clock
}

// New returns metrics in a fresh registry, with the Go runtime and process
// collectors. budgets may be nil (no rate-limit gauges).
func New(budgets *Budgets) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_lookups_total",
			Help: "Caller lookups by outcome: match, no_match, invalid (not a phone number), error.",
		}, []string{"outcome"}),
		lookupSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roger_lookup_duration_seconds",
			Help: "Time to answer a caller lookup in process (normalise, query, rank).",
			// From 25 µs: the in-process target is 20 µs and the HTTP
			// target 5 ms, so the interesting range is wide and low.
			Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1},
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_api_requests_total",
			Help: "Lookup API requests by route and HTTP status.",
		}, []string{"route", "code"}),
		syncRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_sync_runs_total",
			Help: "Sync runs by replicator and outcome (ok, failed).",
		}, []string{"replicator", "outcome"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roger_exact_api_calls_total",
			Help: "Exact Online API calls spent by sync runs, by replicator.",
		}, []string{"replicator"}),
	}
	m.registry.MustRegister(m.lookups, m.lookupSeconds, m.requests, m.syncRuns, m.apiCalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newRuntimeCollector())
	if budgets != nil {
		m.registry.MustRegister(&budgetCollector{b: budgets})
	}
	return m
}

// Registry returns the registry, for a caller that adds collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveLookup counts one lookup and its duration; it fits
// lookup.Options.Observe.
func (m *Metrics) ObserveLookup(outcome string, d time.Duration) {
	ctr, ok := m.lookupsBy.get(outcome)
	if !ok {
		ctr = m.lookups.WithLabelValues(outcome)
		m.lookupsBy.put(outcome, ctr)
	}
	ctr.Inc()
	m.lookupSeconds.Observe(d.Seconds())
}

// ObserveRequest counts one API request.
func (m *Metrics) ObserveRequest(route string, status int) {
	k := requestLabels{route, status}
	ctr, ok := m.requestsBy.get(k)
	if !ok {
		ctr = m.requests.WithLabelValues(route, strconv.Itoa(status))
		m.requestsBy.put(k, ctr)
	}
	ctr.Inc()
}

// ObserveRun counts a finished sync run and the API calls it spent; it fits
// replicate.Syncer.OnRunDone.
func (m *Metrics) ObserveRun(r *roger.Replicator, run *roger.SyncRun) {
	id := strconv.FormatInt(r.ID, 10)
	m.syncRuns.WithLabelValues(id, string(run.Outcome)).Inc()
	m.apiCalls.WithLabelValues(id).Add(float64(run.APICalls))
}

// budgetCollector reads the rate-limit budgets at scrape time, so the
// figures are as fresh as the last answer from Exact.
type budgetCollector struct{ b *Budgets }

var (
	remainingDesc = prometheus.NewDesc("roger_exact_ratelimit_remaining",
		"Exact Online API calls left in the current window (daily or minutely), per replicator, as Exact last reported.",
		[]string{"replicator", "window"}, nil)
	// No names: /metrics is one page for every organisation, and what
	// tenants call their replicators is theirs.
	infoDesc = prometheus.NewDesc("roger_replicator_info", "Replicators with their organisation, entity and state; always 1.",
		[]string{"replicator", "org", "entity", "state"}, nil)
	scrapeErrorDesc = prometheus.NewDesc("roger_replicators_scrape_error",
		"1 when the replicators could not be read for this scrape.", nil, nil)
	waitingDesc = prometheus.NewDesc("roger_replicators_waiting_for_rate_limit",
		"Replicators whose sync waits for Exact Online's rate limit to reset (all instances); they hold no sync worker meanwhile.",
		[]string{"window"}, nil)
	stateDesc = prometheus.NewDesc("roger_replicator_state",
		"A replicator's state: 1 for the one it is in, 0 for the others (alert on needs_reauthorization or failing).",
		[]string{"replicator", "state"}, nil)
	staleDesc = prometheus.NewDesc("roger_replicator_stale_seconds",
		"Seconds since a replicator's last successful sync; absent before its first.",
		[]string{"replicator"}, nil)
	waitUntilDesc = prometheus.NewDesc("roger_replicator_rate_wait_until_seconds",
		"When a replicator waiting for Exact Online's rate limit goes on (Unix time), by the window it waits for (minutely or daily).",
		[]string{"replicator", "window"}, nil)
)

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- remainingDesc
	ch <- infoDesc
	ch <- scrapeErrorDesc
	ch <- waitingDesc
	ch <- waitUntilDesc
	ch <- stateDesc
	ch <- staleDesc
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reps, err := c.b.Replicators(ctx)
	var last map[int64]time.Time
	if c.b.LastSuccess != nil && err == nil {
		last, err = c.b.LastSuccess(ctx)
	}
	failed := 0.0
	if err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
	now := time.Now()
	if c.b.Clock != nil {
		now = c.b.Clock.Now()
	}
	waiting := map[string]int{"minutely": 0, "daily": 0}
	for _, r := range reps {
		id := strconv.FormatInt(r.ID, 10)
		ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, id, strconv.FormatInt(r.OrgID, 10), string(r.Entity), string(r.State))
		for _, st := range roger.ReplicatorStates {
			v := 0.0
			if st == r.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, v, id, string(st))
		}
		if at, ok := last[r.ID]; ok {
			ch <- prometheus.MustNewConstMetric(staleDesc, prometheus.GaugeValue, max(now.Sub(at).Seconds(), 0), id)
		}
		if r.WaitingForRateLimit(now) {
			window := "minutely"
			if r.RateWaitDaily {
				window = "daily"
			}
			waiting[window]++
			ch <- prometheus.MustNewConstMetric(waitUntilDesc, prometheus.GaugeValue, float64(r.RateWaitUntil.Unix()), id, window)
		}
		if c.b.Registry == nil || r.ClientID == "" {
			continue
		}
		b, ok := c.b.Registry.Peek(r.ClientID, r.Division)
		if !ok {
			continue
		}
		daily, minutely, _, _, known := b.Remaining()
		if !known {
			continue
		}
		ch <- prometheus.MustNewConstMetric(remainingDesc, prometheus.GaugeValue, float64(daily), id, "daily")
		ch <- prometheus.MustNewConstMetric(remainingDesc, prometheus.GaugeValue, float64(minutely), id, "minutely")
	}
	if err == nil {
		for window, n := range waiting {
			ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(n), window)
		}
	}
}

// WatchWorkers shows this instance's sync workers: how many there are
// and how many are busy syncing (a replicator waiting for Exact's rate
// limit holds none). busy is read at scrape time.
func (m *Metrics) WatchWorkers(total int, busy func() int) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roger_sync_workers",
			Help: "Sync workers of this instance (ROGER_WORKERS): syncs that fetch, parse and write at once."},
			func() float64 { return float64(total) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roger_sync_workers_busy",
			Help: "Sync workers of this instance busy now; replicators waiting for Exact's rate limit hold none."},
			func() float64 { return float64(busy()) }))
}
