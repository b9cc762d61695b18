package main

import (
	"log/slog"

	"github.com/roger365io/roger/internal/exact"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/replicators"
	"github.com/roger365io/roger/internal/web"
)

// replicatorService is the replicator service on the app's store, with a
// rate budget registry of its own that a syncer in the same process must
// share (Syncer.Budgets).
func (m *Main) replicatorService(a *app, log *slog.Logger) *replicators.Service {
	return &replicators.Service{Store: a.store, Budgets: exact.NewBudgetRegistry(nil), RedirectURL: a.cfg.RedirectURL, Log: log}
}

// portal builds the admin portal on the app's store and configuration;
// serve gives it the replicator service.
// extraHosts are offered before Exact's own hosts (the demo's simulator).
func (m *Main) portal(a *app, log *slog.Logger, extraHosts ...web.ExactHost) *web.Server {
	return &web.Server{
		Store:       a.store,
		RedirectURL: a.cfg.RedirectURL,
		Log:         log,
		PublicURL:   a.cfg.PublicURL,
		Links:       a.keys,
		ExactHosts:  append(extraHosts, web.DefaultExactHosts...),
		// The portal's own lookups are admins' searches: they stay out of
		// the lookup metrics, which count the telephony's questions.
		Directory: lookup.New(a.store, lookup.Options{}),
	}
}
