package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The lean transport keeps connections alive, passes statuses through and
// gives up at its timeout.
func TestLeanTransport(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			// Answer only once the client has given up and hung up.
			<-r.Context().Done()
		case "/missing":
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, strings.Repeat("x", 10_000))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := &leanTransport{addr: srv.Listener.Addr().String(), timeout: 100 * time.Millisecond}
	defer tr.closeIdle()
	client := &http.Client{Transport: tr}
	for _, path := range []string{"/", "/missing", "/", "/"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[string]int{"/": 200, "/missing": 404}[path]; resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for four requests in a row; want one, kept alive", n)
	}
	if _, err := client.Get(srv.URL + "/slow"); err == nil {
		t.Error("no error past the timeout")
	}
	if resp, err := client.Get(srv.URL + "/"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after a timeout: %v %v", resp, err)
	}
}
