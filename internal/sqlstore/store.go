// Package sqlstore is roger's storage: one database/sql store for SQLite
// (modernc.org/sqlite, embedded, the default) and PostgreSQL (pgx, for
// several instances). The SQL is shared; only the migrations and a few
// locking statements differ per dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
)

//go:embed migrations
var migrationFS embed.FS

// Dialect names the database.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Sealer seals secrets bound to the row they belong to (internal/secret's
// Keyring). The store never keeps a secret in the clear.
type Sealer interface {
	Seal(plaintext []byte, binding string) (string, error)
	Open(sealed, binding string) ([]byte, error)
}

// Store is roger's database.
type Store struct {
	dialect Dialect
	// write takes every change. For SQLite it has one connection, so
	// writers queue in Go rather than fail on SQLITE_BUSY; read is a pool
	// beside it that WAL lets run in parallel. For PostgreSQL both are
	// the same pool.
	write  *sql.DB
	read   *sql.DB
	sealer Sealer
	clock  roger.Clock

	// tokenLocks serialises token refreshes within this process; across
	// processes the refresh lease on the credentials row does it.
	tokenMu    sync.Mutex
	tokenLocks map[int64]*sync.Mutex
	// pending holds a refreshed token whose store failed, by replicator:
	// Exact has already replaced the stored refresh token with it.
	pending map[int64]pendingToken
	// holder names this handle and its process in the leases it takes.
	holder holder

	// stmts caches prepared statements of the ingest path: parsing a
	// 200-row upsert again for every page costs more than running it.
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt

	// watchers are told after a commit that changed the directory or a
	// replicator's settings (OnDirectoryChange).
	watchMu  sync.Mutex
	watchers []func()
	// committed are told what each commit of whole pages changed.
	committed []func(roger.DirectoryChange)

	// qualityCounts keeps each replicator's data-quality counts, by
	// organisation and replicator, for as long as the organisation's
	// directory stays as it was (CountQuality).
	qualityMu     sync.Mutex
	qualityCounts map[[2]int64]qualityCounts

	// beforeCursor, when set by a test, runs inside ApplyPage's
	// transaction just before the cursor moves, to fail a page midway.
	beforeCursor func() error
	// onRefreshWait, when set by a test, runs each time a token refresh
	// finds the refresh lease held by another and waits.
	onRefreshWait func()
	// migrateThrough and onUpgrade are those of Options.
	migrateThrough int
	onUpgrade      func(migration string)
}

// Options configure Open.
type Options struct {
	Sealer Sealer
	Clock  roger.Clock
	// MustExist refuses a database that roger has not created (no
	// migration applied yet) instead of creating it: only "roger migrate"
	// and the demo create one, so that a mistyped location is an error
	// rather than a new, empty directory.
	MustExist bool
	// OnUpgrade, when set, is told of each migration before it is applied
	// to a database that already had some: an upgrade, where a migration
	// that rebuilds a large table can hold up the start for a while. A
	// new database's migrations are not reported.
	OnUpgrade func(migration string)
	// migrateThrough, when set by a test, stops the migrations after
	// that version, to build a database as an older release left it.
	migrateThrough int
}

