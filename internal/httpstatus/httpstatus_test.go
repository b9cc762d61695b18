package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w http.ResponseWriter)
		want  int
	}{
		{"nothing", func(http.ResponseWriter) {}, 0},
		{"body only", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, 200},
		{"status then body", func(w http.ResponseWriter) { w.WriteHeader(404); _, _ = w.Write([]byte("x")) }, 404},
		{"first status wins", func(w http.ResponseWriter) { w.WriteHeader(429); w.WriteHeader(500) }, 429},
	} {
		rec := httptest.NewRecorder()
		w := &Writer{ResponseWriter: rec}
		tc.write(w)
		if w.Status != tc.want {
			t.Errorf("%s: Status = %d; want %d", tc.name, w.Status, tc.want)
		}
	}
}
