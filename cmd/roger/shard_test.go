package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/clock"
	"github.com/roger365io/roger/internal/dirindex"
	"github.com/roger365io/roger/internal/exactsim"
	"github.com/roger365io/roger/internal/sqlstore/sqltest"
	"github.com/roger365io/roger/internal/sqlstore/storetest"
)

// TestShardedInstances runs three instances on one PostgreSQL, each
// holding one share of three of the organisations' numbers in memory
// (ROGER_INDEX_SHARD=k/3), and checks that every organisation's lookups
// are answered from every instance as the database answers them, while
// one organisation's first load is running and after it. /readyz and
// /metrics say which share each instance holds, and each index holds only
// its share's entries.
func TestShardedInstances(t *testing.T) {
	admin := sqltest.Postgres(t)
	if admin == "" {
		t.Skip("ROGER_TEST_POSTGRES is not set: instances share a PostgreSQL")
	}
	const orgs = 6
	dsn := sqltest.FreshPostgres(t, admin)
	dataDir := filepath.Join(t.TempDir(), "data")
	base := map[string]string{"ROGER_DATA_DIR": dataDir, "ROGER_DATABASE_URL": dsn, "ROGER_ADDR": "127.0.0.1:0", "ROGER_WORKERS": "2"}
	envWith := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	cli := envWith(nil)
	if out, err := run(t, cli, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	var divisions []string
	for i := 1; i <= orgs; i++ {
		divisions = append(divisions, fmt.Sprint(100000+i))
	}
	simAddr, _, stopSim := startSim(t, "--records", "500", "--minutely-limit", "-1", "--daily-limit", "-1", "--user", "demo:demo:"+strings.Join(divisions, ","))
	defer stopSim()
	appID := func(i int) string { return fmt.Sprintf("7a1e0f3c-2b4d-4e5f-8a9b-%012d", i) }
	keys := map[int]string{}
	for i := 1; i <= orgs; i++ {
		org := fmt.Sprintf("org%d", i)
		for _, args := range [][]string{
			{"user", "add", "--email", fmt.Sprintf("admin%d@example.com", i), "--org", org, "--create-org"},
			{"replicator", "add", "--org", org, "--name", "contacts " + org, "--entity", "contacts", "--exact-url", "http://" + simAddr,
				"--client-id", appID(i), "--client-secret", "s3cret", "--country", "NL",
				"--contact-url", fmt.Sprintf("http://%s/docs/CRMContactCard.aspx?_ID=%%7b{SourceId}%%7d&_Division_=%d", simAddr, 100000+i)},
		} {
			if out, err := run(t, cli, args...); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
		out, err := run(t, cli, "apikey", "create", "--org", org, "--name", "telephony")
		if err != nil {
			t.Fatalf("apikey create: %v\n%s", err, out)
		}
		keys[i] = strings.SplitN(out, "\n", 2)[0]
	}

	var bases []string
	for k := 1; k <= 3; k++ {
		b, _, _ := serveInstance(t, envWith(map[string]string{"ROGER_INDEX_SHARD": fmt.Sprintf("%d/3", k)}))
		bases = append(bases, b)
	}
	// The OAuth callbacks go to the first instance; Redirect URLs are
	// built from its public URL.
	cli = envWith(map[string]string{"ROGER_PUBLIC_URL": bases[0]})
	simPost := func(path string, v any) {
		t.Helper()
		body, _ := json.Marshal(v)
		resp, err := http.Post("http://"+simAddr+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %s", path, resp.Status)
		}
	}
	authorize := func(i int) {
		t.Helper()
		simPost("/_sim/apps", map[string]string{"name": fmt.Sprint("roger ", i), "redirect_uri": fmt.Sprintf("%s/oauth/exact/%d/callback", bases[0], i),
			"client_id": appID(i), "client_secret": "s3cret"})
		out, err := run(t, cli, "replicator", "authorize", fmt.Sprint(i))
		if err != nil {
			t.Fatalf("authorize %d: %v\n%s", i, err, out)
		}
		loc, err := exactsim.Consent(context.Background(), nil, strings.TrimSpace(strings.Split(out, "\n")[1]), "demo", "demo")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("callback of replicator %d: %s", i, resp.Status)
		}
	}

	ctx := context.Background()
	store, _ := storetest.Open(t, dsn, clock.System{})
	orgIDs := map[int]int64{}
	for i := 1; i <= orgs; i++ {
		o, err := store.FindOrganizationByName(ctx, fmt.Sprintf("org%d", i))
		if err != nil {
			t.Fatal(err)
		}
		orgIDs[i] = o.ID
	}
	lastRunOK := func(i int) (running, ok bool) {
		runs, err := store.ListSyncRuns(ctx, int64(i), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == 0 {
			return false, false
		}
		return runs[0].Outcome == roger.OutcomeRunning || runs[0].Outcome == roger.OutcomeWaiting, runs[0].Outcome == roger.OutcomeOK
	}
	for i := 1; i < orgs; i++ {
		authorize(i)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		done := 0
		for i := 1; i < orgs; i++ {
			if _, ok := lastRunOK(i); ok {
				done++
			}
		}
		if done == orgs-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d first loads ended within 60 s", done, orgs-1)
		}
	}
	// The last organisation's load is slowed down, 1.5 s an Exact call,
	// so that the lookups below run while it writes.
	simPost("/_sim/faults", map[string]string{"kind": string(exactsim.FaultSlow), "delay": "1500ms", "client_id": appID(orgs)})
	authorize(orgs)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if running, _ := lastRunOK(orgs); running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slowed first load did not start within 20 s")
		}
	}

	// check looks up numbers of every organisation (up to three each, and
	// one nobody has) on every instance; each must give the database's
	// answer, allowing the second an instance takes to see another's write.
	check := func(when string) {
		t.Helper()
		for i := 1; i <= orgs; i++ {
			var numbers []string
			if err := store.ForEachEntrySince(ctx, int64(i), -1, func(e *roger.Entry) error {
				for _, n := range e.Numbers {
					if n.E164 != "" && n.Extension == "" && len(numbers) < 3 && !slices.Contains(numbers, n.E164) {
						numbers = append(numbers, n.E164)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, "+31205550199")
			for _, number := range numbers {
				hits, err := store.FindByNumbers(ctx, orgIDs[i], []string{number})
				if err != nil {
					t.Fatal(err)
				}
				want := []string{}
				for _, h := range hits {
					want = append(want, h.Entry.DisplayName)
				}
				slices.Sort(want)
				for k, b := range bases {
					var status int
					var body string
					for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
						status, body = getWithKey(t, b, "/api/v1/lookup?number="+url.QueryEscape(number), keys[i])
						if status == http.StatusOK && slices.Equal(matchNames(t, body), want) {
							break
						}
						if time.Now().After(deadline) {
							t.Fatalf("%s: instance %d/3, organisation %d (share %d), %s: %d %s; the database has %v", when, k+1, i,
								dirindex.ShareOf(orgIDs[i], 3), number, status, body, want)
						}
					}
				}
			}
		}
	}
	check("during a first load")
	if running, _ := lastRunOK(orgs); !running {
		t.Fatal("the slowed first load ended before the lookups were checked; they were not checked during a sync")
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://"+simAddr+"/_sim/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if _, ok := lastRunOK(orgs); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the last first load did not end within 60 s")
		}
	}
	check("after every first load")

	out, err := run(t, cli, "directory", "shards", "--of", "3")
	if err != nil {
		t.Fatalf("directory shards: %v\n%s", err, out)
	}
	listed := map[string]string{} // org id → share
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			listed[f[1]] = f[0]
		}
	}
	for i := 1; i <= orgs; i++ {
		if want := fmt.Sprintf("%d/3", dirindex.ShareOf(orgIDs[i], 3)); listed[fmt.Sprint(orgIDs[i])] != want {
			t.Errorf("directory shards puts org%d in share %q, want %s:\n%s", i, listed[fmt.Sprint(orgIDs[i])], want, out)
		}
	}
	for k, b := range bases {
		shard := dirindex.Shard{K: k + 1, N: 3}
		want := 0
		for i := 1; i <= orgs; i++ {
			if shard.Holds(orgIDs[i]) {
				_ = store.ForEachEntrySince(ctx, int64(i), -1, func(*roger.Entry) error { want++; return nil })
			}
		}
		var metrics string
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, metrics = getWithKey(t, b, "/metrics", "")
			if strings.Contains(metrics, fmt.Sprintf("\nroger_lookup_index_entries %d\n", want)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %s: want %d entries in its index; metrics:\n%s", shard, want, grepLines(metrics, "roger_lookup_index"))
			}
		}
		if !strings.Contains(metrics, fmt.Sprintf(`roger_lookup_index_shard{k="%d",n="3"} 1`, k+1)) {
			t.Errorf("instance %s: the metrics do not say its share:\n%s", shard, grepLines(metrics, "roger_lookup_index"))
		}
		resp, err := http.Get(b + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		var text bytes.Buffer
		_, _ = text.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Roger-Index-Shard") != shard.String() || !strings.Contains(text.String(), "share "+shard.String()) {
			t.Errorf("instance %s: /readyz %s, Roger-Index-Shard %q:\n%s", shard, resp.Status, resp.Header.Get("Roger-Index-Shard"), text.String())
		}
	}
}

// matchNames are the names of a lookup answer's matches, sorted.
func matchNames(t *testing.T, body string) []string {
	t.Helper()
	var answer struct {
		Matches []struct {
			Name string `json:"name"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatalf("lookup answer %q: %v", body, err)
	}
	names := []string{}
	for _, m := range answer.Matches {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// grepLines keeps the lines of s that contain part.
func grepLines(s, part string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, part) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
