package console

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

func TestChart(t *testing.T) {
	day := 24 * time.Hour
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	buckets := []auth.MigrationBucket{
		{Start: from.Add(-time.Hour), Users: 1000}, // before: left out
		{Start: from, Users: 1},
		{Start: from.Add(23 * time.Hour), Users: 2},
		{Start: from.Add(2*day + 5*time.Hour), Users: 4},
		{Start: from.Add(3 * day), Users: 1000}, // after: left out
	}
	c := newChart("t", buckets, from, day, 3)
	if c.Total != 7 || c.Max != 4 || len(c.Bars) != 3 {
		t.Fatalf("chart: total %d, max %d, %d bars", c.Total, c.Max, len(c.Bars))
	}
	if c.Bars[0].Label != "Mar 1: 3" || c.Bars[1].H != 0 || c.Bars[2].H != chartH-10 || c.Bars[0].H != (chartH-10)*3/4 {
		t.Fatalf("bars: %+v", c.Bars)
	}
	if empty := newChart("t", nil, from, time.Hour, 56); empty.Max != 0 || len(empty.Ticks) != 4 {
		t.Fatalf("empty chart: %+v", empty)
	}
}
