package metrics

import (
	"math"
	"runtime/metrics"

	"github.com/prometheus/client_golang/prometheus"
)

// runtimeBuckets are the bounds, in seconds, of the runtime histograms
// roger exposes: the range of a lookup's latency, finer than the Go
// collector's own (0.9, 10 and 117 ms), which cannot tell a 2 ms wait
// from a 9 ms one.
var runtimeBuckets = []float64{10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1}

// runtimeCollector reads the Go runtime's scheduling latencies and the
// collector's pauses at scrape time. Long waits of runnable goroutines
// mean the instance is short of processor time: its lookups wait for a
// core, however fast they are once they run
// (roger_lookup_duration_seconds).
type runtimeCollector struct {
	descs   []*prometheus.Desc
	samples []metrics.Sample
}

func newRuntimeCollector() *runtimeCollector {
	return &runtimeCollector{
		descs: []*prometheus.Desc{
			prometheus.NewDesc("roger_runnable_wait_seconds",
				"Time goroutines (lookups among them) waited, ready to run, for a thread of the process: long waits mean the instance is short of processor time. From the Go runtime's /sched/latencies:seconds; the sum is estimated.", nil, nil),
			prometheus.NewDesc("roger_gc_pause_seconds",
				"Stop-the-world pauses of the garbage collector, each from the decision to stop to the restart. From the Go runtime's /sched/pauses/total/gc:seconds; the sum is estimated.", nil, nil),
		},
		samples: []metrics.Sample{{Name: "/sched/latencies:seconds"}, {Name: "/sched/pauses/total/gc:seconds"}},
	}
}

// Describe implements prometheus.Collector.
func (c *runtimeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *runtimeCollector) Collect(ch chan<- prometheus.Metric) {
	samples := make([]metrics.Sample, len(c.samples))
	copy(samples, c.samples)
	metrics.Read(samples)
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindFloat64Histogram {
			continue // not in this Go version
		}
		count, sum, buckets := rebucket(s.Value.Float64Histogram(), runtimeBuckets)
		ch <- prometheus.MustNewConstHistogram(c.descs[i], count, sum, buckets)
	}
}

// rebucket counts the runtime histogram h into cumulative buckets with the
// upper bounds bounds. A runtime bucket is counted at its upper edge (its
// lower one when that is infinite), so a figure read from the result
// errs high by at most one runtime bucket (some 12 % of the value). The
// sum takes each runtime bucket's values at its middle.
func rebucket(h *metrics.Float64Histogram, bounds []float64) (count uint64, sum float64, buckets map[float64]uint64) {
	per := make([]uint64, len(bounds))
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		at := hi
		if math.IsInf(hi, 1) {
			at = lo
		}
		mid := at
		if !math.IsInf(lo, -1) && !math.IsInf(hi, 1) {
			mid = (lo + hi) / 2
		}
		count += n
		sum += mid * float64(n)
		for j, b := range bounds {
			if at <= b {
				per[j] += n
				break
			}
		}
	}
	buckets = make(map[float64]uint64, len(bounds))
	var cum uint64
	for j, b := range bounds {
		cum += per[j]
		buckets[b] = cum
	}
	return count, sum, buckets
}
