package bench

import (
	"context"
	"fmt"
	"time"
)

// sleepingRow is the name of the sleeping neighbours' row.
const sleepingRow = "noisy neighbour, hostile tenants sleeping in host calls"

// measureSleeping compares the p99 latency of module calls of the legacy
// tenant (logins of unknown identifiers: its module queries its database
// and answers no user) while `tenants` hostile tenants' modules sleep in
// poll_oneoff (sleep.wasm, `clients` logins of each at a time) with that
// p99 when they are idle (half the windows before, half after).
func measureSleeping(ctx context.Context, s *benchServer, bClients, tenants, clients int, d time.Duration) (Row, error) {
	row := Row{
		Name:     sleepingRow,
		Measures: fmt.Sprintf("p99 of the legacy tenant's module calls (logins of unknown users, %d clients) while %d tenants' modules sleep 2 s in poll_oneoff (%d clients each) vs while they are idle, windows of %s", bClients, tenants, clients, d),
		Target:   "< 2x",
		Bound:    "A guest waiting in a host call (sleep, database, hash) gives its execution slot back, and waiting calls are admitted per tenant first come, first served, the tenant that has executed least recently first: the legacy tenant's call waits at most for the next slot to free, whatever the number of hostile tenants. Without that, as many sleeping calls as slots stop every other tenant's module for the length of the sleep.",
	}
	var hostile []string
	for i := range tenants {
		id := fmt.Sprintf("sleeper%d", i)
		if err := s.createTenant(ctx, id); err != nil {
			return row, err
		}
		if err := s.setUpLegacy(ctx, id, sleepWasm, 0); err != nil {
			return row, err
		}
		hostile = append(hostile, id)
	}
	bLogins := func(d time.Duration) ([]time.Duration, error) {
		res, err := Load{Clients: bClients, Duration: d}.Run(ctx, func(ctx context.Context, w, seq int) (int, error) {
			a, err := login(ctx, s.client, legacyTenant, fmt.Sprintf("nobody%d-%d@example.com", w, seq), "no such user")
			if err != nil {
				return 0, err
			}
			return a.Status, nil
		})
		if err != nil {
			return nil, err
		}
		if bad := res.Unexpected(401); bad > 0 {
			return nil, fmt.Errorf("the legacy tenant: %d of %d logins were not 401 (%v; first error %v)", bad, res.Count()+res.Failed, res.Statuses, res.FirstErr)
		}
		return res.Latencies, nil
	}
	idle, err := bLogins(d / 2)
	if err != nil {
		return row, err
	}
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	aDone := make(chan *LoadResult, 1)
	go func() {
		res, _ := Load{Clients: tenants * clients, Duration: d + d/2}.Run(actx, func(ctx context.Context, w, seq int) (int, error) {
			a, err := login(ctx, s.client, hostile[w%tenants], fmt.Sprintf("sleep%d-%d@example.com", w, seq), "any password at all")
			if err != nil {
				return 0, err
			}
			return a.Status, nil
		})
		aDone <- res
	}()
	time.Sleep(d / 4) // the sleepers are asleep when B starts
	noisy, bErr := bLogins(d)
	stopA()
	a := <-aDone
	if bErr != nil {
		return row, bErr
	}
	idle2, err := bLogins(d / 2)
	if err != nil {
		return row, err
	}
	idle = append(idle, idle2...)
	slept := 0
	if a != nil {
		slept = a.Statuses[401]
	}
	pi, pn := Percentile(idle, 99), Percentile(noisy, 99)
	x := Ratio(float64(pn), float64(pi))
	row.Result = fmt.Sprintf("p99 idle %s, beside the sleepers %s: **%.2fx** (p50 %s vs %s; %d sleeps of 2 s completed)",
		fmtDur(pi), fmtDur(pn), x, fmtDur(Median(idle)), fmtDur(Median(noisy)), slept)
	row.Verdict = verdict(x < 2 && slept > 0)
	return row, nil
}
