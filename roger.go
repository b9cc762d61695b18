// Package roger holds the domain of roger: organisations, replicators, the
// phone-number directory, sync runs, and the errors that cross package
// boundaries. Packages under internal/ implement its interfaces with
// concrete technologies (SQLite and PostgreSQL, Exact Online, HTTP).
package roger

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error for callers that map it to an HTTP status
// or a command-line exit.
type ErrorCode string

// The error codes.
const (
	EINVALID      ErrorCode = "invalid"      // bad input; Message says what to change
	ENOTFOUND     ErrorCode = "not_found"    // no such thing (in this organisation)
	ECONFLICT     ErrorCode = "conflict"     // clashes with what exists (a Client ID in use)
	EUNAUTHORIZED ErrorCode = "unauthorized" // not signed in or no valid key
	EFORBIDDEN    ErrorCode = "forbidden"    // signed in but not allowed
	EUNAVAILABLE  ErrorCode = "unavailable"  // a dependency (Exact, the database) is down or busy
	EREAUTHORIZE  ErrorCode = "reauthorize"  // the Exact authorization is gone; a person must authorize again
	EINTERNAL     ErrorCode = "internal"     // a bug or an unexpected failure
)

// Error is an error with a machine code and a message safe to show to the
// person who caused it. Op names the operation for logs; Err keeps the
// cause, which may hold details that are not for users.
type Error struct {
	Code    ErrorCode
	Message string
	Op      string
	Err     error
}

// Error returns the message, prefixed with the operation when there is one.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted user-safe message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the first *Error in err's chain, EINTERNAL
// for other errors and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the Message of the
// first *Error that has one, or a generic text that leaks nothing.
func ErrorMessage(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			break
		}
		if e.Message != "" {
			return e.Message
		}
		err = e.Err
	}
	return "An internal error occurred."
}
