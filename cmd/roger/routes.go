package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
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
	portal.Pop = lookups
	mux.Handle("/api/v1/", (&api.Server{Lookup: lookups, Keys: a.store, Log: log, Observe: met.ObserveRequest}).Handler())
	mux.Handle("GET /metrics", met.Handler())
	mux.Handle("GET /readyz", readyz(a.store, log))
	return nil
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
