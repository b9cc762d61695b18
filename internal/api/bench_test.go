package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/api"
	"github.com/roger365io/roger/internal/lookup"
	"github.com/roger365io/roger/internal/metrics"
)

// benchKey is the only key fakeKeys knows.
const benchKey = "rgr_benchbenchbenchbenchbenchbenchbenchbench123"

// fakeKeys knows benchKey and forgets every use, so the benchmarks time the
// API and not a database.
type fakeKeys struct{}

func (fakeKeys) AuthenticateAPIKey(_ context.Context, key string) (*roger.APIKey, error) {
	if key != benchKey {
		return nil, roger.Errorf(roger.EUNAUTHORIZED, "The API key is not valid.")
	}
	return &roger.APIKey{ID: 1, OrgID: 1, LastUsed: time.Now()}, nil
}

func (fakeKeys) TouchAPIKey(context.Context, int64, time.Time) error { return nil }

func (fakeKeys) APIKeysRevokedSince(context.Context, time.Time) ([]int64, error) { return nil, nil }

// fakeLookups answers every lookup with the same match, the size of a
// typical answer, without a directory.
type fakeLookups struct{ res *lookup.Result }

func (f fakeLookups) Lookup(_ context.Context, _ int64, input, _ string) (*lookup.Result, error) {
	res := *f.res
	res.Number.Input = input
	return &res, nil
}

func (f fakeLookups) Search(context.Context, int64, string, int64, int) (*lookup.Page, error) {
	return &lookup.Page{Entries: []lookup.Entry{}}, nil
}

func benchHandler() http.Handler {
	modified := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	res := &lookup.Result{Number: lookup.Number{E164: "+31201234567"}, Matches: []lookup.Match{{
		EntryID: 1, Name: "Anna van Dijk", Company: "Voorbeeld B.V.", Kind: roger.KindContact,
		SourceID: "0000a1b2-0000-4000-8000-000000000000", CompanyID: "c", MatchedNumber: "+31201234567", Field: "Phone",
		Rule: lookup.RuleExact, URL: "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b0000a1b2-0000-4000-8000-000000000000%7d&_Division_=123456",
		Modified: modified, SyncedAt: modified.Add(time.Hour), Replicator: lookup.ReplicatorRef{ID: 1, Name: "seeded"},
	}}}
	// A key's rate limit far above what a benchmark sends: its cost is
	// timed, it never refuses.
	return (&api.Server{Lookup: fakeLookups{res}, Keys: fakeKeys{}, Observe: metrics.New(nil).ObserveRequest, KeyRateLimit: 100_000_000}).Handler()
}

// BenchmarkLookupHandler times what the API adds to a lookup (key check,
// query parsing, JSON, headers, metrics) without HTTP's parsing and system
// calls.
func BenchmarkLookupHandler(b *testing.B) {
	h := benchHandler()
	req := httptest.NewRequest("GET", "/api/v1/lookup?number=tel%3A%2B31201234567", nil)
	req.Header.Set("Authorization", "Bearer "+benchKey)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

// BenchmarkLookupHTTP times a whole lookup over loopback HTTP with
// keep-alive, as the telephony sends them, against a directory that costs
// nothing: the server's share of a request that is not the directory. The
// client is a few lines over a raw connection, so that little of the time
// is the client's.
func BenchmarkLookupHTTP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: benchHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	request := []byte("GET /api/v1/lookup?number=tel%3A%2B31201234567 HTTP/1.1\r\nHost: " + ln.Addr().String() +
		"\r\nUser-Agent: Go-http-client/1.1\r\nAuthorization: Bearer " + benchKey + "\r\nAccept-Encoding: gzip\r\n\r\n")
	b.ReportAllocs()
	b.SetParallelism(4)
	cpu := cpuTime()
	defer func() {
		// The CPU time a request says more than ns/op on a machine with
		// few cores; it includes the client's share, which is the same
		// whatever the server does.
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		r := bufio.NewReaderSize(c, 8192)
		for pb.Next() {
			if _, err := c.Write(request); err != nil {
				b.Error(err)
				return
			}
			if err := readResponse(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// cpuTime is the CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readResponse reads one response with a Content-Length and checks that
// it is a 200.
func readResponse(r *bufio.Reader) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status line %q", line)
	}
	length := -1
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err = r.Discard(length)
	return err
}
