// Package storetest opens real stores for the tests of the packages that
// use sqlstore (the store's own tests cannot import it: it imports the
// store).
package storetest

import (
	"context"
	"testing"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/secret"
	"github.com/roger365io/roger/internal/sqlstore"
)

// Open opens and migrates the store at dsn (a SQLite file or a PostgreSQL
// URL) with a fresh secret key and clk (nil: the system clock), closed
// when the test ends.
func Open(t testing.TB, dsn string, clk roger.Clock) (*sqlstore.Store, *secret.Keyring) {
	t.Helper()
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{Sealer: ring, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ring
}
