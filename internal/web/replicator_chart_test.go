package web

import (
	"strings"
	"testing"
	"time"

	"github.com/roger365io/roger"
)

// The chart puts each day at its place among the 30, scales each panel
// to its own highest value, and carries the directory's size over days
// without a counted run.
func TestBuildChart(t *testing.T) {
	first := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	days := []roger.RunDay{
		{Day: first.AddDate(0, 0, 2), Changed: 400, APICalls: 10, DirectorySize: 400},
		{Day: first.AddDate(0, 0, 5), Changed: 100, APICalls: 20, Failures: 2, DirectorySize: -1},
		{Day: first.AddDate(0, 0, 29), Changed: 50, APICalls: 5, DirectorySize: 450},
	}
	c := buildChart(first, days)
	if c.Empty || len(c.Panels) != 4 {
		t.Fatalf("chart: empty %v, %d panels", c.Empty, len(c.Panels))
	}
	changed, calls, failed, size := c.Panels[0], c.Panels[1], c.Panels[2], c.Panels[3]
	if len(changed.Bars) != 3 || len(calls.Bars) != 3 || len(failed.Bars) != 1 {
		t.Fatalf("bars: %d changed, %d calls, %d failed", len(changed.Bars), len(calls.Bars), len(failed.Bars))
	}
	// The day with the most records changed fills its panel; a quarter
	// of it a quarter.
	if changed.Bars[0].H != panelHeight || changed.Bars[1].H != panelHeight/4 || changed.Bars[0].Y+changed.Bars[0].H != changed.Base {
		t.Fatalf("changed bars %+v", changed.Bars)
	}
	if calls.Bars[1].H != panelHeight || failed.Bars[0].Label != "6 Jun: 2" {
		t.Fatalf("calls %+v, failed %+v", calls.Bars, failed.Bars)
	}
	// Size: from day 2 on, 28 points (400 carried to day 28, 450 on 29).
	if len(size.Dots) != 28 || size.Bars[len(size.Bars)-1].Label != "30 Jun: 450 records" || size.Bars[0].Label != "3 Jun: 400 records" {
		t.Fatalf("size: %d points, first %q, last %q", len(size.Dots), size.Bars[0].Label, size.Bars[len(size.Bars)-1].Label)
	}
	if c.Summary != "Last 30 days: 550 records changed, 35 API calls, 2 failed syncs. The directory holds 450 records." {
		t.Fatalf("summary %q", c.Summary)
	}
	if e := buildChart(first, nil); !e.Empty {
		t.Fatal("a chart without runs is not empty")
	}
}

// A first load shows its records against Exact's count and the time
// left at its pace; without a count, a full pass re-reading a directory
// measures against the directory's size; an increment has no end known.
func TestRunProgress(t *testing.T) {
	clk := time.Date(2026, 6, 25, 12, 0, 10, 0, time.UTC)
	s := &Server{Clock: fixedClock(clk)}
	started := clk.Add(-10 * time.Second)
	first := &roger.SyncRun{Trigger: roger.TriggerFirst, Full: true, Started: started, Outcome: roger.OutcomeRunning, Read: 1000, Created: 1000, APICalls: 3, Expected: 4000}
	rj := s.runStatus(first, 0)
	if rj.Expected != 4000 || rj.SecondsLeft != 30 || rj.Summary != "First load running: 1000 of 4000 records read (25%; 1000 new, 0 changed, 0 removed), 3 API calls, 100 records/s, about 30s left." {
		t.Fatalf("first load: %+v", rj)
	}
	resync := &roger.SyncRun{Trigger: roger.TriggerSchedule, Full: true, Started: started, Outcome: roger.OutcomeRunning, Read: 500}
	if rj := s.runStatus(resync, 1500); rj.Expected != 1500 || rj.SecondsLeft != 20 {
		t.Fatalf("full resync: expected %d, %v s left", rj.Expected, rj.SecondsLeft)
	}
	increment := &roger.SyncRun{Trigger: roger.TriggerSchedule, Started: started, Outcome: roger.OutcomeRunning, Read: 20}
	if rj := s.runStatus(increment, 1500); rj.Expected != 0 || rj.SecondsLeft != -1 || strings.Contains(rj.Summary, " of ") {
		t.Fatalf("increment: %+v", rj)
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }
