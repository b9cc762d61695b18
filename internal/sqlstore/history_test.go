package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// A replicator keeps its last authorization attempt, and a run its
// expected total and the directory's size at its end; the history sums
// runs per UTC day, with the size of the day's last counted run.
func TestAuthAttemptAndRunDays(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		r := f.replicator("a")
		at := f.clock.Now().Add(-time.Minute).UTC()
		failed := roger.AuthAttempt{At: at, Outcome: roger.AuthFailed, Fix: "Copy the Client Secret again."}
		if err := f.store.RecordAuthAttempt(ctx, r.ID, failed); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.FindReplicatorByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.AuthAttempt.At.Equal(at) || got.AuthAttempt.Outcome != roger.AuthFailed || got.AuthAttempt.Fix != failed.Fix {
			t.Fatalf("attempt read back as %+v, want %+v", got.AuthAttempt, failed)
		}

		day1 := time.Date(2026, 6, 23, 22, 0, 0, 0, time.UTC)
		runs := []struct {
			started              time.Time
			outcome              roger.SyncOutcome
			created, calls, size int
			expected, wantedSize int
		}{
			{day1, roger.OutcomeOK, 100, 3, 100, 100, 100},
			{day1.Add(time.Hour), roger.OutcomeFailed, 0, 1, -1, 0, -1},
			{day1.Add(3 * time.Hour), roger.OutcomeOK, 5, 1, 105, 0, 105}, // 01:00 the next day
		}
		for _, rr := range runs {
			run := &roger.SyncRun{ReplicatorID: r.ID, Trigger: roger.TriggerFirst, Started: rr.started}
			if err := f.store.CreateSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			if run.DirectorySize != -1 {
				t.Fatalf("a new run has directory size %d, want -1 (not counted)", run.DirectorySize)
			}
			run.Outcome, run.Created, run.APICalls, run.Expected, run.DirectorySize, run.Ended = rr.outcome, rr.created, rr.calls, rr.expected, rr.size, rr.started.Add(time.Minute)
			if err := f.store.UpdateSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
		}
		list, err := f.store.ListSyncRuns(ctx, r.ID, 10)
		if err != nil || len(list) != 3 {
			t.Fatalf("runs: %d %v", len(list), err)
		}
		if last := list[2]; last.Expected != 100 || last.DirectorySize != 100 || last.Trigger != roger.TriggerFirst {
			t.Fatalf("the first run read back with expected %d, size %d, trigger %q", last.Expected, last.DirectorySize, last.Trigger)
		}
		days, err := f.store.RunDays(ctx, r.ID, day1.Add(-48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []roger.RunDay{
			{Day: time.Date(2026, 6, 23, 0, 0, 0, 0, time.UTC), Changed: 100, APICalls: 4, Failures: 1, DirectorySize: 100},
			{Day: time.Date(2026, 6, 24, 0, 0, 0, 0, time.UTC), Changed: 5, APICalls: 1, DirectorySize: 105},
		}
		if len(days) != len(want) {
			t.Fatalf("days: %+v, want %+v", days, want)
		}
		for i := range want {
			if !days[i].Day.Equal(want[i].Day) || days[i].Changed != want[i].Changed || days[i].APICalls != want[i].APICalls ||
				days[i].Failures != want[i].Failures || days[i].DirectorySize != want[i].DirectorySize {
				t.Fatalf("day %d: %+v, want %+v", i, days[i], want[i])
			}
		}
		if later, err := f.store.RunDays(ctx, r.ID, day1.Add(2*time.Hour)); err != nil || len(later) != 1 {
			t.Fatalf("days from a later start: %+v %v", later, err)
		}
	})
}