// Open connects to the database named by dsn and applies pending
// migrations. A postgres:// or postgresql:// URL selects PostgreSQL;
// anything else must be the path of a SQLite file in an existing
// directory.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("sqlstore: a Sealer is required to keep secrets sealed")
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	s := &Store{sealer: opts.Sealer, clock: opts.Clock, tokenLocks: map[int64]*sync.Mutex{}, stmts: map[string]*sql.Stmt{},
		migrateThrough: opts.migrateThrough, onUpgrade: opts.OnUpgrade}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		s.dialect, s.write, s.read = Postgres, db, db
	} else {
		if err := checkSQLitePath(dsn, opts.MustExist); err != nil {
			return nil, err
		}
		pragmas := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=cache_size(-32000)&_pragma=wal_autocheckpoint(40000)&_pragma=journal_size_limit(67108864)&_pragma=temp_store(MEMORY)&_txlock=immediate"
		w, err := sql.Open("sqlite", "file:"+(&url.URL{Path: dsn}).EscapedPath()+pragmas)
		if err != nil {
			return nil, fmt.Errorf("open SQLite %s: %w", dsn, err)
		}
		w.SetMaxOpenConns(1)
		// Readers map the file: a lookup that queries the database touches
		// random pages of a large index, and a mapped page costs no read
		// system call. The writer does not: every page it touched would
		// stay in the process's resident memory, 550 MB for a sync of a
		// million contacts against 114 MB without.
		r, err := sql.Open("sqlite", "file:"+(&url.URL{Path: dsn}).EscapedPath()+pragmas+"&_pragma=mmap_size(1073741824)&mode=ro")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open SQLite %s: %w", dsn, err)
		}
		r.SetMaxOpenConns(4)
		// Keep every read connection: database/sql closes idle ones beyond
		// two by default, and a reopened SQLite connection has lost its
		// page cache and prepared statements, which under a steady lookup
		// load means opening one for most queries.
		r.SetMaxIdleConns(4)
		s.dialect, s.write, s.read = SQLite, w, r
	}
	if err := s.write.PingContext(ctx); err != nil {
		s.Close()
		return nil, dbError(fmt.Errorf("connect to the %s database: %w", s.dialect, err))
	}
	if opts.MustExist {
		if err := s.checkCreated(ctx, dsn); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = map[string]*sql.Stmt{}
	s.stmtMu.Unlock()
	err := s.write.Close()
	if s.read != s.write {
		if e := s.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Dialect reports which database the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// Migrate applies the migrations not applied yet, each in its own
// transaction, in version order.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if s.dialect == Postgres {
		// Instances starting together must not apply a migration twice.
		if _, err := s.write.ExecContext(ctx, `SELECT pg_advisory_lock(7226915)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer s.write.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7226915)`)
	}
	dir := "migrations/" + string(s.dialect)
	files, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
	var applied int
	if err := s.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, f := range files {
		version, err := strconv.Atoi(strings.SplitN(f.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s does not start with a version number", f.Name())
		}
		var n int
		if err := s.write.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		if s.migrateThrough > 0 && version > s.migrateThrough {
			break
		}
		if applied > 0 && s.onUpgrade != nil {
			s.onUpgrade(f.Name())
		}
		body, err := fs.ReadFile(migrationFS, dir+"/"+f.Name())
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			if fill := afterMigration[version]; fill != nil {
				if err := fill(ctx, s, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`), version, s.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: apply %s: %w", f.Name(), err)
		}
	}
	return nil
}

// q rewrites ? placeholders to $n for PostgreSQL. The project's SQL never
// has a ? inside a string literal.
func (s *Store) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) now() int64 { return s.clock.Now().UnixMilli() }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// tx runs fn in a write transaction, rolling back on error or panic.
// Its error leaves the store mapped by dbError.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return dbError(err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
			err = dbError(err)
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func notFound(what string, id int64) error {
	return roger.Errorf(roger.ENOTFOUND, "There is no %s with id %d.", what, id)
}

// stmt returns query bound to tx: prepared once and cached when warm
// prepared it, else prepared for this use only.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	query = s.q(query)
	s.stmtMu.Lock()
	st, ok := s.stmts[query]
	s.stmtMu.Unlock()
	if !ok {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, st), nil
}

// warm prepares queries on the write pool outside any transaction (SQLite's
// one write connection would otherwise be taken by the transaction itself).
func (s *Store) warm(ctx context.Context, queries ...string) error {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	for _, q := range queries {
		q = s.q(q)
		if _, ok := s.stmts[q]; ok {
			continue
		}
		st, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.stmts[q] = st
	}
	return nil
}
