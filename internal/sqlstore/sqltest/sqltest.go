// Package sqltest gives tests a database of their own: a fresh PostgreSQL
// database on the server named by ROGER_TEST_POSTGRES, dropped afterwards.
package sqltest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

var counter atomic.Int64

// Postgres returns the admin URL from ROGER_TEST_POSTGRES, or "" when the
// PostgreSQL suite is not to run. Under CI a missing server fails the test,
// since CI must run every store test on PostgreSQL too.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("ROGER_TEST_POSTGRES")
	if admin == "" && os.Getenv("CI") != "" {
		t.Fatal("ROGER_TEST_POSTGRES is not set: CI must run the store tests on PostgreSQL too")
	}
	return admin
}

// FreshPostgres creates an empty database on the server named by admin for
// one test, drops it when the test ends, and returns its URL.
func FreshPostgres(t testing.TB, admin string) string {
	t.Helper()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("roger_test_%d_%d", os.Getpid(), counter.Add(1))
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		db.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		db.Close()
	})
	i := strings.LastIndex(admin, "/")
	rest := ""
	if q := strings.IndexByte(admin[i:], '?'); q >= 0 {
		rest = admin[i+q:]
	}
	return admin[:i+1] + name + rest
}

// Database is a database a benchmark runs on; DSN creates it.
type Database struct {
	Name string
	DSN  func() string
}

// BenchDatabases lists the databases a benchmark runs on, in order: a
// fresh SQLite file always, and a fresh PostgreSQL database when
// ROGER_TEST_POSTGRES names a server. Each is made only when its DSN is
// called, inside the sub-benchmark that uses it.
func BenchDatabases(b *testing.B) []Database {
	dbs := []Database{{Name: "sqlite", DSN: func() string { return filepath.Join(b.TempDir(), "bench.db") }}}
	if pg := os.Getenv("ROGER_TEST_POSTGRES"); pg != "" {
		dbs = append(dbs, Database{Name: "postgres", DSN: func() string { return FreshPostgres(b, pg) }})
	}
	return dbs
}
