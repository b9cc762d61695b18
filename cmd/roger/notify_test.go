package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/roger365io/roger/internal/notify"
)

// TestNotifyChannelsFromTheCommandLine: a webhook added with its URL on
// standard input is listed without that URL, receives a signed test
// notice, and the log shows the delivery; a bad channel is refused with
// what to change.
func TestNotifyChannelsFromTheCommandLine(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	defer hook.Close()
	getenv := testEnv(t, "127.0.0.1:0")
	runIn := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &out, Getenv: getenv, Stdin: strings.NewReader(stdin)}
		err := m.Run(context.Background(), args)
		return out.String(), err
	}

	const secret = "0123456789abcdef-signing"
	out, err := runIn(hook.URL+"/in?token=url-secret\n", "notify", "add", "--name", "monitoring", "--webhook", "-", "--secret", secret)
	if err != nil || !strings.Contains(out, "Channel 1") {
		t.Fatalf("notify add: %v\n%s", err, out)
	}
	out, err = runIn("", "notify", "list")
	if err != nil || !strings.Contains(out, "monitoring") || strings.Contains(out, "url-secret") || strings.Contains(out, secret) {
		t.Fatalf("notify list: %v\n%s", err, out)
	}
	out, err = runIn("", "notify", "test", "1")
	if err != nil || !strings.Contains(out, "delivered") {
		t.Fatalf("notify test: %v\n%s", err, out)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Header.Get(notify.SignatureHeader) != notify.Sign(secret, bodies[0]) {
		t.Errorf("the webhook received %d requests, the first signed %q", len(got), got[0].Header.Get(notify.SignatureHeader))
	}
	mu.Unlock()
	out, err = runIn("", "notify", "log")
	if err != nil || !strings.Contains(out, "monitoring") || !strings.Contains(out, "sent") {
		t.Fatalf("notify log: %v\n%s", err, out)
	}

	out, err = runIn("", "notify", "remove", "1")
	if err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("notify remove: %v\n%s", err, out)
	}
	if out, err = runIn("", "notify", "remove", "1"); err == nil {
		t.Errorf("removing it again: %s", out)
	}

	out, err = runIn("", "notify", "add", "--name", "desk", "--email", "desk@example.com,not-an-address")
	if err == nil || !strings.Contains(err.Error(), "--email") || !strings.Contains(err.Error(), "not-an-address") {
		t.Errorf("a bad address: %v\n%s", err, out)
	}
	out, err = runIn("", "notify", "add", "--name", "teams", "--teams", "http://teams.example.com/x")
	if err == nil || !strings.Contains(err.Error(), "--teams") || !strings.Contains(err.Error(), "https") {
		t.Errorf("a plain-http Teams URL: %v\n%s", err, out)
	}
}
