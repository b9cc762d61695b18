package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// histogram is one cumulative Prometheus histogram as scraped: its
// buckets' upper bounds and counts, +Inf last.
type histogram struct {
	bounds []float64
	counts []uint64
}

// scrapeHistograms reads the named histograms (without labels) from the
// server's metrics page.
func scrapeHistograms(addr string, names ...string) (map[string]histogram, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseHistograms(resp.Body, names...)
}

// parseHistograms reads the named histograms from Prometheus's text
// format.
func parseHistograms(r io.Reader, names ...string) (map[string]histogram, error) {
	out := map[string]histogram{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		for _, name := range names {
			rest, ok := strings.CutPrefix(line, name+`_bucket{le="`)
			if !ok {
				continue
			}
			le, count, ok := strings.Cut(rest, `"} `)
			if !ok {
				return nil, fmt.Errorf("%s: cannot read %q", name, line)
			}
			bound, err := strconv.ParseFloat(le, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: bound in %q: %w", name, line, err)
			}
			n, err := strconv.ParseFloat(count, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: count in %q: %w", name, line, err)
			}
			h := out[name]
			h.bounds = append(h.bounds, bound)
			h.counts = append(h.counts, uint64(n))
			out[name] = h
		}
	}
	return out, sc.Err()
}

// since is what h counted after before was scraped.
func (h histogram) since(before histogram) histogram {
	out := histogram{bounds: h.bounds, counts: slices.Clone(h.counts)}
	if slices.Equal(h.bounds, before.bounds) {
		for i := range out.counts {
			out.counts[i] -= min(out.counts[i], before.counts[i])
		}
	}
	return out
}

// quantile is the upper bound of the bucket in which quantile q falls
// (+Inf when it is beyond the last bound), and whether anything was
// counted.
func (h histogram) quantile(q float64) (float64, bool) {
	if len(h.counts) == 0 || h.counts[len(h.counts)-1] == 0 {
		return 0, false
	}
	rank := uint64(math.Ceil(q * float64(h.counts[len(h.counts)-1])))
	for i, c := range h.counts {
		if c >= rank {
			return h.bounds[i], true
		}
	}
	return math.Inf(1), true
}

// describe says where quantiles p50, p99 and p99.9 of h fall, as bounds
// ("≤ 2.50 ms"), and how many it counted.
func (h histogram) describe() string {
	if len(h.counts) == 0 {
		return "not on the server's metrics page"
	}
	var parts []string
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p99", 0.99}, {"p99.9", 0.999}} {
		v, ok := h.quantile(q.q)
		switch {
		case !ok:
			return "nothing counted"
		case math.IsInf(v, 1):
			parts = append(parts, fmt.Sprintf("%s > %s", q.name, ms(time.Duration(h.bounds[len(h.bounds)-2]*float64(time.Second)))))
		default:
			parts = append(parts, fmt.Sprintf("%s ≤ %s", q.name, ms(time.Duration(v*float64(time.Second)))))
		}
	}
	return fmt.Sprintf("%s (%d counted)", strings.Join(parts, ", "), h.counts[len(h.counts)-1])
}
