package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/argon2"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/ratelimit"
	"github.com/wasmauth/wasmauth/internal/ratelimit/shared"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
)

// The names of the several-nodes rows.
const (
	pgLoginRow      = "PostgreSQL: local login vs raw argon2id"
	pgRefreshRow    = "PostgreSQL: token refresh"
	pgRoundTripsRow = "PostgreSQL: round trips per request"
	twoNodesRow     = "two nodes vs one node"
	rateLimitRow    = "shared rate limits: cost per failed login"
)

// NodeRows are the rows of several nodes sharing PostgreSQL, in order.
var NodeRows = []string{pgLoginRow, pgRefreshRow, pgRoundTripsRow, twoNodesRow, rateLimitRow}

// benchPostgres returns the PostgreSQL server (an admin URL) the rows of
// several nodes create their scratch database on: WASMAUTH_BENCH_POSTGRES,
// else the tests' 127.0.0.1:5432.
func benchPostgres() string {
	if u := os.Getenv("WASMAUTH_BENCH_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// benchRedis returns the Redis the rate limit row uses.
func benchRedis() string {
	if u := os.Getenv("WASMAUTH_BENCH_REDIS"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// scratchDatabase creates an empty database for a run and returns its URL
// and a function that drops it.
func scratchDatabase(ctx context.Context) (string, func(), error) {
	admin := benchPostgres()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL (WASMAUTH_BENCH_POSTGRES): %w", err)
	}
	defer conn.Close(context.Background())
	var r [6]byte
	rand.Read(r[:])
	name := "wasmauth_bench_" + hex.EncodeToString(r[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, admin); err == nil {
			c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	return u.String(), drop, nil
}

// roundTrips counts the statements and batches a store sends: each is one
// round trip. behind counts those of the writes done behind the requests
// (audit events, module log lines, the login-time calibration).
type roundTrips struct{ n, behind atomic.Int64 }

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	sql := strings.TrimSpace(d.SQL)
	if strings.Contains(sql, "INSERT INTO audit") || strings.Contains(sql, "script_logs") || strings.Contains(sql, "INTO login_timing") {
		c.behind.Add(1)
	}
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// nodeServers are the servers of the several-nodes rows: one on Badger,
// two on one PostgreSQL database (the first counts its round trips).
type nodeServers struct {
	badger, pg, pg2 *benchServer
	trips           *roundTrips
}

func (n *nodeServers) stop() {
	for _, s := range []*benchServer{n.badger, n.pg, n.pg2} {
		if s != nil {
			s.stop()
		}
	}
}

// startNodeServers starts the servers and sets up the quiet tenant (with
// its local user) and a legacy tenant of firstLogins users, once, through
// the first PostgreSQL node; and the quiet tenant on Badger.
func startNodeServers(ctx context.Context, work string, o Options, firstLogins int) (*nodeServers, func(), error) {
	dsn, drop, err := scratchDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	n := &nodeServers{trips: &roundTrips{}}
	cleanup := func() { n.stop(); drop() }
	tok := make([]byte, 16)
	rand.Read(tok)
	token := hex.EncodeToString(tok)
	if n.badger, err = startServer(ctx, filepath.Join(work, "nodes-badger"), o.Hash, o.HashSlots); err != nil {
		return nil, cleanup, err
	}
	for i, into := range []**benchServer{&n.pg, &n.pg2} {
		*into, err = startServerWith(ctx, filepath.Join(work, fmt.Sprintf("nodes-pg%d", i)), o.Hash, o.HashSlots, func(c *server.Config) {
			c.Store, c.AdminToken = dsn, token
			if i == 0 {
				c.StoreTracer = n.trips
			}
		})
		if err != nil {
			return nil, cleanup, err
		}
	}
	for _, s := range []*benchServer{n.badger, n.pg} {
		if err := s.createTenant(ctx, quietTenant); err != nil {
			return nil, cleanup, err
		}
		if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
			return nil, cleanup, err
		}
	}
	if err := n.pg.createTenant(ctx, legacyTenant); err != nil {
		return nil, cleanup, err
	}
	// The legacy SQLite file lives in each node's data folder.
	if err := n.pg.setUpLegacy(ctx, legacyTenant, examples.CLegacy, firstLogins); err != nil {
		return nil, cleanup, err
	}
	if err := writeLegacyDB(filepath.Join(n.pg2.cfg.DataDir, "legacy"), legacyTenant); err != nil {
		return nil, cleanup, err
	}
	return n, cleanup, nil
}

// RunNodes measures only the rows of several nodes sharing PostgreSQL
// (NodeRows).
func RunNodes(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.filled()
	rep := &Report{Machine: DetectMachine(), Started: time.Now(), Command: opts.Command}
	work, err := os.MkdirTemp("", "wasmauth-bench-nodes-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	rep.Rows = measureNodes(ctx, work, opts)
	rep.Machine.LoadEnd, _ = LoadAverage()
	rep.Elapsed = time.Since(rep.Started)
	return rep, ctx.Err()
}

// measureNodes makes the rows of several nodes; a row that cannot be made
// (no PostgreSQL) is Failed with the reason.
func measureNodes(ctx context.Context, work string, o Options) []Row {
	b := o.Budget
	step := func(name string) { fmt.Fprintf(o.Progress, "%s  %s\n", time.Now().Format("15:04:05"), name) }
	var rows []Row
	add := func(row Row, err error) {
		if err != nil {
			row.Verdict, row.Result = Failed, "failed: "+err.Error()
		}
		rows = append(rows, row)
	}
	step("several nodes: starting the servers")
	n, cleanup, err := startNodeServers(ctx, work, o, b.FirstLogins)
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		for _, name := range NodeRows {
			add(Row{Name: name}, err)
		}
		return rows
	}
	step(pgLoginRow)
	add(measurePGLogin(ctx, n, b.Rounds, b.Window/2))
	step(pgRefreshRow)
	add(measurePGRefresh(ctx, n, b.Window))
	step(pgRoundTripsRow)
	add(measureRoundTrips(ctx, n, b.FirstLogins))
	step(twoNodesRow)
	add(measureTwoNodes(ctx, n, b.Rounds, b.Window/2))
	n.stop()
	step(rateLimitRow)
	add(measureRateLimits(ctx, b.Window))
	return rows
}

// measurePGLogin compares logins/s ÷ raw argon2id hashes/s on each store,
// in alternating windows.
func measurePGLogin(ctx context.Context, n *nodeServers, rounds int, d time.Duration) (Row, error) {
	c := n.pg.slots
	row := Row{
		Name:     pgLoginRow,
		Measures: fmt.Sprintf("logins/s of a local user over HTTP ÷ x/crypto argon2id hashes/s, %d at once, on PostgreSQL and on Badger, %d alternating windows of %s each", c, rounds, d),
		Target:   ">= 0.9 on both",
		Bound:    "argon2id, as on Badger: a login adds three PostgreSQL round trips (tenant, user, session) on a loopback socket, and the server's share of PostgreSQL's CPU on the same machine.",
	}
	var raw, bad, pg window
	add := func(to *window, w window) {
		to.ops, to.elapsed, to.cpu = to.ops+w.ops, to.elapsed+w.elapsed, to.cpu+w.cpu
	}
	for range max(rounds, 1) {
		add(&raw, rawHashes(ctx, n.pg, c, d, argon2.IDKey))
		w, err := localLogins(ctx, n.badger, c, d)
		if err != nil {
			return row, err
		}
		add(&bad, w)
		if w, err = localLogins(ctx, n.pg, c, d); err != nil {
			return row, err
		}
		add(&pg, w)
	}
	xp, xb := Ratio(pg.perSecond(), raw.perSecond()), Ratio(bad.perSecond(), raw.perSecond())
	row.Result = fmt.Sprintf("PostgreSQL %s logins: **%.2f**; Badger %s logins: **%.2f** (raw %s hashes)", fmtRate(pg.perSecond()), xp, fmtRate(bad.perSecond()), xb, fmtRate(raw.perSecond()))
	row.Verdict = verdict(xp >= 0.9 && xb >= 0.9)
	return row, nil
}

// measurePGRefresh runs the token refresh row on each store.
func measurePGRefresh(ctx context.Context, n *nodeServers, d time.Duration) (Row, error) {
	row := Row{
		Name:     pgRefreshRow,
		Measures: fmt.Sprintf("refresh_token grants/s and latency, %d clients for %s, on PostgreSQL and on Badger", n.pg.slots, d),
		Target:   "reported",
		Verdict:  Reported,
		Bound:    "No hash: on PostgreSQL a refresh is three round trips (tenant, the rotation's transaction as one statement, user) and a signature; PostgreSQL's commit (WAL flush) is the largest part.",
	}
	p, err := measureRefresh(ctx, n.pg, n.pg.slots, d)
	if err != nil {
		return row, err
	}
	b, err := measureRefresh(ctx, n.badger, n.badger.slots, d)
	if err != nil {
		return row, err
	}
	row.Result = "PostgreSQL " + p.Result + "; Badger " + b.Result
	return row, nil
}

// measureRoundTrips counts the statements the first PostgreSQL node sends
// per login, refresh and first (migrating) login, one request at a time.
func measureRoundTrips(ctx context.Context, n *nodeServers, firstLogins int) (Row, error) {
	const k = 40
	row := Row{
		Name:     pgRoundTripsRow,
		Measures: fmt.Sprintf("statements and batches sent to PostgreSQL (a pgx tracer), per request, averaged over %d requests of each kind sent one at a time", k),
		Target:   "<= 3 per login",
		Bound:    "The request path: a login reads the tenant and the user and writes the session; a refresh reads the tenant, rotates the token and reads the user; a first login also asks the module and stores the user and its counters in one transaction.",
	}
	s := n.pg
	// count returns the round trips per request in the request path, and
	// those of the writes behind it.
	count := func(what string, times int, req func(i int) error) (trips, behind float64, err error) {
		time.Sleep(300 * time.Millisecond) // let audit batches of earlier requests go
		n0, b0 := n.trips.n.Load(), n.trips.behind.Load()
		for i := range times {
			if err := req(i); err != nil {
				return 0, 0, fmt.Errorf("%s: %w", what, err)
			}
		}
		time.Sleep(1200 * time.Millisecond) // and these requests' batches
		b := n.trips.behind.Load() - b0
		return float64(n.trips.n.Load()-n0-b) / float64(times), float64(b) / float64(times), nil
	}
	var rt string
	loginOnce := func(int) error {
		a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
		if err != nil {
			return err
		}
		if err := a.Expect(200, "login"); err != nil {
			return err
		}
		var ts struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := a.JSON(&ts); err != nil {
			return err
		}
		rt = ts.RefreshToken
		return nil
	}
	perLogin, loginBehind, err := count("login", k, loginOnce)
	if err != nil {
		return row, err
	}
	perRefresh, refreshBehind, err := count("refresh", k, func(int) error {
		a, err := s.client.Do(ctx, "POST", "/t/"+quietTenant+"/oauth/token", "", form("grant_type", "refresh_token", "refresh_token", rt))
		if err != nil {
			return err
		}
		if err := a.Expect(200, "refresh"); err != nil {
			return err
		}
		var ts struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := a.JSON(&ts); err != nil {
			return err
		}
		rt = ts.RefreshToken
		return nil
	})
	if err != nil {
		return row, err
	}
	pw, err := seedPassword(seedUser)
	if err != nil {
		return row, err
	}
	firsts := min(firstLogins, k)
	perFirst, firstBehind, err := count("first login", firsts, func(i int) error {
		a, err := login(ctx, s.client, legacyTenant, fmt.Sprintf("b%d", i), pw)
		if err != nil {
			return err
		}
		return a.Expect(200, "first login")
	})
	if err != nil {
		return row, err
	}
	row.Result = fmt.Sprintf("in the request path: login **%.1f**, refresh **%.1f**, first (migrating) login **%.1f**; written behind (audit, logs, timing; batched under load, one at a time here): %.1f, %.1f, %.1f", perLogin, perRefresh, perFirst, loginBehind, refreshBehind, firstBehind)
	row.Verdict = verdict(perLogin <= 3.05)
	return row, nil
}

// measureTwoNodes compares logins/s with every client on one node vs the
// same clients split over two nodes on one database, in alternating
// windows, both nodes in this process (one machine).
func measureTwoNodes(ctx context.Context, n *nodeServers, rounds int, d time.Duration) (Row, error) {
	c := n.pg.slots
	row := Row{
		Name:     twoNodesRow,
		Measures: fmt.Sprintf("logins/s of %d clients on one node vs %d on each of two nodes sharing one PostgreSQL database, on one machine, %d alternating windows of %s", c, c/2, rounds, d),
		Target:   ">= 0.9 (the store is not the bottleneck)",
		Bound:    "The machine's CPUs: both nodes share them (and PostgreSQL), so one machine cannot gain; N nodes on N machines multiply argon2id's throughput by N while PostgreSQL's three round trips per login stay far from its limit.",
	}
	if err := n.pg2.createTenantIfMissing(ctx); err != nil {
		return row, err
	}
	var one, two window
	add := func(to *window, w window) {
		to.ops, to.elapsed, to.cpu = to.ops+w.ops, to.elapsed+w.elapsed, to.cpu+w.cpu
	}
	for range max(rounds, 1) {
		w, err := localLogins(ctx, n.pg, c, d)
		if err != nil {
			return row, err
		}
		add(&one, w)
		var (
			wg   sync.WaitGroup
			ws   [2]window
			errs [2]error
		)
		for i, s := range []*benchServer{n.pg, n.pg2} {
			wg.Go(func() { ws[i], errs[i] = localLogins(ctx, s, max(c/2, 1), d) })
		}
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			return row, err
		}
		add(&two, window{ops: ws[0].ops + ws[1].ops, elapsed: max(ws[0].elapsed, ws[1].elapsed), cpu: ws[0].cpu})
	}
	x := Ratio(two.perSecond(), one.perSecond())
	row.Result = fmt.Sprintf("two nodes %s vs one node %s logins: **%.2f**", fmtRate(two.perSecond()), fmtRate(one.perSecond()), x)
	row.Verdict = verdict(x >= 0.9)
	return row, nil
}

// createTenantIfMissing is a no-op: the quiet tenant is in the shared
// database already; it checks that this node sees it.
func (s *benchServer) createTenantIfMissing(ctx context.Context) error {
	a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
	if err != nil {
		return err
	}
	return a.Expect(200, "login on the second node")
}

// measureRateLimits times what a failed login adds for its rate limits:
// Fail of a login's three keys, on the in-memory limiter and on the shared
// ones (PostgreSQL, Redis); Allow is the in-memory mirror's on all three.
func measureRateLimits(ctx context.Context, d time.Duration) (Row, error) {
	const clients = 8
	row := Row{
		Name:     rateLimitRow,
		Measures: fmt.Sprintf("Fail of a failed login's 3 keys (a random identifier each time), %d goroutines for %s each: failures counted per second and the latency of one Fail, in memory, in PostgreSQL and in Redis", clients, d),
		Target:   "reported",
		Verdict:  Reported,
		Bound:    "One round trip per failed login to the shared store (a 3-statement batch in one transaction on PostgreSQL, one Lua script on Redis); the check before a login reads the in-memory mirror on every backend, so a successful login costs nothing more.",
	}
	rules := map[string]ratelimit.Rule{"idip": {Limit: 10, Window: 15 * time.Minute}, "ip": {Limit: 100, Window: 15 * time.Minute}, "id": {Limit: 1000, Window: 15 * time.Minute}}
	type limiter interface {
		Allow(time.Time, ...string) (time.Duration, bool)
		Fail(time.Time, ...string)
	}
	run := func(l limiter) (float64, time.Duration, time.Duration) {
		var mu sync.Mutex
		var lat []time.Duration
		var total atomic.Int64
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range clients {
			wg.Go(func() {
				var mine []time.Duration
				var b [4]byte
				for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
					rand.Read(b[:])
					id := hex.EncodeToString(b[:])
					keys := []string{"idip:bench:10.0.0." + fmt.Sprint(w) + ":" + id, "ip:bench:10.0.0." + fmt.Sprint(w), "id:bench:" + id}
					s := time.Now()
					l.Allow(s, keys...)
					l.Fail(s, keys...)
					mine = append(mine, time.Since(s))
					total.Add(1)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return Ratio(float64(total.Load()), time.Since(t0).Seconds()), Median(lat), Percentile(lat, 99)
	}
	var parts []string
	mem := ratelimit.New(rules, 1_000_000)
	r, p50, p99 := run(mem)
	parts = append(parts, fmt.Sprintf("memory **%s** (p50 %s, p99 %s)", fmtRate(r), fmtDur(p50), fmtDur(p99)))

	dsn, drop, err := scratchDatabase(ctx)
	if err != nil {
		return row, err
	}
	defer drop()
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return row, err
	}
	pl := shared.New(ratelimit.New(rules, 1_000_000), st.RateLimits(), nil)
	r, p50, p99 = run(pl)
	pl.Close()
	st.Close()
	parts = append(parts, fmt.Sprintf("PostgreSQL **%s** (p50 %s, p99 %s)", fmtRate(r), fmtDur(p50), fmtDur(p99)))

	rd, err := shared.OpenRedis(ctx, benchRedis(), nil)
	if err != nil {
		parts = append(parts, "Redis: "+err.Error())
	} else {
		rl := shared.New(ratelimit.New(rules, 1_000_000), rd, nil)
		r, p50, p99 = run(rl)
		rl.Close()
		rd.Close()
		parts = append(parts, fmt.Sprintf("Redis **%s** (p50 %s, p99 %s)", fmtRate(r), fmtDur(p50), fmtDur(p99)))
	}
	row.Result = strings.Join(parts, "; ") + " failed logins/s"
	return row, nil
}
