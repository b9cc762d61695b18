package metrics

import (
	"math"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
)

// TestRebucket: each runtime bucket lands in the first bound at or above
// its upper edge, the open last one at its lower edge, and the counts are
// cumulative.
func TestRebucket(t *testing.T) {
	h := &metrics.Float64Histogram{
		Buckets: []float64{math.Inf(-1), 0, 1e-6, 2e-6, 0.9e-3, 1.1e-3, 3e-3, 2, math.Inf(1)},
		Counts:  []uint64{0, 4, 1, 0, 2, 3, 5, 6},
	}
	count, sum, buckets := rebucket(h, []float64{1e-6, 1e-3, 5e-3, 1})
	if count != 21 {
		t.Errorf("count %d; want 21", count)
	}
	want := map[float64]uint64{1e-6: 4, 1e-3: 5, 5e-3: 10, 1: 10} // the 11 from 2 ms up are over every bound
	for b, n := range want {
		if buckets[b] != n {
			t.Errorf("le=%g: %d; want %d (all: %v)", b, buckets[b], n, buckets)
		}
	}
	// 4×0.5µs + 1×1.5µs + 2×1ms + 3×2.05ms + 5×1.0015s + 6×2s
	if wantSum := 4*0.5e-6 + 1.5e-6 + 2*1e-3 + 3*2.05e-3 + 5*1.0015 + 6*2.0; math.Abs(sum-wantSum) > 1e-9 {
		t.Errorf("sum %g; want %g", sum, wantSum)
	}
}

// TestRuntimeHistogramsScraped: the scheduling latencies of this very
// process are on the metrics page, with at least as many observations as
// the runtime had counted (it samples them) before the scrape.
func TestRuntimeHistogramsScraped(t *testing.T) {
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); runtime.Gosched() }()
	}
	wg.Wait()
	sample := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(sample)
	var counted uint64
	for _, n := range sample[0].Value.Float64Histogram().Counts {
		counted += n
	}
	if counted == 0 {
		t.Fatal("the runtime counted no scheduling latency after 100 goroutines ran")
	}
	text := scrape(t, New(nil))
	m := regexp.MustCompile(`(?m)^roger_runnable_wait_seconds_count (\d+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no roger_runnable_wait_seconds_count on the page:\n%s", text)
	}
	if n, _ := strconv.ParseUint(m[1], 10, 64); n < counted {
		t.Errorf("roger_runnable_wait_seconds_count %d; the runtime had counted %d before", n, counted)
	}
	for _, want := range []string{`roger_runnable_wait_seconds_bucket{le="0.005"}`, `roger_gc_pause_seconds_count`} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(text) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
