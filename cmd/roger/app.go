package main

import (
	"context"
	"fmt"
	"os"

	"github.com/roger365io/roger/internal/config"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

// app is what every command that touches the database shares.
type app struct {
	cfg       *config.Config
	keys      *secret.Keyring
	keySource string
	store     *sqlstore.Store
}

// openApp loads the configuration and the secret keys and opens (and
// migrates) the database.
func (m *Main) openApp(ctx context.Context) (*app, error) {
	getenv := m.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory %s: %w", cfg.DataDir, err)
	}
	keys, source, warnings, err := secret.LoadKeyring(getenv, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintln(m.Stderr, "roger: warning:", w)
	}
	store, err := sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.Options{Sealer: keys, OnUpgrade: func(migration string) {
		fmt.Fprintf(m.Stderr, "roger: upgrading the database: applying %s (a large directory can take a minute)\n", migration)
	}})
	if err != nil {
		return nil, err
	}
	return &app{cfg: cfg, keys: keys, keySource: source, store: store}, nil
}

func (a *app) Close() { a.store.Close() }

func (m *Main) getenv() func(string) string {
	if m.Getenv != nil {
		return m.Getenv
	}
	return os.Getenv
}
