package bench

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// stormTenant is tenant A of the login storm: local users only.
const stormTenant = "storm"

// measureStorm compares the p99 latency of tenant B's local logins (the
// quiet tenant, bClients at a time) while tenant A's stormClients log in as
// fast as they can, with B's p99 while A is idle (half the windows before,
// half after). The hash slots and the processors are shared; the hasher
// serves the tenant that has used them less first.
func measureStorm(ctx context.Context, s *benchServer, stormClients, bClients int, d time.Duration) (Row, error) {
	row := Row{
		Name:     "login storm",
		Measures: fmt.Sprintf("p99 of tenant B's local logins (%d clients) while tenant A's local logins storm (%d clients, each sending its next login as soon as it has an answer) vs while A is idle, windows of %s", bClients, stormClients, d),
		Target:   "< 2x",
		Bound:    fmt.Sprintf("The hash slots and the processors, both shared by tenant. Slots: while B is active (it has a login waiting or hashing, or gave a slot back within the last hold time, as between two of its logins), A holds at most its share of the %d slots, one left free for each other active tenant and at most half of them (%d), and a freed slot goes to the tenant with waiters within its share that was served least recently; so a B login finds a slot at once instead of waiting for one of A's hashes to finish, except the first after B has been away, while A holds them all. Processors: at most GOMAXPROCS hashes compute at once, and between the segments of a hash (8 at t=2, under a millisecond each at the default parameters) a turn goes to a waiting hash of a tenant that has used the processors less recently, while a hash that keeps its turn lets the goroutines queued behind it run (runtime.Gosched) instead of holding them until Go preempts it after 10 ms. So B's hash waits for at most one segment of A's, and while B uses less of the processors than A it runs at full speed; what is left is B's HTTP, store and signing work sharing Go's run queue, first come first served, with A's, and B's session write sharing Badger's write batches with A's.", s.slots, (s.slots+1)/2),
	}
	if err := s.createTenant(ctx, stormTenant); err != nil {
		return row, err
	}
	if err := s.register(ctx, stormTenant, localEmail, localPassword); err != nil {
		return row, err
	}
	bLogins := func(d time.Duration) ([]time.Duration, error) { return quietLoginLatencies(ctx, s, bClients, d) }
	idle, err := bLogins(d / 2)
	if err != nil {
		return row, err
	}

	// A storms for the whole of B's window, and a little before it so that
	// its queue is full when B starts.
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	var aRes *LoadResult
	var aErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		aRes, aErr = Load{Clients: stormClients, Duration: d + d/2}.Run(actx, func(ctx context.Context, _, _ int) (int, error) {
			a, err := login(ctx, s.client, stormTenant, localEmail, localPassword)
			if err != nil {
				return 0, err
			}
			return a.Status, nil
		})
	})
	time.Sleep(d / 4)
	storm, bErr := bLogins(d)
	stopA()
	wg.Wait()
	if bErr != nil {
		return row, bErr
	}
	if aErr != nil {
		return row, fmt.Errorf("tenant A: %w", aErr)
	}
	idle2, err := bLogins(d / 2)
	if err != nil {
		return row, err
	}
	idle = append(idle, idle2...)
	pi, ps := Percentile(idle, 99), Percentile(storm, 99)
	x := Ratio(float64(ps), float64(pi))
	row.Result = fmt.Sprintf("B p99 idle %s, with A storming %s: **%.2fx** (B p50 %s vs %s; A: %d answers, %d of them 200, %d 503, p50 %s)",
		fmtDur(pi), fmtDur(ps), x, fmtDur(Median(idle)), fmtDur(Median(storm)), aRes.Count(), aRes.Statuses[200], aRes.Statuses[503], fmtDur(Median(aRes.Latencies)))
	row.Verdict = verdict(x < 2)
	return row, nil
}
