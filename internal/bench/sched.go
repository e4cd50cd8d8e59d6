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

// metricSchedLatency is the distribution of the time goroutines spend
// runnable before they run: the wait for a core.
const metricSchedLatency = "/sched/latencies:seconds"

// latencyWatch reads the samples a runtime histogram gains after it starts.
type latencyWatch struct {
	name   string
	before *metrics.Float64Histogram
}

func watchSchedLatency() latencyWatch {
	return latencyWatch{name: metricSchedLatency, before: readHistogram(metricSchedLatency)}
}

// Percentile returns the upper bound of the bucket that holds the p-th
// percentile of the samples gained since the watch began (its lower bound
// when unbounded), or 0 without samples.
func (w latencyWatch) Percentile(p float64) time.Duration {
	after := readHistogram(w.name)
	if w.before == nil || after == nil || len(after.Counts) != len(w.before.Counts) {
		return 0
	}
	var total uint64
	for i := range after.Counts {
		total += after.Counts[i] - w.before.Counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(total)))
	var seen uint64
	for i := range after.Counts {
		seen += after.Counts[i] - w.before.Counts[i]
		if seen >= rank {
			bound := after.Buckets[i+1]
			if math.IsInf(bound, 1) {
				bound = after.Buckets[i]
			}
			return time.Duration(bound * float64(time.Second))
		}
	}
	return 0
}
