package bench

import (
	"math"
	"runtime/metrics"
	"time"
)

// metricGCStopping is the distribution of the time the Go runtime takes to
// stop every goroutine for a collection: a goroutine it cannot preempt (one
// running wasm code, which has no preemption points) holds it up, and
// every other goroutine waits with it.
const metricGCStopping = "/sched/pauses/stopping/gc:seconds"

// pauseWatch reports the longest GC stop-the-world wait since it started.
type pauseWatch struct {
	before *metrics.Float64Histogram
}

func watchPauses() pauseWatch {
	return pauseWatch{before: readHistogram(metricGCStopping)}
}

// Longest returns the upper bound of the highest bucket that gained
// samples since the watch began (its lower bound when unbounded), or 0.
func (w pauseWatch) Longest() time.Duration {
	after := readHistogram(metricGCStopping)
	if w.before == nil || after == nil || len(after.Counts) != len(w.before.Counts) {
		return 0
	}
	for i := len(after.Counts) - 1; i >= 0; i-- {
		if after.Counts[i] > w.before.Counts[i] {
			bound := after.Buckets[i+1]
			if math.IsInf(bound, 1) {
				bound = after.Buckets[i]
			}
			return time.Duration(bound * float64(time.Second))
		}
	}
	return 0
}

func readHistogram(name string) *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}
