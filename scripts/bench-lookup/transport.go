package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// leanTransport is an HTTP/1.1 round tripper with keep-alive that does
// its work in the calling goroutine: net/http's Transport hands every
// request to a writer and a reader goroutine per connection, and
// http.Client's Timeout adds a timer goroutine per request. On two cores
// shared with the server those hand-offs were most of the generator's CPU
// a request. Each connection carries one request at a time (no
// pipelining), as with net/http.
type leanTransport struct {
	addr    string
	timeout time.Duration // the whole exchange, from writing to the last body byte

	mu   sync.Mutex
	idle []*leanConn
}

type leanConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

var errNoHost = errors.New("lean transport: request for another host")

func (t *leanTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.addr {
		return nil, errNoHost
	}
	c, err := t.get(req.Context())
	if err != nil {
		return nil, err
	}
	resp, err := c.roundTrip(req, time.Now().Add(t.timeout))
	if err != nil {
		_ = c.c.Close()
		return nil, err
	}
	if resp.Close {
		_ = c.c.Close()
	} else {
		t.put(c)
	}
	return resp, nil
}

func (c *leanConn) roundTrip(req *http.Request, deadline time.Time) (*http.Response, error) {
	if err := c.c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if err := req.Write(c.bw); err != nil {
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return nil, err
	}
	// The body is read here, so that the connection is free again when
	// RoundTrip returns, and dropped: the benchmark looks at statuses.
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = http.NoBody
	return resp, nil
}

func (t *leanTransport) get(ctx context.Context) (*leanConn, error) {
	t.mu.Lock()
	if n := len(t.idle); n > 0 {
		c := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		return c, nil
	}
	t.mu.Unlock()
	d := net.Dialer{Timeout: t.timeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &leanConn{c: nc, br: bufio.NewReaderSize(nc, 4096), bw: bufio.NewWriterSize(nc, 1024)}, nil
}

func (t *leanTransport) put(c *leanConn) {
	t.mu.Lock()
	t.idle = append(t.idle, c)
	t.mu.Unlock()
}

// closeIdle closes the connections kept for reuse.
func (t *leanTransport) closeIdle() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.idle {
		_ = c.c.Close()
	}
	t.idle = nil
}
