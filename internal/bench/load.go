package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MaxLoadDuration caps the Duration of any Load, so that no mistake in a
// caller makes a run go on for long.
const MaxLoadDuration = 2 * time.Minute

// Load is a bounded load: Clients workers send requests until Requests have
// been started in total or Duration has passed, whichever comes first, and
// then wait for the requests in flight. At least one bound must be set;
// Duration is capped at MaxLoadDuration in any case.
type Load struct {
	Clients  int
	Requests int           // total requests; 0 means bounded by Duration only
	Duration time.Duration // 0 means bounded by Requests only
	// Together makes the workers start at once, after all of them are
	// ready, for a burst of concurrent requests.
	Together bool
}

// Request sends one request for a worker (0 <= worker < Clients; seq counts
// that worker's requests from 0) and returns the HTTP status. An error
// means no answer arrived.
type Request func(ctx context.Context, worker, seq int) (status int, err error)

// LoadResult is what a Load saw.
type LoadResult struct {
	Latencies []time.Duration // of every answered request, worker by worker
	Statuses  map[int]int     // answers by HTTP status
	Failed    int             // requests without an answer
	FirstErr  error           // the first of those errors
	Elapsed   time.Duration   // from the first start to the last answer
}

// Count returns the answered requests.
func (r *LoadResult) Count() int { return len(r.Latencies) }

// PerSecond returns answered requests per second of Elapsed.
func (r *LoadResult) PerSecond() float64 {
	return Ratio(float64(r.Count()), r.Elapsed.Seconds())
}

// Unexpected returns the requests that failed or were answered with a
// status not in allowed.
func (r *LoadResult) Unexpected(allowed ...int) int {
	n := r.Failed
	for status, c := range r.Statuses {
		ok := false
		for _, a := range allowed {
			ok = ok || status == a
		}
		if !ok {
			n += c
		}
	}
	return n
}

// Run runs the load and returns what it saw. It stops early when ctx ends.
func (l Load) Run(ctx context.Context, send Request) (*LoadResult, error) {
	if l.Clients <= 0 {
		return nil, errors.New("load: no clients")
	}
	if l.Requests <= 0 && l.Duration <= 0 {
		return nil, errors.New("load: neither a request count nor a duration bounds it")
	}
	d := l.Duration
	if d <= 0 || d > MaxLoadDuration {
		d = MaxLoadDuration
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()

	type sample struct {
		latency time.Duration
		status  int
		err     error
	}
	results := make([][]sample, l.Clients)
	var started atomic.Int64
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	ready.Add(l.Clients)
	done.Add(l.Clients)
	for w := range l.Clients {
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			for seq := 0; ; seq++ {
				if ctx.Err() != nil || (l.Requests > 0 && started.Add(1) > int64(l.Requests)) {
					return
				}
				t0 := time.Now()
				// A request in flight when the duration ends still gets its
				// answer: it was started within the bound.
				status, err := send(context.WithoutCancel(ctx), w, seq)
				results[w] = append(results[w], sample{time.Since(t0), status, err})
			}
		}()
	}
	if l.Together {
		ready.Wait()
	}
	t0 := time.Now()
	close(gate)
	done.Wait()
	res := &LoadResult{Statuses: map[int]int{}, Elapsed: time.Since(t0)}
	for _, rs := range results {
		for _, s := range rs {
			if s.err != nil {
				res.Failed++
				if res.FirstErr == nil {
					res.FirstErr = s.err
				}
				continue
			}
			res.Latencies = append(res.Latencies, s.latency)
			res.Statuses[s.status]++
		}
	}
	if res.Count() == 0 && res.Failed > 0 {
		return res, fmt.Errorf("load: no request was answered: %w", res.FirstErr)
	}
	return res, nil
}
