package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/metrics"
	"github.com/roger365io/roger/internal/notify"
	"github.com/roger365io/roger/internal/replicate"
	"github.com/roger365io/roger/internal/web"
)

// mountExtra adds the machine-facing surfaces (lookup API, metrics,
// readiness) beside the portal, which serves "/", and gives the portal's
// screen pop the same lookups, counted in the metrics with the API's.
// numbers, when not nil, finds numbers for lookups instead of the store.
func (m *Main) mountExtra(mux *http.ServeMux, a *app, sched *replicate.Scheduler, portal *web.Server, numbers lookup.NumberFinder, log *slog.Logger) error {
	syncer := sched.Syncer
	met := metrics.New(&metrics.Budgets{
		Replicators: func(ctx context.Context) ([]*roger.Replicator, error) { return a.store.ListReplicators(ctx, 0) },
		Registry:    syncer.Budgets,
		LastSuccess: a.store.LastSuccessfulSyncs,
		Clock:       syncer.Clock,
	})
	if a.cfg.Workers > 0 {
		met.WatchWorkers(a.cfg.Workers, sched.Busy)
	}
	done := syncer.OnRunDone
	syncer.OnRunDone = func(r *roger.Replicator, run *roger.SyncRun) {
		met.ObserveRun(r, run)
		if done != nil {
			done(r, run)
		}
	}
	// The API's searches share the name index with the portal's and
	// the LDAP directory's.
	var names lookup.NameIndex
	if idx, ok := numbers.(*dirindex.Index); ok {
		names = idx
	}
	lookups := lookup.New(a.store, lookup.Options{Numbers: numbers, Names: names,
		Observe: func(o lookup.Outcome, d time.Duration) { met.ObserveLookup(string(o), d) }})
	var fromMemory func() bool
	if idx, ok := numbers.(*dirindex.Index); ok {
		registerIndexMetrics(met.Registry(), idx)
		fromMemory = func() bool { return idx.Stats().Ready }
	}
	portal.Pop = lookups
	a.lookups, a.metrics = lookups, met
	rate := a.cfg.APIKeyRateLimit
	if rate == 0 {
		rate = -1 // the API's "no limit"
	}
	// Behind a trusted proxy the per-address limits count the client, not
	// the proxy: the same resolver as the portal's.
	status := &notify.Status{Store: a.store, Clock: clock.System{}}
	mux.Handle("/api/v1/", (&api.Server{Lookup: lookups, Keys: a.store, Status: status, Log: log, Observe: met.ObserveRequest, KeyRateLimit: rate,
		ClientAddr: portal.Proxies.Addr}).Handler())
	mux.Handle("GET /metrics", bearerOnly(a.cfg.MetricsToken, met.Handler()))
	registerScaleMetrics(met.Registry(), a.cfg.Scale, syncer.CPU)
	mux.Handle("GET /readyz", withIndexShard(a.cfg.IndexShard, readyz(a.store, fromMemory, log)))
	mountWebhooks(mux, a, sched, met, log)
	return nil
}

// bearerOnly lets through only requests with "Authorization: Bearer
// token"; an empty token lets every request through. The tokens are
// compared as SHA-256 sums in constant time, so neither the time taken
// nor the token's length tells how much of a guess was right.
func bearerOnly(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roger metrics"`)
			http.Error(w, "Send the metrics token set in ROGER_METRICS_TOKEN: \"Authorization: Bearer …\".", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// registerIndexMetrics exports the in-memory lookup index's state, so an
// operator sees its size and whether it keeps up with the database.
func registerIndexMetrics(reg prometheus.Registerer, idx *dirindex.Index) {
	gauge := func(name, help string, value func(dirindex.Stats) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return value(idx.Stats()) }))
	}
	gauge("roger_lookup_index_ready", "1 once the in-memory lookup index is loaded; until then lookups query the database.", func(s dirindex.Stats) float64 {
		if s.Ready {
			return 1
		}
		return 0
	})
	gauge("roger_lookup_index_entries", "Directory entries held by the in-memory lookup index.", func(s dirindex.Stats) float64 { return float64(s.Entries) })
	gauge("roger_lookup_index_numbers", "Phone numbers held by the in-memory lookup index.", func(s dirindex.Stats) float64 { return float64(s.Numbers) })
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roger_lookup_index_commits_taken_total",
		Help: "Commits of this instance's syncs the in-memory lookup index took as they were made, without reading them back from the database."},
		func() float64 { return float64(idx.Stats().Applied) }))
	gauge("roger_lookup_index_lag_seconds", "Seconds since the in-memory lookup index last caught up with the database.", func(s dirindex.Stats) float64 {
		if s.LastRefresh.IsZero() {
			return 0
		}
		return time.Since(s.LastRefresh).Seconds()
	})
}

// readyz answers 200 while the database answers and 503 when it does not,
// so a load balancer sends lookups only to instances that can serve them.
// An instance whose lookups come from its in-memory index (fromMemory, nil
// without one) still serves them while the database is away: it answers
// 200 and says the database is unavailable, since taking every instance
// out of the balancer would stop the lookups the outage spares.
func readyz(db interface{ Ping(context.Context) error }, fromMemory func() bool, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		err := db.Ping(ctx)
		switch {
		case err == nil:
			_, _ = w.Write([]byte("ready\n"))
		case fromMemory != nil && fromMemory():
			log.Warn("the database does not answer; lookups are answered from memory", "err", err)
			_, _ = w.Write([]byte("ready for lookups; database unavailable: lookups are answered from memory with the keys checked before the outage, while the portal and syncs wait for the database\n"))
		default:
			log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: database unavailable (the database does not answer)\n"))
		}
	})
}
