package console

import (
	"fmt"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// chart is a bar chart drawn as inline SVG by the template: no script, and
// each bar has a title for its tooltip. Coordinates are in the SVG's
// viewBox units.
type chart struct {
	Title string
	// Summary describes the chart for screen readers.
	Summary string
	Bars    []bar
	Max     int64
	Total   int64
	// Ticks label the x axis.
	Ticks []tick
}

type bar struct {
	X, Y, W, H float64
	Label      string
}

type tick struct {
	X     float64
	Label string
}

// The chart's geometry: width and height of the plot, left of the axis.
const (
	chartW    = 720.0
	chartH    = 160.0
	chartLeft = 48.0
)

// newChart sums buckets (hourly counts, oldest first) into n periods of
// step from from on, and lays out their bars.
func newChart(title string, buckets []auth.MigrationBucket, from time.Time, step time.Duration, n int) *chart {
	counts := make([]int64, n)
	end := from.Add(time.Duration(n) * step)
	for _, b := range buckets {
		if b.Start.Before(from) || !b.Start.Before(end) {
			continue
		}
		counts[int(b.Start.Sub(from)/step)] += b.Users
	}
	ch := &chart{Title: title}
	for _, v := range counts {
		ch.Max = max(ch.Max, v)
		ch.Total += v
	}
	w := (chartW - chartLeft) / float64(n)
	format, every := "Jan 2", max(1, n/4)
	if step < 24*time.Hour {
		format = "Jan 2 15:00"
	}
	for i, v := range counts {
		start := from.Add(time.Duration(i) * step)
		h := 0.0
		if ch.Max > 0 {
			h = float64(v) / float64(ch.Max) * (chartH - 10)
		}
		x := chartLeft + float64(i)*w
		ch.Bars = append(ch.Bars, bar{X: x + w*0.1, Y: chartH - h, W: w * 0.8, H: h,
			Label: fmt.Sprintf("%s: %d", start.Format(format), v)})
		if i%every == 0 {
			ch.Ticks = append(ch.Ticks, tick{X: x, Label: start.Format(format)})
		}
	}
	ch.Summary = fmt.Sprintf("%s: %d in all, at most %d in one period.", title, ch.Total, ch.Max)
	return ch
}
