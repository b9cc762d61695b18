package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/config"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/metrics"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

// app is what every command that touches the database shares.
type app struct {
	cfg       *config.Config
	keys      *secret.Keyring
	keySource string
	store     *sqlstore.Store
	// Set by serve: the lookups and metrics the LDAP directory shares
	// with the API, and the addresses LDAP is served on ("" when off).
	lookups             *lookup.Service
	metrics             *metrics.Metrics
	ldapAddr, ldapsAddr string
	// ldapAnyPort lets LDAP take any free port when its address is
	// taken (the demo's fixed port).
	ldapAnyPort bool
}

// openApp loads the configuration and the secret keys and opens (and
// upgrades) the database, which must exist: only openOrCreateApp, for
// "roger migrate" and the demo, creates one. A mistyped location is an
// error that points to "roger migrate", not a new, empty directory.
func (m *Main) openApp(ctx context.Context) (*app, error) { return m.open(ctx, false) }

// openOrCreateApp is openApp that creates the database when there is none.
func (m *Main) openOrCreateApp(ctx context.Context) (*app, error) { return m.open(ctx, true) }

func (m *Main) open(ctx context.Context, create bool) (*app, error) {
	getenv := m.getenv()
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	// Which directory is used is said when it could surprise: it was not
	// named (the default, relative to where roger runs), or it is new.
	if getenv("ROGER_DATA_DIR") == "" {
		fmt.Fprintf(m.Stderr, "roger: using the data directory %s (set ROGER_DATA_DIR to use another)\n", absPath(cfg.DataDir))
	}
	_, statErr := os.Stat(cfg.DataDir)
	newDir := errors.Is(statErr, fs.ErrNotExist)
	if create {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create the data directory %s: %w", cfg.DataDir, err)
		}
	}
	opts := sqlstore.Options{MustExist: !create, OnUpgrade: func(migration string) {
		fmt.Fprintf(m.Stderr, "roger: upgrading the database: applying %s (a large directory can take a minute)\n", migration)
	}}
	if path := secret.KeyFileToCreate(getenv, cfg.DataDir); path != "" {
		if err := refuseNewKeyForSealedSecrets(ctx, cfg.DatabaseURL, opts, path); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create the data directory %s: %w", cfg.DataDir, err)
		}
	}
	if _, err := os.Stat(cfg.DataDir); newDir && err == nil {
		fmt.Fprintf(m.Stderr, "roger: created the data directory %s\n", absPath(cfg.DataDir))
	}
	keys, source, warnings, err := secret.LoadKeyring(getenv, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		fmt.Fprintln(m.Stderr, "roger: warning:", w)
	}
	opts.Sealer = keys
	store, err := sqlstore.Open(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return nil, err
	}
	return &app{cfg: cfg, keys: keys, keySource: source, store: store}, nil
}

// refuseNewKeyForSealedSecrets stops a start that would make a new secret
// key at keyPath while the database holds secrets sealed with the old one:
// the new key could not open them, and every replicator would fail until
// someone authorized it again.
func refuseNewKeyForSealedSecrets(ctx context.Context, dsn string, opts sqlstore.Options, keyPath string) error {
	opts.Sealer = noKeys{}
	opts.OnUpgrade = nil
	store, err := sqlstore.Open(ctx, dsn, opts)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.SealedSecrets(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return roger.Errorf(roger.ENOTFOUND, "The secret key file %s is missing, and the database holds %d client secrets and tokens sealed with it. "+
			"Restore %s from the backup made with the database (or point %s at it); roger does not make a new key, which could not open them.",
			keyPath, n, secret.KeyFileName, secret.EnvKeyFile)
	}
	return nil
}

// noKeys is the sealer of a store opened only to look before a key is
// chosen; it seals and opens nothing.
type noKeys struct{}

func (noKeys) Seal([]byte, string) (string, error) { return "", errors.New("no secret key loaded") }
func (noKeys) Open(string, string) ([]byte, error) { return nil, errors.New("no secret key loaded") }

func (a *app) Close() { a.store.Close() }

// absPath is path made absolute for messages, or path itself when that
// fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func (m *Main) getenv() func(string) string {
	if m.Getenv != nil {
		return m.Getenv
	}
	return os.Getenv
}
