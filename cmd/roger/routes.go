package main

import (
	"log/slog"
	"net/http"

	"github.com/roger365io/roger/internal/replicate"
)

// mountExtra adds the machine-facing surfaces (lookup API, metrics,
// readiness) beside the portal, which serves "/".
func (m *Main) mountExtra(mux *http.ServeMux, a *app, syncer *replicate.Syncer, log *slog.Logger) error {
	return nil
}
