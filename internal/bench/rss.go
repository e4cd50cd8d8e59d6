package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory reads the resident set size of this process from
// /proc/self/status: VmRSS (now) and VmHWM (the peak since the process
// started or since ResetPeakRSS).
func Memory() (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the process status: %w", err)
	}
	return parseStatusMemory(b)
}

func parseStatusMemory(status []byte) (rss, hwm int64, err error) {
	var found int
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("process status: %s is %q, want a number of kB", key, value)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("process status: %s: %w", key, err)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("process status has no VmRSS or VmHWM")
	}
	return rss, hwm, nil
}

// ResetPeakRSS sets VmHWM back to the current RSS (Linux 4.0 and later,
// by writing 5 to /proc/self/clear_refs). It reports whether that worked;
// when not, only sampled RSS is meaningful.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// MemoryPeak is the highest memory use a sampler saw.
type MemoryPeak struct {
	RSS         int64 // VmRSS
	HeapObjects int64 // bytes of Go heap objects, live or not yet collected
	Stacks      int64 // bytes of goroutine stacks
	Goroutines  int64
}

// liveHeap returns the bytes of Go heap objects; right after a collection
// (debug.FreeOSMemory forces one) that is the live heap.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: metricHeapObjects}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// memorySampler records the highest memory use seen every interval until
// stopped.
type memorySampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak MemoryPeak
}

// Go runtime metrics the sampler reads.
const (
	metricHeapObjects = "/memory/classes/heap/objects:bytes"
	metricStacks      = "/memory/classes/heap/stacks:bytes"
	metricGoroutines  = "/sched/goroutines:goroutines"
)

func sampleMemory(interval time.Duration) *memorySampler {
	s := &memorySampler{stop: make(chan struct{})}
	samples := []metrics.Sample{{Name: metricHeapObjects}, {Name: metricStacks}, {Name: metricGoroutines}}
	s.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if rss, _, err := Memory(); err == nil {
				s.peak.RSS = max(s.peak.RSS, rss)
			}
			metrics.Read(samples)
			for i, p := range []*int64{&s.peak.HeapObjects, &s.peak.Stacks, &s.peak.Goroutines} {
				if samples[i].Value.Kind() == metrics.KindUint64 {
					*p = max(*p, int64(samples[i].Value.Uint64()))
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// Stop ends the sampling and returns the peaks seen.
func (s *memorySampler) Stop() MemoryPeak {
	close(s.stop)
	s.wg.Wait()
	return s.peak
}
