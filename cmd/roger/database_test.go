package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/sqlstore/sqltest"
)

// envOf is a configuration of exactly vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runRefused runs a command that is to be refused at start. Should it
// start instead (serve), it ends after a few seconds rather than hang the
// test, and returns no error.
func runRefused(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := (&Main{Stdout: &out, Stderr: &out, Getenv: getenv}).Run(ctx, args)
	return out.String(), err
}

// TestMistypedDatabaseURLIsRefused: a database URL that names neither
// PostgreSQL nor a SQLite file in an existing directory stops every
// command with the forms accepted, and leaves no file behind.
func TestMistypedDatabaseURLIsRefused(t *testing.T) {
	dir := t.TempDir()
	// A relative path lands in the working directory.
	t.Chdir(dir)
	tests := []struct {
		name, url, want string
	}{
		{"another database's URL", "mysql://u@h/db", `roger does not know the scheme "mysql"`},
		{"colons", "::::", "neither a postgres:// URL nor a file path"},
		{"directory not there", filepath.Join(dir, "no", "such", "dir", "x.db"), "the directory " + filepath.Join(dir, "no", "such", "dir") + " does not exist"},
		{"relative directory not there", filepath.Join("no-such-dir", "x.db"), "the directory no-such-dir does not exist"},
		{"password in a mistyped URL", "mysql://u:hunter2@h/db", `roger does not know the scheme "mysql"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := envOf(map[string]string{"ROGER_DATA_DIR": filepath.Join(dir, "data"), "ROGER_DATABASE_URL": tc.url, "ROGER_ADDR": "127.0.0.1:0"})
			for _, args := range [][]string{{"migrate"}, {"serve"}, {"replicator", "list"}, {"apikey", "list"}} {
				out, err := runRefused(t, getenv, args...)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "use postgres://USER:PASSWORD@HOST:5432/DATABASE") {
					t.Errorf("%s: want an error with %q and the forms accepted, got %v\n%s", args[0], tc.want, err, out)
				}
				if err != nil && strings.Contains(err.Error()+out, "hunter2") {
					t.Errorf("%s: the password is shown: %v", args[0], err)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the refused commands left %s behind", entries[0].Name())
	}
}

// TestCommandsNeedACreatedDatabase: only migrate (and the demo) create a
// database; every other command that finds none says so, points to
// "roger migrate", and creates nothing, on SQLite and PostgreSQL.
func TestCommandsNeedACreatedDatabase(t *testing.T) {
	dbs := []struct {
		name string
		url  func(t *testing.T) string
	}{{"sqlite", func(t *testing.T) string { return "" }}}
	if pg := sqltest.Postgres(t); pg != "" {
		dbs = append(dbs, struct {
			name string
			url  func(t *testing.T) string
		}{"postgres", func(t *testing.T) string { return sqltest.FreshPostgres(t, pg) }})
	}
	for _, db := range dbs {
		t.Run(db.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			getenv := envOf(map[string]string{"ROGER_DATA_DIR": dataDir, "ROGER_DATABASE_URL": db.url(t), "ROGER_ADDR": "127.0.0.1:0"})
			for _, args := range [][]string{{"serve"}, {"replicator", "list"}, {"user", "add", "--email", "anna@example.nl", "--org", "V", "--create-org"},
				{"apikey", "list"}, {"directory", "export"}, {"secrets", "rotate"}} {
				out, err := runRefused(t, getenv, args...)
				if err == nil || !strings.Contains(err.Error(), `with "roger migrate"`) {
					t.Errorf("%s on no database: want a pointer to roger migrate, got %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Fatalf("the refused commands created the data directory: %v", err)
			}
			if out, err := run(t, getenv, "migrate"); err != nil || !strings.Contains(out, "database is up to date") {
				t.Fatalf("migrate: %v\n%s", err, out)
			}
			if out, err := run(t, getenv, "replicator", "list"); err != nil {
				t.Fatalf("list after migrate: %v\n%s", err, out)
			}
		})
	}
}

// TestMissingSecretKeyStopsStart: a database holding secrets sealed with
// a key that is gone stops every command with what to restore; roger does
// not make a new key, which could not open them.
func TestMissingSecretKeyStopsStart(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	if out, err := run(t, getenv, "replicator", "add", "--name", "contacts", "--entity", "contacts", "--client-id", "6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01",
		"--client-secret", "s3cret-4f2a", "--contact-url", goodContactURL, "--country", "NL"); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
	keyFile := filepath.Join(getenv("ROGER_DATA_DIR"), "secret.key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"replicator", "list"}} {
		out, err := runRefused(t, getenv, args...)
		if err == nil || !strings.Contains(err.Error(), "secret key file "+keyFile+" is missing") || !strings.Contains(err.Error(), "holds 1 client secrets and tokens") ||
			!strings.Contains(err.Error(), "Restore secret.key") {
			t.Errorf("%s without the key: %v\n%s", args[0], err, out)
		}
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Fatalf("a new key file was made: %v", err)
	}

	// A database that holds no sealed secret gets a key made as before.
	fresh := testEnv(t, "127.0.0.1:0")
	freshKey := filepath.Join(fresh("ROGER_DATA_DIR"), "secret.key")
	if err := os.Remove(freshKey); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, fresh, "replicator", "list"); err != nil || !strings.Contains(out, "created "+freshKey) {
		t.Fatalf("no sealed secrets: %v\n%s", err, out)
	}
}

// TestDatabasePasswordNotLogged: a password in the database URL's query
// is masked in serve's start-up line, and a failed connection does not
// show it either.
func TestDatabasePasswordNotLogged(t *testing.T) {
	pg := sqltest.Postgres(t)
	if pg == "" {
		t.Skip("ROGER_TEST_POSTGRES is not set")
	}
	// The test server trusts local connections, so any password works.
	dsn := sqltest.FreshPostgres(t, pg) + "&password=hunter2"
	getenv := envOf(map[string]string{"ROGER_DATA_DIR": filepath.Join(t.TempDir(), "data"), "ROGER_DATABASE_URL": dsn, "ROGER_ADDR": "127.0.0.1:0"})
	if out, err := run(t, getenv, "migrate"); err != nil || strings.Contains(out, "hunter2") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	_, out, stop := serveInstance(t, getenv)
	stop()
	if log := out.String(); strings.Contains(log, "hunter2") || !strings.Contains(log, "password=xxxxx") {
		t.Errorf("serve's log shows the database password, or no database at all:\n%s", log)
	}

	unreachable := envOf(map[string]string{"ROGER_DATA_DIR": filepath.Join(t.TempDir(), "data"),
		"ROGER_DATABASE_URL": "postgres://roger@127.0.0.1:1/roger?sslmode=disable&password=hunter2"})
	if out, err := run(t, unreachable, "replicator", "list"); err == nil || strings.Contains(err.Error()+out, "hunter2") {
		t.Errorf("an unreachable database: %v\n%s", err, out)
	}
}
