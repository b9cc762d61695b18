package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLookupJourney: a served directory answers the lookup API with a key
// made on the command line, counts lookups, sync runs and Exact's
// rate-limit budget in /metrics, says it is ready, and refuses the key
// once it is revoked.
func TestLookupJourney(t *testing.T) {
	simAddr, _, stopSim := startSim(t, "--records", "100", "--user", "demo:demo:123456")
	defer stopSim()
	getenv := testEnv(t, "127.0.0.1:0")
	addContactsReplicator(t, getenv, simAddr)

	base, _, _ := serveInstance(t, getenv)
	getenv = servedAt(t, getenv, simAddr, base)

	authorizeReplicator(t, getenv)

	get := func(path, key string) (int, string) { return getWithKey(t, base, path, key) }
	// The server's scheduler syncs the authorized replicator by itself.
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, metrics := get("/metrics", "")
		if strings.Contains(metrics, `roger_sync_runs_total{outcome="ok",replicator="1"} 1`) {
			for _, want := range []string{`roger_exact_ratelimit_remaining{replicator="1",window="daily"}`, `roger_exact_api_calls_total{replicator="1"}`} {
				if !strings.Contains(metrics, want) {
					t.Errorf("metrics after a sync lack %s", want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sync run within 60 s:\n%s", metrics)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A number from the directory, as telephony would send it.
	number, name := exportedNumber(t, getenv)
	if number == "" {
		t.Fatal("no parsed number in the directory")
	}

	out, err := run(t, getenv, "apikey", "create", "--org", "default", "--name", "Teams")
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	key := strings.SplitN(out, "\n", 2)[0]
	if !strings.HasPrefix(key, "rgr_") || !strings.Contains(out, "shown only this once") {
		t.Fatalf("apikey create printed %q", out)
	}

	status, body := get("/api/v1/lookup?number="+url.QueryEscape(number), key)
	if status != 200 || !strings.Contains(body, `"name":`+strconvQuote(name)) || !strings.Contains(body, `"rule":"exact"`) {
		t.Fatalf("lookup %s: %d %s", number, status, body)
	}
	if status, body = get("/api/v1/lookup?number="+url.QueryEscape(number), ""); status != 401 {
		t.Errorf("lookup without a key: %d %s", status, body)
	}
	if status, body = get("/readyz", ""); status != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", status, body)
	}
	if status, _ = get("/healthz", ""); status != 200 {
		t.Errorf("healthz: %d", status)
	}
	if _, metrics := get("/metrics", ""); !strings.Contains(metrics, `roger_lookups_total{outcome="match"} 1`) ||
		!strings.Contains(metrics, `roger_api_requests_total{code="401",route="lookup"} 1`) ||
		!strings.Contains(metrics, "roger_lookup_index_ready 1") || strings.Contains(metrics, "roger_lookup_index_numbers 0") {
		t.Errorf("metrics after the lookups:\n%s", metrics)
	}

	out, err = run(t, getenv, "apikey", "list")
	if err != nil || !strings.Contains(out, key[:12]+"…") || !strings.Contains(out, "Teams") || !strings.Contains(out, "active") || strings.Contains(out, key) {
		t.Fatalf("apikey list: %v\n%s", err, out)
	}
	if out, err = run(t, getenv, "apikey", "revoke", "1"); err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if out, _ = run(t, getenv, "apikey", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("list after revoking: %s", out)
	}
	if _, err = run(t, getenv, "apikey", "revoke", "99"); err == nil || !strings.Contains(err.Error(), "no API key with id 99") {
		t.Errorf("revoking an unknown key: %v", err)
	}
	// The server trusts a checked key for a few seconds at most.
	deadline = time.Now().Add(10 * time.Second)
	for {
		if status, _ = get("/api/v1/lookup?number="+url.QueryEscape(number), key); status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revoked key still works after 10 s: %d", status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestReadyz: ready while the database answers, 503 once it is gone.
func TestReadyz(t *testing.T) {
	getenv := testEnv(t, "127.0.0.1:0")
	a, err := (&Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: getenv}).openApp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := readyz(a.store, nil, slog.New(slog.DiscardHandler))
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != 200 || body != "ready\n" {
		t.Errorf("open database: %d %q", code, body)
	}
	a.Close()
	if code, body := get(); code != 503 || !strings.Contains(body, "database does not answer") {
		t.Errorf("closed database: %d %q", code, body)
	}
}
