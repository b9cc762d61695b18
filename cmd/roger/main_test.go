package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/exactsim"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSim runs "roger exactsim" in-process and returns its address, its
// output and a function that stops it and waits for it to end.
func startSim(t *testing.T, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	ready := make(chan string, 1)
	m := &Main{Stdout: out, Stderr: out, Ready: func(addr string) { ready <- addr }}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"exactsim", "--addr", "127.0.0.1:0"}, args...)) }()
	select {
	case addr := <-ready:
		return addr, out, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("exactsim ended before it listened: %v\n%s", err, out)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("exactsim did not start within 30 s\n%s", out)
	}
	return "", nil, nil
}

func TestExactsimStartsSeededAndSaysHowToSignIn(t *testing.T) {
	addr, out, stop := startSim(t, "--records", "50", "--seed", "4",
		"--user", "piet:welkom:111111,222222",
		"--app", "6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01:s3cret:http://127.0.0.1:9999/oauth/exact/1/callback")
	banner := out.String()
	for _, want := range []string{"listening on http://" + addr, "/appcenter", "piet / welkom", "111111", "222222", "10 accounts, 40 contacts",
		"6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01", "http://127.0.0.1:9999/oauth/exact/1/callback"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "s3cret") {
		t.Errorf("the banner shows the app's client secret:\n%s", banner)
	}
	resp, err := http.Get("http://" + addr + "/_sim/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"code": 111111`) || !strings.Contains(string(body), `"contacts": 40`) {
		t.Fatalf("summary: %s", body)
	}
	if err := stop(); err != nil {
		t.Fatalf("exactsim ended with %v", err)
	}
}

func TestExactsimAccountantSeesHundredsOfDivisions(t *testing.T) {
	addr, out, stop := startSim(t, "--records", "10", "--accountant", "250")
	defer stop()
	if !strings.Contains(out.String(), "accountant / accountant") || !strings.Contains(out.String(), "and 248 more") {
		t.Fatalf("banner:\n%s", out)
	}
	resp, err := http.Get("http://" + addr + "/_sim/")
	if err != nil {
		t.Fatal(err)
	}
	var summary struct {
		Users []struct {
			Name      string `json:"name"`
			Divisions []int  `json:"divisions"`
		} `json:"users"`
	}
	err = json.NewDecoder(resp.Body).Decode(&summary)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range summary.Users {
		if u.Name == "accountant" {
			if len(u.Divisions) != 252 {
				t.Fatalf("the accountant opens %d divisions, want the 2 seeded and 250 empty", len(u.Divisions))
			}
			return
		}
	}
	t.Fatalf("no accountant among %+v", summary.Users)
}

func TestExactsimRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"user without divisions", []string{"--user", "piet:welkom"}, "NAME:PASSWORD:DIVISION"},
		{"division not a number", []string{"--user", "piet:welkom:abc"}, `division "abc" is not a positive number`},
		{"app without redirect", []string{"--app", "6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01:s3cret"}, "CLIENT_ID:CLIENT_SECRET:REDIRECT_URI"},
		{"app id not a GUID", []string{"--app", "abc:s3cret:https://x.example.com/cb"}, "not a GUID"},
		{"bad status switch", []string{"--old-refresh-token-status", "500"}, "must be 401 or 400"},
		{"negative accountant", []string{"--accountant", "-1"}, "--accountant must be between 0 and 10000"},
		{"address in use", []string{"--addr", "256.0.0.1:1"}, "choose another address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			m := &Main{Stdout: &out, Stderr: &out}
			err := m.Run(context.Background(), append([]string{"exactsim", "--records", "0"}, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestExactsimKeepsStateAcrossRestarts(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sim.state")
	addr, _, stop := startSim(t, "--records", "20", "--state", state)
	resp, err := http.Post("http://"+addr+"/_sim/divisions/123456/mutate", "application/json", strings.NewReader(`{"entity":"contacts","creates":3}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	addr, out, stop := startSim(t, "--state", state)
	defer stop()
	if !strings.Contains(out.String(), "(loaded)") || !strings.Contains(out.String(), "4 accounts, 19 contacts") {
		t.Fatalf("restart did not load the saved state:\n%s", out)
	}
	_ = addr
}

func TestUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out}
	if err := m.Run(context.Background(), []string{"frobnicate"}); !errors.Is(err, errUsage) || !strings.Contains(out.String(), `unknown command "frobnicate"`) {
		t.Fatalf("got %v, %s", err, out.String())
	}
	out.Reset()
	if err := m.Run(context.Background(), []string{"version"}); err != nil || !strings.HasPrefix(out.String(), "roger ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
}

// serveInstance runs "roger serve" with getenv until the test ends or
// stop is called, and returns its base URL and output.
func serveInstance(t *testing.T, getenv func(string) string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		m := &Main{Stdout: out, Stderr: out, Getenv: getenv, Ready: func(a string) { ready <- a }}
		done <- m.Run(ctx, []string{"serve"})
	}()
	select {
	case addr := <-ready:
		var once sync.Once
		stop = func() { once.Do(func() { cancel(); <-done }) }
		t.Cleanup(stop)
		return "http://" + addr, out, stop
	case err := <-done:
		cancel()
		t.Fatalf("serve ended: %v\n%s", err, out.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	return "", nil, nil
}

// exportedNumber returns a parsed number without extension from
// "roger directory export", with its entry's name; "" when there is none
// yet.
func exportedNumber(t *testing.T, getenv func(string) string) (number, name string) {
	t.Helper()
	out, err := run(t, getenv, "directory", "export")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e exportEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		for _, n := range e.PhoneNumber {
			if n.E164 != "" && n.Extension == "" {
				return n.E164, e.Name
			}
		}
	}
	return "", ""
}

// simClientID is the app the end-to-end tests register in the simulator.
const simClientID = "7a1e0f3c-2b4d-4e5f-8a9b-0c1d2e3f4a5b"

// addContactsReplicator adds replicator 1 (contacts of the simulator at
// simAddr, app simClientID with secret "s3cret").
func addContactsReplicator(t *testing.T, getenv func(string) string, simAddr string) {
	t.Helper()
	if out, err := run(t, getenv, "replicator", "add", "--name", "Exact – contacts", "--entity", "contacts", "--exact-url", "http://"+simAddr,
		"--client-id", simClientID, "--client-secret", "s3cret",
		"--contact-url", "http://"+simAddr+"/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456", "--country", "NL"); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}
}

// servedAt registers app simClientID (secret "s3cret") in the simulator
// at simAddr with the Redirect URL of replicator 1 of the roger serving
// at base, and returns getenv with that roger's public URL, which the
// command line needs to build the same Redirect URL. roger listens on a
// port picked when it starts, so the app can only be registered then.
func servedAt(t *testing.T, getenv func(string) string, simAddr, base string) func(string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": "roger", "redirect_uri": base + "/oauth/exact/1/callback", "client_id": simClientID, "client_secret": "s3cret"})
	resp, err := http.Post("http://"+simAddr+"/_sim/apps", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register the app in the simulator: %s %s", resp.Status, answer)
	}
	return func(k string) string {
		if k == "ROGER_PUBLIC_URL" {
			return base
		}
		return getenv(k)
	}
}

// authorizeReplicator authorizes replicator 1 as the simulator's user
// demo/demo would, delivering the callback to the running server.
func authorizeReplicator(t *testing.T, getenv func(string) string) {
	t.Helper()
	out, err := run(t, getenv, "replicator", "authorize", "1")
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	loc, err := exactsim.Consent(context.Background(), nil, strings.TrimSpace(strings.Split(out, "\n")[1]), "demo", "demo")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatalf("callback: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("callback: %s", resp.Status)
	}
}

// getWithKey GETs base+path, with the API key when not "", and returns
// the status and body.
func getWithKey(t *testing.T, base, path, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
