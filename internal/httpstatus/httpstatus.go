// Package httpstatus remembers the status an HTTP handler answered with,
// for the code that counts answers around it (metrics, error budgets).
package httpstatus

import "net/http"

// Writer is an http.ResponseWriter that remembers the first status
// written: the one given to WriteHeader, or 200 when the handler wrote a
// body without one. Status is 0 while nothing was written.
type Writer struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records code, if no status was recorded yet, and writes it.
func (w *Writer) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200, if no status was recorded yet, and writes b.
func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection underneath.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
