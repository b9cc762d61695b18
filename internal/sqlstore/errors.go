package sqlstore

import (
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/roger365io/roger"
)

// errKind is what a database error means to roger, read from the
// driver's error code rather than its text: the text differs between
// drivers, versions and the server's language.
type errKind int

const (
	errOther       errKind = iota
	errUnique              // a unique constraint: the thing exists already
	errFull                // no space left for the database
	errUnreachable         // the database cannot be reached
	errExhausted           // the server is out of memory or connections
	errEncoding            // text the database cannot hold (PostgreSQL: a NUL byte, bytes that are not UTF-8)
	errTooLong             // a value larger than the database takes
	errConstraint          // a constraint other than uniqueness refused a row
)

// kindOf classifies err by the code of the driver error in its chain.
func kindOf(err error) errKind {
	if err == nil {
		return errOther
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pgKind(pg.Code)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return sqliteKind(lite.Code())
	}
	var connect *pgconn.ConnectError
	var netErr *net.OpError
	if errors.As(err, &connect) || errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) {
		return errUnreachable
	}
	return errOther
}

// pgKind reads a PostgreSQL SQLSTATE (Appendix A of its manual).
func pgKind(code string) errKind {
	switch {
	case code == "23505": // unique_violation
		return errUnique
	case code == "53100": // disk_full
		return errFull
	case strings.HasPrefix(code, "53"): // insufficient_resources, out_of_memory, too_many_connections
		return errExhausted
	case code == "22021", code == "22P05": // character_not_in_repertoire, untranslatable_character
		return errEncoding
	case code == "22001", code == "54000": // string_data_right_truncation, program_limit_exceeded (an index row too large)
		return errTooLong
	case strings.HasPrefix(code, "23"): // integrity_constraint_violation: not null, check, foreign key
		return errConstraint
	case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03": // connection exceptions, a server shutting down or starting
		return errUnreachable
	}
	return errOther
}

// sqliteKind reads a SQLite result code; the driver turns on extended
// codes, whose low byte is the primary one.
func sqliteKind(code int) errKind {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return errUnique
	}
	switch code & 0xff {
	case sqlite3.SQLITE_FULL:
		return errFull
	case sqlite3.SQLITE_NOMEM:
		return errExhausted
	case sqlite3.SQLITE_CANTOPEN:
		return errUnreachable
	case sqlite3.SQLITE_TOOBIG:
		return errTooLong
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH:
		return errConstraint
	}
	return errOther
}

// The messages of the errors dbError makes: each says what to do.
const (
	msgFull        = "The database is full (no space left on the disk): free space or grow the volume; nothing was lost."
	msgUnreachable = "The database cannot be reached: check that it is running and that roger can connect to it; nothing was lost."
	msgExhausted   = "The database is out of memory or connections: try again in a moment; nothing was lost."
	msgEncoding    = "The text holds characters the database cannot store (such as a NUL byte): remove them and try again."
	msgConflict    = "That exists already."
)

// dbError is where errors leave the store: a driver error a person can act
// on becomes a *roger.Error with the code and message for it (wrapping err,
// so the cause stays in logs and errors.As still finds the driver's
// error); any other error is returned as it is.
func dbError(err error) error {
	var code roger.ErrorCode
	var msg string
	switch kindOf(err) {
	case errUnique:
		code, msg = roger.ECONFLICT, msgConflict
	case errFull:
		code, msg = roger.EUNAVAILABLE, msgFull
	case errUnreachable:
		code, msg = roger.EUNAVAILABLE, msgUnreachable
	case errExhausted:
		code, msg = roger.EUNAVAILABLE, msgExhausted
	case errEncoding:
		code, msg = roger.EINVALID, msgEncoding
	default:
		return err
	}
	var re *roger.Error
	if errors.As(err, &re) && re.Code == code {
		return err // mapped already, or a caller's own message of that kind
	}
	return &roger.Error{Code: code, Message: msg, Err: err}
}

// isUniqueViolation recognises a unique-constraint error of either driver.
func isUniqueViolation(err error) bool { return kindOf(err) == errUnique }

// recordLevel reports whether err refuses the values of a row rather than
// the transaction or the database: another row of the same page may
// well be stored, so a page that fails with it is written row by row to
// set aside the rows the database refuses.
func recordLevel(err error) bool {
	switch kindOf(err) {
	case errEncoding, errTooLong, errConstraint, errUnique:
		return true
	}
	return false
}

// refusal says, for the list of records set aside, why the database
// refused one.
func refusal(err error) string {
	detail := ""
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.ConstraintName != "" {
		detail = " (" + pg.ConstraintName + ")"
	}
	switch kindOf(err) {
	case errEncoding:
		return "The database cannot store its text (a character it does not take)."
	case errTooLong:
		return "A value is longer than the database can store" + detail + "."
	case errUnique:
		return "Its id clashes with another record's" + detail + "."
	case errConstraint:
		return "The database refused one of its values" + detail + "."
	}
	return "The database refused it."
}
