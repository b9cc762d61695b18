package roger

import "net/http"

// httpStatuses is the one table from error codes to HTTP statuses: the
// API and the portal answer the same failure with the same status.
var httpStatuses = map[ErrorCode]int{
	EINVALID:      http.StatusBadRequest,
	EUNAUTHORIZED: http.StatusUnauthorized,
	EFORBIDDEN:    http.StatusForbidden,
	ENOTFOUND:     http.StatusNotFound,
	ECONFLICT:     http.StatusConflict,
	// A dependency that is down or busy is roger being unable to serve
	// for now, not a bad answer it passed on: 503, with which clients
	// know to try again later.
	EUNAVAILABLE: http.StatusServiceUnavailable,
	// Lookups and syncs of a replicator whose authorization is gone cannot
	// be served until a person authorizes again.
	EREAUTHORIZE: http.StatusServiceUnavailable,
	EINTERNAL:    http.StatusInternalServerError,
}

// HTTPStatus returns the HTTP status that answers an error of code;
// unknown codes are internal errors.
func HTTPStatus(code ErrorCode) int {
	if status, ok := httpStatuses[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}
