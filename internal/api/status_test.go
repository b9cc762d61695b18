package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// TestStatus: a monitoring system reads with its organisation's key how
// each of that organisation's replicators is doing: its last success,
// how stale it is against its limit, and today's Exact calls.
func TestStatus(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, 0)
		ctx := context.Background()
		reps, err := e.store.ListReplicators(ctx, e.orgA.ID)
		if err != nil || len(reps) != 1 {
			t.Fatalf("replicators %v, %v", reps, err)
		}
		now := e.clock.Now()
		run := &roger.SyncRun{ReplicatorID: reps[0].ID, Trigger: roger.TriggerSchedule, Started: now.Add(-2 * time.Hour)}
		if err := e.store.CreateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		run.Outcome, run.Ended, run.APICalls = roger.OutcomeOK, now.Add(-2*time.Hour+time.Minute), 42
		if err := e.store.UpdateSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}

		read := func() roger.ReplicatorStatus {
			t.Helper()
			status, _, body := e.get("/api/v1/status", "Bearer "+e.keyA)
			var got struct{ Replicators []roger.ReplicatorStatus }
			if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil || len(got.Replicators) != 1 {
				t.Fatalf("status: %d %v %s", status, err, body)
			}
			return got.Replicators[0]
		}
		got := read()
		if got.ID != reps[0].ID || got.State != roger.StateActive || !got.LastSuccess.Equal(run.Ended) || got.StaleSeconds != 7140 ||
			got.StaleLimitSeconds != 3*3600 || got.Stale || got.CallsToday != 42 || got.Alerts == nil {
			t.Errorf("status %+v", got)
		}
		e.clock.Advance(time.Hour + 2*time.Minute)
		if got := read(); !got.Stale {
			t.Errorf("3 hours and a minute after its last success, with a limit of 3 hours: %+v", got)
		}
		if status, _, body := e.get("/api/v1/status", ""); status != 401 || !strings.Contains(body, "unauthorized") {
			t.Errorf("without a key: %d %s", status, body)
		}
	})
}
