package main

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestLookupOnlyInstance runs two instances on one database: one with
// ROGER_WORKERS=0, which never syncs, and one that does. The first
// receives the authorization but leaves the sync to the other, and its
// lookups find what the other wrote, from its in-memory index.
func TestLookupOnlyInstance(t *testing.T) {
	simAddr, _, stopSim := startSim(t, "--records", "100", "--user", "demo:demo:123456")
	defer stopSim()
	lookupEnv := testEnv(t, "127.0.0.1:0")
	dataDir := lookupEnv("ROGER_DATA_DIR")
	withWorkers := func(getenv func(string) string, addr, workers string) func(string) string {
		return func(k string) string {
			switch k {
			case "ROGER_WORKERS":
				return workers
			case "ROGER_ADDR":
				return addr
			case "ROGER_DATA_DIR":
				return dataDir
			}
			return getenv(k)
		}
	}
	lookupEnv = withWorkers(lookupEnv, "127.0.0.1:0", "0")
	syncEnv := withWorkers(lookupEnv, "127.0.0.1:0", "2")
	addContactsReplicator(t, lookupEnv, simAddr)

	lookupBase, lookupOut, _ := serveInstance(t, lookupEnv)
	lookupEnv = servedAt(t, lookupEnv, simAddr, lookupBase)

	authorizeReplicator(t, lookupEnv)

	// The replicator is active and due from here on, but this instance
	// does not sync. No pause proves that; its metrics at the end do: it
	// had the replicator in sight all the while the other instance was
	// starting and syncing, and ran no sync of its own.
	serveInstance(t, syncEnv)
	var number, name string
	for deadline := time.Now().Add(60 * time.Second); number == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the syncing instance wrote no parsed number within 60 s")
		}
		number, name = exportedNumber(t, lookupEnv)
	}

	out, err := run(t, lookupEnv, "apikey", "create", "--org", "default", "--name", "Teams")
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	key := strings.SplitN(out, "\n", 2)[0]
	get := func(path string) (int, string) { return getWithKey(t, lookupBase, path, key) }
	// The lookup-only instance learns of the other's writes at its next
	// poll, within about a second.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, body := get("/api/v1/lookup?number=" + url.QueryEscape(number))
		if status == 200 && strings.Contains(body, `"name":`+strconvQuote(name)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lookup of %s on the lookup-only instance: %d %s", number, status, body)
		}
	}
	if _, metrics := get("/metrics"); !strings.Contains(metrics, "roger_lookup_index_ready 1") || strings.Contains(metrics, "roger_sync_runs_total{") {
		t.Errorf("the lookup-only instance's metrics:\n%s", metrics)
	}
	if !strings.Contains(lookupOut.String(), "this instance does not sync") {
		t.Errorf("serve did not say it does not sync:\n%s", lookupOut.String())
	}
}
