package web

import (
	"context"
	"fmt"
	"time"

	"github.com/roger365io/roger"
)

// chartDays is how far back the replicator page's history chart goes.
const chartDays = 30

// Geometry of the history chart, in SVG user units: it is scaled to the
// page's width, so only the proportions matter.
const (
	chartWidth  = 720
	chartLeft   = 8
	chartRight  = 8
	panelHeight = 74
	panelTitle  = 16
	panelGap    = 12
	axisHeight  = 18
)

// historyChart is the replicator page's chart, drawn on the server as
// SVG (the page runs no inline script): per day over chartDays, the
// records its runs changed, the API calls they made and the runs that
// failed, and the directory's size at the end of each day.
type historyChart struct {
	Width, Height int
	Panels        []chartPanel
	// Ticks label the days under the panels.
	Ticks []chartTick
	// Empty is set when no run falls in the period.
	Empty bool
	// Summary says the period's totals in words, for screen readers and
	// for the table-minded.
	Summary string
}

// chartPanel is one row of the chart: bars per day, or a line.
type chartPanel struct {
	Title string
	Class string
	Top   int
	Bars  []chartBar
	// Line is the points of a line panel (the directory size), "" for a
	// bar panel; Dots are the same points, so that a single day shows.
	Line string
	Dots []chartTick
	Base int // the y of the panel's zero line
}

type chartBar struct {
	X, Y, W, H int
	Label      string
}

type chartTick struct {
	X    int
	Text string
}

// replicatorChart sums the replicator's runs per day over the last
// chartDays days up to now.
func (s *Server) replicatorChart(ctx context.Context, rep *roger.Replicator) (*historyChart, error) {
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(chartDays - 1))
	days, err := s.Store.RunDays(ctx, rep.ID, first)
	if err != nil {
		return nil, fmt.Errorf("history chart: %w", err)
	}
	return buildChart(first, days), nil
}

// buildChart lays out the chart of days (oldest first, days without runs
// left out) for the chartDays days from first.
func buildChart(first time.Time, days []roger.RunDay) *historyChart {
	perDay := make([]roger.RunDay, chartDays)
	for i := range perDay {
		perDay[i] = roger.RunDay{Day: first.AddDate(0, 0, i), DirectorySize: -1}
	}
	for _, d := range days {
		i := int(d.Day.Sub(first).Hours() / 24)
		if i >= 0 && i < chartDays {
			perDay[i] = d
		}
	}
	c := &historyChart{Width: chartWidth}
	slot := (chartWidth - chartLeft - chartRight) / chartDays
	x := func(i int) int { return chartLeft + i*slot }
	var changed, calls, failures int
	top := 0
	bars := func(title, class string, value func(roger.RunDay) int) {
		p := chartPanel{Title: title, Class: class, Top: top, Base: top + panelTitle + panelHeight}
		peak := 0
		for _, d := range perDay {
			peak = max(peak, value(d))
		}
		p.Title = fmt.Sprintf("%s (at most %d a day)", title, peak)
		if peak == 0 {
			p.Title = title + " (none)"
		}
		for i, d := range perDay {
			v := value(d)
			if v == 0 {
				continue
			}
			h := max(1, v*panelHeight/peak)
			p.Bars = append(p.Bars, chartBar{X: x(i) + 1, Y: p.Base - h, W: slot - 2, H: h,
				Label: fmt.Sprintf("%s: %d", d.Day.Format("2 Jan"), v)})
		}
		c.Panels = append(c.Panels, p)
		top = p.Base + panelGap
	}
	bars("Records changed", "changed", func(d roger.RunDay) int { return d.Changed })
	bars("API calls", "calls", func(d roger.RunDay) int { return d.APICalls })
	bars("Failed syncs", "failed", func(d roger.RunDay) int { return d.Failures })
	for _, d := range perDay {
		changed += d.Changed
		calls += d.APICalls
		failures += d.Failures
	}

	// The directory's size carries over days without a counted run.
	size := chartPanel{Class: "size", Top: top, Base: top + panelTitle + panelHeight}
	peak, last, sizes := 0, -1, make([]int, chartDays)
	for i, d := range perDay {
		if d.DirectorySize >= 0 {
			last = d.DirectorySize
		}
		sizes[i] = last
		peak = max(peak, last)
	}
	size.Title = fmt.Sprintf("Directory size (records; %d at most)", peak)
	for i, v := range sizes {
		if v < 0 {
			continue
		}
		y := size.Base
		if peak > 0 {
			y -= v * panelHeight / peak
		}
		size.Line += fmt.Sprintf("%d,%d ", x(i)+slot/2, y)
		size.Dots = append(size.Dots, chartTick{X: x(i) + slot/2, Text: fmt.Sprint(y)})
		size.Bars = append(size.Bars, chartBar{X: x(i), Y: size.Base - panelHeight, W: slot, H: panelHeight,
			Label: fmt.Sprintf("%s: %d records", perDay[i].Day.Format("2 Jan"), v)})
	}
	if peak == 0 && last <= 0 {
		size.Title = "Directory size (not counted yet)"
	}
	c.Panels = append(c.Panels, size)
	c.Empty = changed == 0 && calls == 0 && failures == 0 && last < 0
	c.Height = size.Base + axisHeight
	for _, i := range []int{0, chartDays / 2, chartDays - 1} {
		c.Ticks = append(c.Ticks, chartTick{X: x(i) + slot/2, Text: perDay[i].Day.Format("2 Jan")})
	}
	c.Summary = fmt.Sprintf("Last %d days: %d records changed, %d API calls, %d failed syncs.", chartDays, changed, calls, failures)
	if last >= 0 {
		c.Summary += fmt.Sprintf(" The directory holds %d records.", last)
	}
	return c
}
