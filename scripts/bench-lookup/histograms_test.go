package main

import (
	"math"
	"strings"
	"testing"
)

const page = `# HELP roger_runnable_wait_seconds x
# TYPE roger_runnable_wait_seconds histogram
roger_runnable_wait_seconds_bucket{le="0.001"} 90
roger_runnable_wait_seconds_bucket{le="0.005"} 98
roger_runnable_wait_seconds_bucket{le="0.01"} 100
roger_runnable_wait_seconds_bucket{le="+Inf"} 100
roger_runnable_wait_seconds_sum 0.2
roger_runnable_wait_seconds_count 100
roger_lookup_duration_seconds_bucket{le="0.001"} 5
roger_lookup_duration_seconds_bucket{le="+Inf"} 5
`

func TestHistogramsFromTheMetricsPage(t *testing.T) {
	hs, err := parseHistograms(strings.NewReader(page), "roger_runnable_wait_seconds", "roger_lookup_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	h := hs["roger_runnable_wait_seconds"]
	for _, c := range []struct{ q, want float64 }{{0.5, 0.001}, {0.9, 0.001}, {0.95, 0.005}, {0.99, 0.01}, {1, 0.01}} {
		if got, ok := h.quantile(c.q); !ok || got != c.want {
			t.Errorf("quantile %g: %g %v; want %g", c.q, got, ok, c.want)
		}
	}
	// Counted since a scrape with 90 at 1 ms and none above: the ten
	// new ones are all above 1 ms.
	before := histogram{bounds: h.bounds, counts: []uint64{90, 90, 90, 90}}
	d := h.since(before)
	if got, _ := d.quantile(0.5); got != 0.005 {
		t.Errorf("median of what came since: %g; want 0.005", got)
	}
	over := histogram{bounds: []float64{0.001, math.Inf(1)}, counts: []uint64{1, 10}}
	if got, _ := over.quantile(0.99); !math.IsInf(got, 1) {
		t.Errorf("p99 beyond the last bound: %g", got)
	}
	if s := over.describe(); !strings.Contains(s, "p99 > 1.00 ms") {
		t.Errorf("describe: %s", s)
	}
	if len(hs["roger_lookup_duration_seconds"].counts) != 2 {
		t.Errorf("lookup histogram: %+v", hs["roger_lookup_duration_seconds"])
	}
}
