package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sys/unix"

	"github.com/wasmauth/wasmauth/internal/argon2x"
)

// The tenants of a run.
const (
	quietTenant  = "quiet"  // local users: logins, refreshes; tenant B of the noisy neighbour
	legacyTenant = "legacy" // the Go example on SQLite, for first logins
	noisyTenant  = "noisy"  // spin.wasm: tenant A of the noisy neighbour
)

// The local user of the quiet tenant.
const (
	localEmail    = "local@example.com"
	localPassword = "correct horse battery"
)

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// window is what one side of a comparison did in its windows.
type window struct {
	ops     int
	elapsed time.Duration
	cpu     time.Duration
}

func (w window) perSecond() float64    { return Ratio(float64(w.ops), w.elapsed.Seconds()) }
func (w window) perCPUSecond() float64 { return Ratio(float64(w.ops), w.cpu.Seconds()) }

// idKeyFunc computes an argon2id key: x/crypto's, or internal/argon2x's.
type idKeyFunc func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte

// rawHashes runs argon2id (idKey) with the server's parameters on clients
// goroutines for d and counts the hashes finished.
func rawHashes(ctx context.Context, s *benchServer, clients int, d time.Duration, idKey idKeyFunc) window {
	p := s.cfg.Hash
	salt := make([]byte, p.SaltLen)
	pw := []byte(localPassword)
	var n atomic.Int64
	var wg sync.WaitGroup
	cpu0, t0 := processCPU(), time.Now()
	deadline := t0.Add(d)
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				idKey(pw, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return window{ops: int(n.Load()), elapsed: time.Since(t0), cpu: processCPU() - cpu0}
}

// localLogins runs logins of the local user on clients workers for d.
func localLogins(ctx context.Context, s *benchServer, clients int, d time.Duration) (window, error) {
	cpu0 := processCPU()
	res, err := Load{Clients: clients, Duration: d}.Run(ctx, func(ctx context.Context, _, _ int) (int, error) {
		a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
		if err != nil {
			return 0, err
		}
		return a.Status, nil
	})
	if err != nil {
		return window{}, err
	}
	if bad := res.Unexpected(200); bad > 0 {
		return window{}, fmt.Errorf("%d of %d logins failed (%v; first error %v)", bad, res.Count()+res.Failed, res.Statuses, res.FirstErr)
	}
	return window{ops: res.Count(), elapsed: res.Elapsed, cpu: processCPU() - cpu0}, nil
}

// measureLoginVsRaw compares local logins over HTTP with bare argon2id at
// the same concurrency (the server's hash slots) and parameters, in
// alternating windows.
func measureLoginVsRaw(ctx context.Context, s *benchServer, rounds int, d time.Duration) (Row, error) {
	c := s.slots
	p := s.cfg.Hash
	row := Row{
		Name:     "local login vs raw argon2id",
		Measures: fmt.Sprintf("logins/s of a local user over HTTP vs golang.org/x/crypto/argon2 argon2id hashes/s (m=%d KiB, t=%d, p=%d), %d at once each, %d alternating windows of %s; and the server's own argon2id (internal/argon2x, %s) vs x/crypto", p.Memory, p.Iterations, p.Parallelism, c, rounds, d, argon2x.Implementation()),
		Target:   ">= 1.2 (argon2x >= 1.25x x/crypto)",
		Bound:    "argon2id itself: one verification per login at the hash slots' concurrency (2 x GOMAXPROCS by default). Everything else in a login (HTTP, JSON, rate limiter, Badger read and session write, ES256/EdDSA signature, audit event) is the gap to 1.0; the load generator runs in the same process and its CPU counts against the logins.",
	}
	var raw, own, logins window
	pool := argon2x.NewPool(c)
	add := func(to *window, w window) {
		to.ops, to.elapsed, to.cpu = to.ops+w.ops, to.elapsed+w.elapsed, to.cpu+w.cpu
	}
	for range max(rounds, 1) {
		add(&raw, rawHashes(ctx, s, c, d, argon2.IDKey))
		add(&own, rawHashes(ctx, s, c, d, pool.IDKey))
		l, err := localLogins(ctx, s, c, d)
		if err != nil {
			return row, err
		}
		add(&logins, l)
	}
	x := Ratio(logins.perSecond(), raw.perSecond())
	cx := Ratio(logins.perCPUSecond(), raw.perCPUSecond())
	ox := Ratio(own.perSecond(), raw.perSecond())
	row.Result = fmt.Sprintf("%s logins vs %s x/crypto hashes: **%.2f** (per CPU-second of the process: %.2f); argon2x %s hashes: %.2fx x/crypto", fmtRate(logins.perSecond()), fmtRate(raw.perSecond()), x, cx, fmtRate(own.perSecond()), ox)
	row.Verdict = verdict(x >= 1.2 && ox >= 1.25)
	return row, nil
}

// measureFirstVsLater logs n legacy users in twice each, one after the
// other: the first login migrates (module call, legacy check, argon2id
// hash, store), the later one is local (argon2id verify). The module call
// is broken out with POST /script/test, whose duration is measured by the
// server around the engine call (the module and its query).
func measureFirstVsLater(ctx context.Context, s *benchServer, n int, label string) (Row, error) {
	row := Row{
		Name:     "first (migrating) login vs later login",
		Measures: fmt.Sprintf("median latency of %d first logins of legacy users (%s, SQLite) vs their second logins; the module call (module + query) from POST /script/test", n, label),
		Target:   "module + query < 2 ms",
		Bound:    "Both logins cost one argon2id (the first hashes the password for the local store, the later one verifies it); the first adds the module call (a warm instance, one SQLite query, salted SHA-256 in the guest) and the user's creation in Badger.",
	}
	pw, err := seedPassword(seedUser)
	if err != nil {
		return row, err
	}
	var first, later []time.Duration
	for i := range n {
		id := fmt.Sprintf("b%d", i)
		for j, into := range []*[]time.Duration{&first, &later} {
			t0 := time.Now()
			a, err := login(ctx, s.client, legacyTenant, id, pw)
			if err != nil {
				return row, err
			}
			if err := a.Expect(200, fmt.Sprintf("login %d of legacy user %s", j+1, id)); err != nil {
				return row, err
			}
			*into = append(*into, time.Since(t0))
		}
	}
	var module []time.Duration
	for range max(n, 20) {
		a, err := s.client.Must(ctx, 200, "POST", "/admin/v1/tenants/"+legacyTenant+"/script/test", s.token,
			map[string]any{"op": "login", "identifier": seedUser, "password": pw})
		if err != nil {
			return row, err
		}
		var out struct {
			OK         bool    `json:"ok"`
			DurationMS float64 `json:"duration_ms"`
		}
		if err := a.JSON(&out); err != nil {
			return row, err
		}
		if !out.OK {
			return row, fmt.Errorf("script test of %s failed: %s", seedUser, a.Body)
		}
		module = append(module, time.Duration(out.DurationMS*float64(time.Millisecond)))
	}
	f, l, m := Median(first), Median(later), Median(module)
	row.Result = fmt.Sprintf("first %s, later %s: **%.2fx** (+%s); module + query **%s**", fmtDur(f), fmtDur(l), Ratio(float64(f), float64(l)), fmtDur(f-l), fmtDur(m))
	row.Verdict = verdict(m < 2*time.Millisecond)
	return row, nil
}

// measureRefresh rotates refresh tokens on clients workers for d, each
// worker on its own session.
func measureRefresh(ctx context.Context, s *benchServer, clients int, d time.Duration) (Row, error) {
	row := Row{
		Name:     "token refresh",
		Measures: fmt.Sprintf("POST /oauth/token refresh_token grants/s, %d clients each rotating its own session's token for %s", clients, d),
		Target:   "reported",
		Verdict:  Reported,
		Bound:    "No password hash: a Badger transaction (the old token's hash looked up and retired, the new one stored), a signed access token and the form parsing; Badger's write path and the signature share the CPU.",
	}
	r, err := newRefresher(ctx, s, clients)
	if err != nil {
		return row, err
	}
	res, err := Load{Clients: clients, Duration: d}.Run(ctx, r.send)
	if err != nil {
		return row, err
	}
	if bad := res.Unexpected(200); bad > 0 {
		return row, fmt.Errorf("%d of %d refreshes failed (%v; first error %v)", bad, res.Count()+res.Failed, res.Statuses, res.FirstErr)
	}
	row.Result = fmt.Sprintf("**%s** (p50 %s, p99 %s)", fmtRate(res.PerSecond()), fmtDur(Median(res.Latencies)), fmtDur(Percentile(res.Latencies, 99)))
	return row, nil
}

// refresher rotates refresh tokens of v1 sessions of the local user, one
// session per worker of a Load.
type refresher struct {
	s      *benchServer
	tokens []string
}

// newRefresher logs the local user in once per worker.
func newRefresher(ctx context.Context, s *benchServer, workers int) (*refresher, error) {
	r := &refresher{s: s, tokens: make([]string, workers)}
	for i := range r.tokens {
		a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
		if err != nil {
			return nil, err
		}
		var ts struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := errors.Join(a.Expect(200, "login for a session"), a.JSON(&ts)); err != nil {
			return nil, err
		}
		r.tokens[i] = ts.RefreshToken
	}
	return r, nil
}

// send is a Request: worker w's refresh grant, keeping the rotated token.
func (r *refresher) send(ctx context.Context, w, _ int) (int, error) {
	a, err := r.s.client.Do(ctx, "POST", "/t/"+quietTenant+"/oauth/token", "", form("grant_type", "refresh_token", "refresh_token", r.tokens[w]))
	if err != nil {
		return 0, err
	}
	if a.Status == 200 {
		var ts struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := a.JSON(&ts); err != nil {
			return 0, err
		}
		r.tokens[w] = ts.RefreshToken
	}
	return a.Status, nil
}

// burst sends n requests at once, each on its own connection, and
// returns what they got and the peak memory use of the process, over the
// RSS before (after returning free memory to the system).
func burst(ctx context.Context, s *benchServer, n int, send func(ctx context.Context, c *Client) (*Answer, error)) (res *LoadResult, before, live int64, peak MemoryPeak, hwmOK bool, err error) {
	c, err := NewClient(s.base(), n)
	if err != nil {
		return nil, 0, 0, peak, false, err
	}
	defer c.Close()
	debug.FreeOSMemory()
	live = liveHeap()
	if before, _, err = Memory(); err != nil {
		return nil, 0, 0, peak, false, err
	}
	hwmOK = ResetPeakRSS()
	sampler := sampleMemory(5 * time.Millisecond)
	res, err = Load{Clients: n, Requests: n, Together: true, Duration: time.Minute}.Run(ctx, func(ctx context.Context, _, _ int) (int, error) {
		a, err := send(ctx, c)
		if err != nil {
			return 0, err
		}
		return a.Status, nil
	})
	peak = sampler.Stop()
	if _, hwm, merr := Memory(); merr == nil && hwmOK {
		peak.RSS = max(peak.RSS, hwm)
	}
	return res, before, live, peak, hwmOK, err
}

// warmBurst opens n connections, each with one health check of its own
// (all at once), and then sends n requests at once, request i on
// connection i, so that what it measures is the server's time to answer
// rather than n TCP handshakes and n new server goroutines. It returns what
// they got and how many went out on a connection already open.
func warmBurst(ctx context.Context, s *benchServer, n int, send func(ctx context.Context, c *Client) (*Answer, error)) (res *LoadResult, reused int, err error) {
	clients := make([]*Client, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range clients {
		if clients[i], err = NewClient(s.base(), 1); err != nil {
			return nil, 0, err
		}
	}
	warm, err := Load{Clients: n, Requests: n, Together: true, Duration: time.Minute}.Run(ctx, func(ctx context.Context, w, _ int) (int, error) {
		a, err := clients[w].Do(ctx, "GET", "/healthz", "", nil)
		if err != nil {
			return 0, err
		}
		return a.Status, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("opening %d connections: %w", n, err)
	}
	if bad := warm.Unexpected(200); bad > 0 {
		return nil, 0, fmt.Errorf("opening %d connections: %d health checks failed (%v; first error %v)", n, bad, warm.Statuses, warm.FirstErr)
	}
	var onWarm atomic.Int64
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Reused {
			onWarm.Add(1)
		}
	}}
	res, err = Load{Clients: n, Requests: n, Together: true, Duration: time.Minute}.Run(ctx, func(ctx context.Context, w, _ int) (int, error) {
		a, err := send(httptrace.WithClientTrace(ctx, trace), clients[w])
		if err != nil {
			return 0, err
		}
		return a.Status, nil
	})
	return res, int(onWarm.Load()), err
}

// overloadedLogins returns a send function for a burst that logs the local
// user in and, for each 503, adds its latency to *into.
func overloadedLogins(mu *sync.Mutex, into *[]time.Duration) func(ctx context.Context, c *Client) (*Answer, error) {
	return func(ctx context.Context, c *Client) (*Answer, error) {
		t0 := time.Now()
		a, err := login(ctx, c, quietTenant, localEmail, localPassword)
		if err == nil && a.Status == 503 {
			mu.Lock()
			*into = append(*into, time.Since(t0))
			mu.Unlock()
		}
		return a, err
	}
}

// healthCheck is a burst's send function for GET /healthz.
func healthCheck(ctx context.Context, c *Client) (*Answer, error) {
	return c.Do(ctx, "GET", "/healthz", "", nil)
}

// measureConcurrent sends n logins of the local user at once, twice: each
// on a new connection of its own (cold), and on n connections opened and
// warmed by one health check each beforehand (warm). It records the time to
// the last answer, the share of 200s, the p99 latency of all answers and of
// the 503s, and, for the cold burst, the peak RSS of the process. Logins
// that the hasher does not expect to serve within its wait are 503 by
// design, at once; 429 would be the rate limiter's, also by design. A burst
// of n health checks, the same way (cold, warm), first shows what the
// connections and goroutines alone cost. The time target is judged on the
// warm burst: on this machine's 2 cores the cold one mostly measures the
// n handshakes and goroutine starts that the in-process load generator and
// the server make on the same cores, which its health checks show.
func measureConcurrent(ctx context.Context, s *benchServer, n int) (Row, error) {
	m := s.cfg.Hash.Memory
	bound := int64(s.slots) * int64(m) << 10
	row := Row{
		Name:     fmt.Sprintf("%s concurrent logins", fmtCount(int64(n))),
		Measures: fmt.Sprintf("%d logins of a local user started at once, on %d connections opened and warmed by one health check each beforehand (warm) and each on a new connection of its own (cold): answers by status, p99 latency of the 503s, and for the cold burst the peak RSS of the process over the one before; the same two bursts of %d health checks (connections and goroutines alone)", n, n, n),
		Target:   fmt.Sprintf("503s at once: p99 of the warm burst's 503s < 50 ms beyond the warm health checks' p99 (%d no-op requests released at once: what this machine and an in-process client take to serve a burst of that size, whatever the server does), and 99%% of them answered within 1 ms of their handler's start by the server's clock (the cold burst's p99 is reported beside it, with its health checks' p99, and is bounded by %d TCP handshakes and goroutine starts on the machine's cores, load generator included); RSS growth of the cold logins over the cold health checks' <= 2 x hash slots x m = %s; no answer but 200, 503 or 429", n, n, fmtBytes(2*bound)),
		Bound: fmt.Sprintf("Memory: the hash slots (%d at once x %d KiB of argon2id memory = %s live; reused from hash to hash through internal/argon2x's block pool, sized by the slots, so the hashes add no garbage for the collector to chase; before the pool, x/crypto/argon2 allocated it anew for each hash and the heap grew to twice what was live at the last collection, GOGC=100), not the number of clients (%d x %d KiB would be %s); plus each connection's buffers and goroutines, the load generator's included, which the health-check burst measures. Time: the hasher admits the logins its slots are expected to finish within half its wait (2 s), at the hash rate it measures; the login asks it before any other work (no tenant read, user lookup or module call first: each would cost a turn behind every runnable goroutine), counting the tenant's logins admitted and still on their way to it as queued, and the others get 503 overloaded at once, with Retry-After. A 503 then costs reading and parsing the request, the JSON body and one look at the hash queue, but it shares 2 cores with %d hash goroutines (preempted every 10 ms) and with the load generator's %d client goroutines; on new connections the accepts and goroutine starts come first, which the cold health checks' p99 shows.",
			s.slots, m, fmtBytes(bound), n, m, fmtBytes(int64(n)*int64(m)<<10), s.slots, n),
	}
	hRes, hBefore, _, hPeak, _, err := burst(ctx, s, n, healthCheck)
	if err != nil {
		return row, fmt.Errorf("health-check burst: %w", err)
	}
	var mu sync.Mutex
	var overloaded, warmOverloaded []time.Duration // latencies of the 503s
	res, before, live, peak, hwmOK, err := burst(ctx, s, n, overloadedLogins(&mu, &overloaded))
	if err != nil {
		return row, err
	}
	hWatch := watchSchedLatency()
	hwRes, _, err := warmBurst(ctx, s, n, healthCheck)
	hSched := hWatch.Percentile(99)
	if err != nil {
		return row, fmt.Errorf("warm health-check burst: %w", err)
	}
	within0, err := serverLoginsWithin(ctx, s, "0.001")
	if err != nil {
		return row, err
	}
	wWatch := watchSchedLatency()
	wRes, reused, err := warmBurst(ctx, s, n, overloadedLogins(&mu, &warmOverloaded))
	wSched := wWatch.Percentile(99)
	if err != nil {
		return row, fmt.Errorf("warm login burst: %w", err)
	}
	within1, err := serverLoginsWithin(ctx, s, "0.001")
	if err != nil {
		return row, err
	}
	growth, conns := peak.RSS-before, hPeak.RSS-hBefore
	unexpected := res.Unexpected(200, 503, 429) + wRes.Unexpected(200, 503, 429)
	p99Warm := Percentile(warmOverloaded, 99)
	row.Result = fmt.Sprintf("warm (%d of %d on open connections): last answer after %s; 200: %d, 503: %d, 429: %d, other: %d; p99 of the 503s **%s** (p50 %s; the warm health checks' p99 %s); answered within 1 ms of the server's handler start: %d of %d; goroutines' wait for a core, p99 (runtime /sched/latencies, the process's): %s, health checks' %s; cold: last answer after %s; 200: %d (%.0f%%), 503: %d, 429: %d, other: %d; p99 %s, of the 503s %s (p50 %s; the cold health checks' p99 %s); peak RSS %s, +%s over %s (Go heap: %s live before, at most %s during; stacks %s); health checks +%s (heap at most %s): logins' own **%s**",
		reused, n, fmtDur(wRes.Elapsed), wRes.Statuses[200], wRes.Statuses[503], wRes.Statuses[429], wRes.Unexpected(200, 503, 429), fmtDur(p99Warm), fmtDur(Median(warmOverloaded)), fmtDur(Percentile(hwRes.Latencies, 99)), within1-within0, wRes.Count(), fmtDur(wSched), fmtDur(hSched),
		fmtDur(res.Elapsed), res.Statuses[200], 100*Ratio(float64(res.Statuses[200]), float64(n)), res.Statuses[503], res.Statuses[429], res.Unexpected(200, 503, 429), fmtDur(Percentile(res.Latencies, 99)), fmtDur(Percentile(overloaded, 99)), fmtDur(Median(overloaded)), fmtDur(Percentile(hRes.Latencies, 99)),
		fmtBytes(peak.RSS), fmtBytes(growth), fmtBytes(before), fmtBytes(live), fmtBytes(peak.HeapObjects), fmtBytes(peak.Stacks),
		fmtBytes(conns), fmtBytes(hPeak.HeapObjects), signedBytes(growth-conns))
	if !hwmOK {
		row.Result += " (VmRSS sampled every 5 ms: VmHWM could not be reset)"
	}
	fast := within1-within0 >= int64(len(warmOverloaded))*99/100
	row.Verdict = verdict(unexpected == 0 && growth-conns <= 2*bound && len(warmOverloaded) > 0 && fast &&
		p99Warm < Percentile(hwRes.Latencies, 99)+50*time.Millisecond)
	return row, nil
}

// measureNoisy compares the p99 latency of tenant B's local logins while
// tenant A's module spins (every A login runs spin.wasm until its fuel
// runs out, noisyClients of them at a time) with B's p99 when A is idle
// (half the windows before, half after).
func measureNoisy(ctx context.Context, s *benchServer, bClients, noisyClients int, d time.Duration) (Row, error) {
	row := Row{
		Name:     "noisy neighbour",
		Measures: fmt.Sprintf("p99 of tenant B's local logins (%d clients) while tenant A's module loops until its fuel runs out (%d clients) vs while A is idle, windows of %s", bClients, noisyClients, d),
		Target:   "< 2x",
		Bound:    "The Go runtime cannot preempt a goroutine inside wasm code (wazero's compiled code has no preemption points), while Go code such as B's argon2id is preempted every 10 ms: each of A's calls holds a processor for its whole call. The engine's admission control keeps A to half the processors (Config.MaxRunningPerTenant), so B keeps the others; but every garbage collection, which B's argon2id triggers often, waits for A's running call to leave wasm before it can stop the world. A's call leaves wasm to refuel once per fuel slice (10 million units, package runtime/fuel), which bounds B's worst wait whatever A's budget.",
	}
	bLogins := func(d time.Duration) ([]time.Duration, error) { return quietLoginLatencies(ctx, s, bClients, d) }
	idleWatch := watchPauses()
	idle, err := bLogins(d / 2)
	if err != nil {
		return row, err
	}
	idleStop := idleWatch.Longest()

	// A spins for the whole of B's window, and a little before it so that
	// its instances are running when B starts.
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	type aResult struct {
		res *LoadResult
		err error
	}
	aDone := make(chan aResult, 1)
	go func() {
		res, err := Load{Clients: noisyClients, Duration: d + d/2}.Run(actx, func(ctx context.Context, w, seq int) (int, error) {
			a, err := login(ctx, s.client, noisyTenant, fmt.Sprintf("spin%d-%d@example.com", w, seq), "any password at all")
			if err != nil {
				return 0, err
			}
			return a.Status, nil
		})
		aDone <- aResult{res, err}
	}()
	time.Sleep(d / 4)
	noisyWatch := watchPauses()
	noisy, bErr := bLogins(d)
	noisyStop := noisyWatch.Longest()
	stopA()
	a := <-aDone
	if bErr != nil {
		return row, bErr
	}
	if a.err != nil {
		return row, fmt.Errorf("tenant A: %w", a.err)
	}
	if a.res.Statuses[503] == 0 {
		return row, fmt.Errorf("tenant A's module never ran out of fuel: %v", a.res.Statuses)
	}
	idle2, err := bLogins(d / 2)
	if err != nil {
		return row, err
	}
	idle = append(idle, idle2...)
	pi, pn := Percentile(idle, 99), Percentile(noisy, 99)
	x := Ratio(float64(pn), float64(pi))
	row.Result = fmt.Sprintf("B p99 idle %s, with A spinning %s: **%.2fx** (B p50 %s vs %s; A: %d calls out of fuel, median %s; longest wait to stop the world for a GC: %s idle, %s with A)",
		fmtDur(pi), fmtDur(pn), x, fmtDur(Median(idle)), fmtDur(Median(noisy)), a.res.Statuses[503], fmtDur(Median(a.res.Latencies)), fmtDur(idleStop), fmtDur(noisyStop))
	row.Verdict = verdict(x < 2)
	return row, nil
}

// quietLoginLatencies runs logins of the quiet tenant's local user (tenant
// B of the neighbour rows) on clients workers for d and returns their
// latencies; any answer but 200 is an error.
func quietLoginLatencies(ctx context.Context, s *benchServer, clients int, d time.Duration) ([]time.Duration, error) {
	res, err := Load{Clients: clients, Duration: d}.Run(ctx, func(ctx context.Context, _, _ int) (int, error) {
		a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
		if err != nil {
			return 0, err
		}
		return a.Status, nil
	})
	if err != nil {
		return nil, err
	}
	if bad := res.Unexpected(200); bad > 0 {
		return nil, fmt.Errorf("tenant B: %d of %d logins failed (%v; first error %v)", bad, res.Count()+res.Failed, res.Statuses, res.FirstErr)
	}
	return res.Latencies, nil
}
