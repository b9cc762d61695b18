package main

import (
	"log/slog"

	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/web"
)

// portal builds the admin portal on the app's store and configuration.
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
