package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

// Errors the database really gives, on each database, leave the store
// with the code and message their kind calls for.
func TestDriverErrorsMappedByKind(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		cases := []struct {
			name string
			run  func() error
			// code and message: "" means the statement succeeds there.
			code roger.ErrorCode
			msg  string
		}{
			{"unique violation", func() error {
				return f.store.tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, f.store.q(`INSERT INTO organizations (name, default_country, created) VALUES (?, 'NL', 0)`), f.org.Name)
					return err
				})
			}, roger.ECONFLICT, msgConflict},
			{"NUL byte in text", func() error {
				return f.store.tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, f.store.q(`UPDATE organizations SET name = ? WHERE id = ?`), "Nul\x00Byte", f.org.ID)
					return err
				})
			}, map[Dialect]roger.ErrorCode{Postgres: roger.EINVALID, SQLite: ""}[f.store.dialect], map[Dialect]string{Postgres: msgEncoding}[f.store.dialect]},
			{"bytes that are not UTF-8", func() error {
				return f.store.tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, f.store.q(`UPDATE organizations SET name = ? WHERE id = ?`), "Bad\xffByte", f.org.ID)
					return err
				})
			}, map[Dialect]roger.ErrorCode{Postgres: roger.EINVALID, SQLite: ""}[f.store.dialect], map[Dialect]string{Postgres: msgEncoding}[f.store.dialect]},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.run()
				if c.code == "" {
					if err != nil {
						t.Fatalf("%v; this database takes it", err)
					}
					return
				}
				if roger.ErrorCodeOf(err) != c.code || roger.ErrorMessage(err) != c.msg {
					t.Fatalf("%v: code %q, message %q; want %q, %q", err, roger.ErrorCodeOf(err), roger.ErrorMessage(err), c.code, c.msg)
				}
			})
		}
	})
}

// A database out of space says so, with what to do, instead of "An
// internal error occurred.". SQLite's page limit makes it really full.
func TestFullDatabase(t *testing.T) {
	ctx := context.Background()
	f := &fixture{t: t, dsn: filepath.Join(t.TempDir(), "roger.db"), keys: testKeyring(t), clock: clock.NewFake(time.Date(2026, 6, 25, 12, 0, 0, 0, time.UTC))}
	f.store = f.open()
	f.org = &roger.Organization{Name: "Voorbeeld B.V."}
	if err := f.store.CreateOrganization(ctx, f.org); err != nil {
		t.Fatal(err)
	}
	r := f.replicator("a")
	var pages int
	if err := f.store.write.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// The store's one write connection may grow the file no further.
	if _, err := f.store.write.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	var upserts []roger.Entry
	for i := range 2000 {
		e := entry(fmt.Sprint(i), int64(i+1), ok("Phone", fmt.Sprintf("+3120%07d", i)))
		e.DisplayName = strings.Repeat("x", 200)
		upserts = append(upserts, e)
	}
	_, err := f.store.ApplyPage(ctx, roger.Page{ReplicatorID: r.ID, OrgID: f.org.ID, Upserts: upserts, Cursor: 2000})
	if roger.ErrorCodeOf(err) != roger.EUNAVAILABLE || roger.ErrorMessage(err) != msgFull {
		t.Fatalf("%v: code %q, message %q; want the full database's", err, roger.ErrorCodeOf(err), roger.ErrorMessage(err))
	}
	if got, _ := f.store.FindReplicatorByID(ctx, r.ID); got.Cursor != 0 {
		t.Fatalf("the cursor moved to %d with a page that was not stored", got.Cursor)
	}
}

// A database that cannot be reached says so: PostgreSQL refusing the
// connection, a SQLite path that cannot be opened.
func TestUnreachableDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := map[string]string{
		// Nothing listens on port 1.
		"postgres refuses": "postgres://postgres@127.0.0.1:1/roger?sslmode=disable&connect_timeout=5",
		// A link to a directory that is not there: Open's own checks of
		// the path let it through, SQLite cannot create the file.
		"sqlite cannot open": danglingLink(t, dir),
	}
	for name, dsn := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Open(ctx, dsn, Options{Sealer: testKeyring(t)})
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if roger.ErrorCodeOf(err) != roger.EUNAVAILABLE || roger.ErrorMessage(err) != msgUnreachable {
				t.Fatalf("%v: code %q, message %q; want the unreachable database's", err, roger.ErrorCodeOf(err), roger.ErrorMessage(err))
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "roger.db")); err == nil {
		t.Error("a database file appeared")
	}
}

