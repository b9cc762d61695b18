package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger/internal/exactsim"
)

// env is a configuration for in-process roger commands.
func testEnv(t *testing.T, addr string) func(string) string {
	dir := t.TempDir()
	vars := map[string]string{"ROGER_DATA_DIR": filepath.Join(dir, "data"), "ROGER_ADDR": addr}
	getenv := func(k string) string { return vars[k] }
	// Only migrate and the demo create a database.
	if out, err := run(t, getenv, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	return getenv
}

func run(t *testing.T, getenv func(string) string, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errs, Getenv: getenv}
	err := m.Run(context.Background(), args)
	return out.String() + errs.String(), err
}

const goodContactURL = "https://start.exactonline.nl/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456"

// addArgsWith is a "replicator add" command line that the portal would
// accept, with flag set to value (added when it is not among them).
func addArgsWith(flag, value string) []string {
	args := []string{"replicator", "add", "--name", "Exact – contacts", "--entity", "contacts", "--exact-url", "https://start.exactonline.nl",
		"--client-id", "6f2d8a6e-1c0b-4c39-9a55-2f7c3a1b9e01", "--client-secret", "s3cret-4f2a", "--contact-url", goodContactURL, "--country", "NL"}
	for i := range args {
		if args[i] == flag {
			args[i+1] = value
			return args
		}
	}
	return append(args, flag, value)
}

func TestReplicatorAddRefusesBadInput(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	with := addArgsWith
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown country", with("--country", "XX"), `--country: "XX" is not a country`},
		{"the guide's placeholder with a space", with("--contact-url", "https://start.exactonline.nl/docs/x.aspx?AccountID={Compa nyId}"), "--contact-url: Remove the space inside {Compa nyId}: write {CompanyId}."},
		{"template without scheme", with("--contact-url", "start.exactonline.nl/docs/x.aspx?ID={SourceId}"), "--contact-url: "},
		{"not an Exact host", with("--exact-url", "https://example.com"), "--exact-url: Exact URL"},
		{"bad entity", with("--entity", "invoices"), "--entity: Choose accounts or contacts."},
		{"no secret", with("--client-secret", ""), "--client-secret: Paste the Client Secret"},
		{"division mismatch", with("--division", "999"), "differs from _Division_=123456"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, getenv, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v\n%s", tc.want, err, out)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
	if out, err := run(t, getenv, with("--name", "Exact – contacts")...); err != nil || !strings.Contains(out, "/oauth/exact/1/callback") {
		t.Fatalf("good input: %v\n%s", err, out)
	}
	// The same Client ID again is refused, naming the replicator that has it.
	_, err := run(t, getenv, with("--name", "second")...)
	if err == nil || !strings.Contains(err.Error(), "--client-id: This Client ID is already used by replicator “Exact – contacts”") {
		t.Fatalf("second use of a Client ID: %v", err)
	}
	out, err := run(t, getenv, "replicator", "list")
	if err != nil || strings.Count(out, "\n") != 2 || strings.Contains(out, "s3cret") {
		t.Fatalf("list after refusals: %v\n%s", err, out)
	}
}

// TestCommandLineJourney walks issue 3's command line from an empty data
// directory to a synced, exported directory against the simulator.
func TestCommandLineJourney(t *testing.T) {
	simAddr, _, stopSim := startSim(t, "--records", "500", "--user", "demo:demo:123456")
	defer stopSim()
	getenv := testEnv(t, "127.0.0.1:0")

	out, err := run(t, getenv, "replicator", "add", "--name", "Exact – contacts", "--entity", "contacts", "--exact-url", "http://"+simAddr,
		"--client-id", "{"+strings.ToUpper(simClientID)+"}", "--client-secret", "s3cret",
		"--contact-url", "http://"+simAddr+"/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=123456", "--country", "+31")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	var serveOut syncBuffer
	done := make(chan error, 1)
	go func() {
		m := &Main{Stdout: &serveOut, Stderr: &serveOut, Getenv: getenv, Ready: func(a string) { ready <- a }}
		done <- m.Run(ctx, []string{"serve"})
	}()
	select {
	case addr := <-ready:
		getenv = servedAt(t, getenv, simAddr, "http://"+addr)
	case err := <-done:
		t.Fatalf("serve ended: %v\n%s", err, serveOut.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	defer func() { cancel(); <-done }()

	out, err = run(t, getenv, "replicator", "authorize", "1")
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	authURL := strings.TrimSpace(strings.Split(out, "\n")[1])
	loc, err := exactsim.Consent(context.Background(), nil, authURL, "demo", "demo")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(page.String(), "Authorized. You can close this window.") {
		t.Fatalf("callback: %d %s", resp.StatusCode, page.String())
	}

	// Authorized, the link's division is checked against the user's.
	link := "http://" + simAddr + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_="
	out, err = run(t, getenv, "replicator", "set", "--id", "1", "--contact-url", link+"999999")
	if err == nil || !strings.Contains(err.Error(), "cannot open division 999999. Divisions they can open: 123456") {
		t.Fatalf("set a division the user cannot open: %v\n%s", err, out)
	}
	if out, err = run(t, getenv, "replicator", "set", "--id", "1", "--contact-url", link+"123456", "--interval", "10m"); err != nil || !strings.Contains(out, "division 123456, country NL, every 10 min") {
		t.Fatalf("set: %v\n%s", err, out)
	}

	out, err = run(t, getenv, "replicator", "sync", "1", "--wait")
	if err != nil || !strings.Contains(out, "read 400, created 400") {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	out, err = run(t, getenv, "directory", "export", "--replicator", "1")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e exportEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("export line %d: %v", lines+1, err)
		}
		if e.Kind != "contact" || e.SourceID == "" || !strings.Contains(e.URL, "_ID=%7b"+e.SourceID+"%7d") {
			t.Fatalf("export line %d: %+v", lines+1, e)
		}
		lines++
	}
	if lines != 400 {
		t.Fatalf("exported %d entries, want 400", lines)
	}
	out, _ = run(t, getenv, "replicator", "list")
	if !strings.Contains(out, "active") || !strings.Contains(out, "400") {
		t.Fatalf("list: %s", out)
	}
}
