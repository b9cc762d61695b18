package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roger365io/roger"
)

// TestMustExistRefusesADatabaseNotCreated: with MustExist, a database in
// which roger applied no migration is refused with a pointer to "roger
// migrate", and nothing is created; once created, it opens.
func TestMustExistRefusesADatabaseNotCreated(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.dsn(t)
			_, err := Open(ctx, dsn, Options{Sealer: testKeyring(t), MustExist: true})
			if code(err) != roger.ENOTFOUND || !strings.Contains(err.Error(), `with "roger migrate"`) {
				t.Fatalf("a database not created: %v", err)
			}
			if b.name == "sqlite" {
				if entries, _ := os.ReadDir(filepath.Dir(dsn)); len(entries) != 0 {
					t.Fatalf("the refused open left %d files behind", len(entries))
				}
			}
			created, err := Open(ctx, dsn, Options{Sealer: testKeyring(t)})
			if err != nil {
				t.Fatal(err)
			}
			created.Close()
			again, err := Open(ctx, dsn, Options{Sealer: testKeyring(t), MustExist: true})
			if err != nil {
				t.Fatalf("a created database: %v", err)
			}
			again.Close()
		})
	}
	t.Run("sqlite file of another program", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(context.Background(), path, Options{Sealer: testKeyring(t), MustExist: true}); code(err) != roger.ENOTFOUND {
			t.Fatalf("an empty file: %v", err)
		}
	})
}

// TestOpenRefusesWhatIsNoSQLitePath: what SQLite would create but nobody
// meant is refused, and no file is left behind.
func TestOpenRefusesWhatIsNoSQLitePath(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, dsn, want string
	}{
		{"another database's URL", "mysql://roger:hunter2@db/roger", `roger does not know the scheme "mysql"`},
		{"colons", "::::", "neither a postgres:// URL nor a SQLite file path"},
		{"scheme missing", "roger:hunter2@db/roger", `roger does not know the scheme "roger"`},
		{"missing directory", filepath.Join(dir, "no", "such", "x.db"), "does not exist; create it first"},
		{"a directory", dir, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.dsn, Options{Sealer: testKeyring(t)})
			if code(err) != roger.EINVALID || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the refused opens left %d files behind", len(entries))
	}
	if _, err := os.Stat("::::"); err == nil {
		os.Remove("::::")
		t.Fatal("a file named :::: was created")
	}
}

// TestSealedSecrets counts client secrets and tokens, the values a lost
// key would leave unreadable.
func TestSealedSecrets(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		count := func() int {
			t.Helper()
			n, err := f.store.SealedSecrets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 0 {
			t.Fatalf("a new database holds %d sealed secrets", n)
		}
		r := f.replicator("a")
		if err := f.store.SaveClientSecret(ctx, r.ID, "s3cret"); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 {
			t.Fatalf("after a client secret: %d", n)
		}
		if err := f.store.SaveToken(ctx, r.ID, &roger.Token{AccessToken: "a", RefreshToken: "r"}); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 2 {
			t.Fatalf("after a token: %d", n)
		}
	})
}
