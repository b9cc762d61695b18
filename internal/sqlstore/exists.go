package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/roger365io/roger"
)

// urlScheme is the scheme of a data source name that was meant as a URL.
var urlScheme = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):`)

// checkSQLitePath refuses a SQLite path that SQLite would happily create
// but nobody meant: a URL of another database, a name with a colon, a
// file in a directory that does not exist. With mustExist, a file that is
// not there is refused too, before SQLite creates it. Messages name no
// more of the value than is safe: a mistyped URL can hold a password.
func checkSQLitePath(path string, mustExist bool) error {
	rest := path[len(filepath.VolumeName(path)):]
	if m := urlScheme.FindStringSubmatch(rest); m != nil {
		return roger.Errorf(roger.EINVALID, "The database %s:… is neither PostgreSQL (postgres://…) nor a SQLite file path; roger does not know the scheme %q.", m[1], m[1])
	}
	if strings.Contains(rest, ":") || strings.TrimSpace(path) == "" {
		return roger.Errorf(roger.EINVALID, "The database location is neither a postgres:// URL nor a SQLite file path (a SQLite file name has no colon).")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && mustExist {
		return notCreated(SQLite, path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return roger.Errorf(roger.EINVALID, "The directory %s of the SQLite database %s does not exist; create it first or correct the path.", dir, path)
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return roger.Errorf(roger.EINVALID, "The SQLite database %s is a directory: name the file in it, such as %s.", path, filepath.Join(path, "roger.db"))
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("open SQLite %s: %w", path, err)
	}
	return nil
}

// checkCreated refuses a database in which roger has applied no migration:
// an empty PostgreSQL database, or a SQLite file that is not roger's.
func (s *Store) checkCreated(ctx context.Context, dsn string) error {
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if s.dialect == Postgres {
		query = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	var tables, applied int
	if err := s.read.QueryRowContext(ctx, query).Scan(&tables); err != nil {
		return fmt.Errorf("look for roger's tables: %w", err)
	}
	if tables > 0 {
		if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
			return fmt.Errorf("look for roger's tables: %w", err)
		}
	}
	if applied == 0 {
		return notCreated(s.dialect, dsn)
	}
	return nil
}

// notCreated says that the database is not roger's yet, and how to make
// it so. where is shown for SQLite only: a PostgreSQL URL can hold a
// password.
func notCreated(d Dialect, where string) error {
	if d == Postgres {
		return roger.Errorf(roger.ENOTFOUND, "The PostgreSQL database has no roger tables yet. Create them with \"roger migrate\" (only migrate and the demo create a database), then start again.")
	}
	return roger.Errorf(roger.ENOTFOUND, "There is no roger database at %s yet. Create it with \"roger migrate\" (only migrate and the demo create a database), or correct ROGER_DATABASE_URL or ROGER_DATA_DIR if it is elsewhere.", where)
}

// SealedSecrets counts the secrets stored sealed (client secrets and
// tokens): values that only the key they were sealed with opens.
func (s *Store) SealedSecrets(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM credentials WHERE client_secret <> '') +
		(SELECT COUNT(*) FROM credentials WHERE token <> '')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count sealed secrets: %w", err)
	}
	return n, nil
}
