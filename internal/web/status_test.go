package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/roger365io/roger"
)

// TestErrorPagesAnswerWithTheAPIsStatus: a failure the API answers with
// one status is not another on a page.
func TestErrorPagesAnswerWithTheAPIsStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"invalid", roger.Errorf(roger.EINVALID, "x"), http.StatusBadRequest},
		{"not found", roger.Errorf(roger.ENOTFOUND, "x"), http.StatusNotFound},
		{"conflict", roger.Errorf(roger.ECONFLICT, "x"), http.StatusConflict},
		{"unauthorized", roger.Errorf(roger.EUNAUTHORIZED, "x"), http.StatusUnauthorized},
		{"forbidden", roger.Errorf(roger.EFORBIDDEN, "x"), http.StatusForbidden},
		{"database unavailable, wrapped", fmt.Errorf("list: %w", roger.Errorf(roger.EUNAVAILABLE, "x")), http.StatusServiceUnavailable},
		{"authorization gone", roger.Errorf(roger.EREAUTHORIZE, "x"), http.StatusServiceUnavailable},
		{"plain error", errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statusOf(tt.err)
			if got != tt.want {
				t.Errorf("page status %d; want %d", got, tt.want)
			}
			if api := roger.HTTPStatus(roger.ErrorCodeOf(tt.err)); got != api {
				t.Errorf("page status %d, API status %d", got, api)
			}
		})
	}
}
