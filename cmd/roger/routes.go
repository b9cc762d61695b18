package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/metrics"
	"github.com/roger365io/roger/internal/replicate"
	"github.com/roger365io/roger/internal/web"
)

// mountExtra adds the machine-facing surfaces (lookup API, metrics,
// readiness) beside the portal, which serves "/", and gives the portal's
// screen pop the same lookups, counted in the metrics with the API's.
// numbers, when not nil, finds numbers for lookups instead of the store.
func (m *Main) mountExtra(mux *http.ServeMux, a *app, syncer *replicate.Syncer, portal *web.Server, numbers lookup.NumberFinder, log *slog.Logger) error {
	met := metrics.New(&metrics.Budgets{
		Replicators: func(ctx context.Context) ([]*roger.Replicator, error) { return a.store.ListReplicators(ctx, 0) },
		Registry:    syncer.Budgets,
	})
	done := syncer.OnRunDone
	syncer.OnRunDone = func(r *roger.Replicator, run *roger.SyncRun) {
		met.ObserveRun(r, run)
		if done != nil {
			done(r, run)
		}
	}
	lookups := lookup.New(a.store, lookup.Options{Numbers: numbers,
		Observe: func(o lookup.Outcome, d time.Duration) { met.ObserveLookup(string(o), d) }})
	if idx, ok := numbers.(*dirindex.Index); ok {
		registerIndexMetrics(met.Registry(), idx)
	}
	portal.Pop = lookups
	mux.Handle("/api/v1/", (&api.Server{Lookup: lookups, Keys: a.store, Log: log, Observe: met.ObserveRequest}).Handler())
	mux.Handle("GET /metrics", met.Handler())
	mux.Handle("GET /readyz", readyz(a.store, log))
	return nil
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
	gauge("roger_lookup_index_lag_seconds", "Seconds since the in-memory lookup index last caught up with the database.", func(s dirindex.Stats) float64 {
		if s.LastRefresh.IsZero() {
			return 0
		}
		return time.Since(s.LastRefresh).Seconds()
	})
}

// readyz answers 200 while the database answers and 503 when it does not,
// so a load balancer sends lookups only to instances that can serve them.
func readyz(db interface{ Ping(context.Context) error }, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := db.Ping(ctx); err != nil {
			log.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: the database does not answer\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
}