// Where a failure cannot be provoked on the machine running the tests
// (a full disk on PostgreSQL's server, a server going down), the driver's
// error is built as the driver builds it.
func TestDriverErrorKinds(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code roger.ErrorCode
		msg  string
	}{
		{"PostgreSQL disk full", &pgconn.PgError{Code: "53100", Message: "could not extend file"}, roger.EUNAVAILABLE, msgFull},
		{"PostgreSQL out of connections", &pgconn.PgError{Code: "53300", Message: "sorry, too many clients already"}, roger.EUNAVAILABLE, msgExhausted},
		{"PostgreSQL shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, roger.EUNAVAILABLE, msgUnreachable},
		{"PostgreSQL connection failure", &pgconn.PgError{Code: "08006"}, roger.EUNAVAILABLE, msgUnreachable},
		{"PostgreSQL unique violation", &pgconn.PgError{Code: "23505"}, roger.ECONFLICT, msgConflict},
		{"PostgreSQL bad encoding", &pgconn.PgError{Code: "22021"}, roger.EINVALID, msgEncoding},
		{"PostgreSQL check violation", &pgconn.PgError{Code: "23514"}, roger.EINTERNAL, "An internal error occurred."},
		{"wrapped", fmt.Errorf("apply page: %w", &pgconn.PgError{Code: "53100"}), roger.EUNAVAILABLE, msgFull},
		{"a message of the same kind is kept", &roger.Error{Code: roger.ECONFLICT, Message: "There is already a user with that e-mail address.", Err: &pgconn.PgError{Code: "23505"}},
			roger.ECONFLICT, "There is already a user with that e-mail address."},
		{"not a driver error", errors.New("boom"), roger.EINTERNAL, "An internal error occurred."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := dbError(c.err)
			if roger.ErrorCodeOf(err) != c.code || roger.ErrorMessage(err) != c.msg {
				t.Fatalf("code %q, message %q; want %q, %q", roger.ErrorCodeOf(err), roger.ErrorMessage(err), c.code, c.msg)
			}
			if !errors.Is(err, c.err) {
				t.Fatal("the driver's error is no longer in the chain")
			}
		})
	}
}

// danglingLink returns the path of a database file that is a symbolic
// link into a directory that does not exist.
func danglingLink(t *testing.T, dir string) string {
	t.Helper()
	link := filepath.Join(dir, "roger.db")
	if err := os.Symlink(filepath.Join(dir, "gone", "roger.db"), link); err != nil {
		t.Fatal(err)
	}
	return link
}

// Statements run outside a transaction map driver errors too: text
// PostgreSQL cannot hold (a NUL byte) is a real error of every such
// statement that takes text, and leaves the store as EINVALID with the
// message that says what to do, not as an internal error.
func TestSingleStatementErrorsMappedByKind(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		if f.store.dialect != Postgres {
			t.Skip("SQLite stores a NUL byte")
		}
		ctx := context.Background()
		r := f.replicator("")
		if err := f.store.SaveClientSecret(ctx, r.ID, "secret-1234"); err != nil {
			t.Fatal(err)
		}
		const bad = "Nul\x00Byte"
		cases := []struct {
			name string
			run  func() error
		}{
			{"create replicator", func() error {
				return f.store.CreateReplicator(ctx, &roger.Replicator{OrgID: f.org.ID, Name: bad, Entity: roger.Contacts, State: roger.StateNew})
			}},
			{"update replicator", func() error {
				changed := *r
				changed.Name = bad
				return f.store.UpdateReplicator(ctx, &changed)
			}},
			{"find replicator by Client ID", func() error {
				_, err := f.store.FindReplicatorByClientID(ctx, bad)
				return err
			}},
			{"set replicator state", func() error {
				return f.store.SetState(ctx, r.ID, roger.StateFailing, bad)
			}},
			{"create API key", func() error {
				_, _, err := f.store.CreateAPIKey(ctx, f.org.ID, bad)
				return err
			}},
			{"reseal", func() error {
				_, err := f.store.ResealAll(ctx, func(string, string) (string, bool, error) { return bad, true, nil })
				return err
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.run()
				if roger.ErrorCodeOf(err) != roger.EINVALID || roger.ErrorMessage(err) != msgEncoding {
					t.Fatalf("%v: code %q, message %q; want %q, %q", err, roger.ErrorCodeOf(err), roger.ErrorMessage(err), roger.EINVALID, msgEncoding)
				}
				var pg *pgconn.PgError
				if !errors.As(err, &pg) {
					t.Fatal("the driver's error is no longer in the chain")
				}
			})
		}
	})
}
