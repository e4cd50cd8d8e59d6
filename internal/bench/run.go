package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
)

// Budget sizes a run: how long each load lasts and how many of each
// measurement are made. Every load is bounded by both.
type Budget struct {
	Window        time.Duration // each window of a throughput comparison (login vs raw argon2id: half of it)
	Rounds        int           // alternating windows of login vs raw argon2id
	FirstLogins   int           // legacy users logged in twice each
	Concurrent    int           // logins started at once
	CachedCompile int           // compiles on a warm cache
	ColdCalls     int           // new instances per language
	WarmCalls     int           // warm calls per language
	LanguagePhase time.Duration // time per language for its cold, and warm, calls
	FuelPerGuest  time.Duration // time per CPU-bound guest
	NoisyClients  int           // clients of the spinning tenant
	// DrainUsers is the larger drain (the smaller has half as many);
	// ImportUsers the users of one import; ImportedLogins the imported
	// users logged in twice each.
	DrainUsers, ImportUsers, ImportedLogins int
	// ConsoleUsers are the migrated users of the console page's tenant.
	ConsoleUsers int
	// OIDCTries are the tries of each kind of the hosted form's rows (form
	// vs JSON login, and the form's enumeration gap).
	OIDCTries int
}

// DefaultBudget returns the budget of make bench: about three minutes on a
// loaded two-core machine, half of it storing the console row's 1,000,000
// users.
func DefaultBudget() Budget {
	return Budget{
		Window:        3 * time.Second,
		Rounds:        6,
		FirstLogins:   40,
		Concurrent:    1000,
		CachedCompile: 3,
		ColdCalls:     50,
		WarmCalls:     20000,
		LanguagePhase: time.Second,
		FuelPerGuest:  2 * time.Second,
		NoisyClients:  8,

		DrainUsers:     200_000,
		ImportUsers:    100_000,
		ImportedLogins: 20,
		ConsoleUsers:   1_000_000,
		OIDCTries:      30,
	}
}

// Options configures a Run.
type Options struct {
	// Budget sizes the run; the zero value means DefaultBudget().
	Budget Budget
	// Hash are the argon2id parameters of the server and of the raw
	// comparison; zero means password.DefaultParams.
	Hash password.Params
	// HashSlots bounds hashes at once in the server and is the concurrency of
	// the login and raw argon2id windows; zero means 2 x GOMAXPROCS, the
	// server's default.
	HashSlots int
	// LegacyModule is the module of the legacy tenant and of the compile
	// row; nil means the Go example, the largest and the slowest to compile.
	LegacyModule []byte
	// Languages limits the per-language table to these example languages
	// (keys of examples.Legacy); nil means all. The trivial guest is always
	// measured.
	Languages []string
	// WorkDir holds the run's data folders; empty means a new temporary
	// folder, removed afterwards.
	WorkDir string
	// Command is how the run was started, for the report.
	Command string
	// NoNodes leaves out the rows of several nodes on PostgreSQL
	// (NodeRows), which need a PostgreSQL server.
	NoNodes bool
	// Progress receives a line as each measurement starts; nil discards.
	Progress io.Writer
}

// Run makes every measurement and returns the report. A measurement that
// fails becomes a Failed row and the others still run; the error is for
// what stops the whole run (no work folder, ctx ended).
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.filled()
	b := opts.Budget
	rep := &Report{Machine: DetectMachine(), Started: time.Now(), Command: opts.Command}
	work := opts.WorkDir
	if work == "" {
		dir, err := os.MkdirTemp("", "wasmauth-bench-")
		if err != nil {
			return nil, fmt.Errorf("creating a work folder: %w", err)
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	dataDir := filepath.Join(work, "data")
	// The compile row warms the server's own cache folder, so that its
	// upload of the same module later is quick.
	cacheDir := filepath.Join(dataDir, "compile-cache")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, err
	}
	step := func(name string) { fmt.Fprintf(opts.Progress, "%s  %s\n", time.Now().Format("15:04:05"), name) }
	add := func(row Row, err error) {
		if err != nil {
			row.Verdict, row.Result = Failed, "failed: "+err.Error()
		}
		rep.Rows = append(rep.Rows, row)
	}
	fail := func(name string, err error) { add(Row{Name: name}, err) }

	step("compile: cold vs cached")
	add(measureCompile(ctx, cacheDir, opts.LegacyModule, b.CachedCompile))

	step("example modules: cold and warm calls")
	langs, err := measureLanguages(ctx, cacheDir, work, languageBudget{ColdCalls: b.ColdCalls, WarmCalls: b.WarmCalls, PerPhase: b.LanguagePhase}, opts.Languages)
	rep.Languages = langs
	if err != nil {
		fail("warm script call", err)
		fail("cold instance", err)
	} else {
		warm, cold := scriptRows(langs)
		rep.Rows = append(rep.Rows, warm, cold)
	}

	step(presetRow)
	add(measurePresets(ctx, cacheDir, work, b.WarmCalls, b.LanguagePhase))

	step("fuel overhead")
	add(measureFuelOverhead(ctx, b.FuelPerGuest))

	if err := ctx.Err(); err != nil {
		return rep, err
	}
	step("starting the server")
	s, err := startServer(ctx, dataDir, opts.Hash, opts.HashSlots)
	if err != nil {
		return rep, err
	}
	defer s.stop()
	if err := setUpTenants(ctx, s, opts.LegacyModule, b.FirstLogins); err != nil {
		return rep, fmt.Errorf("setting up the tenants: %w", err)
	}

	step("local login vs raw argon2id")
	add(measureLoginVsRaw(ctx, s, b.Rounds, b.Window/2))
	step("first vs later login")
	add(measureFirstVsLater(ctx, s, b.FirstLogins, moduleLabel(opts.LegacyModule)))
	step("concurrent logins")
	add(measureConcurrent(ctx, s, b.Concurrent))
	step("noisy neighbour")
	add(measureNoisy(ctx, s, 2, b.NoisyClients, 2*b.Window))
	step(sleepingRow)
	add(measureSleeping(ctx, s, 2, 3, 4, 2*b.Window))
	step("login storm")
	add(measureStorm(ctx, s, b.NoisyClients, 2, 2*b.Window))
	step("token refresh")
	add(measureRefresh(ctx, s, s.slots, b.Window))
	addOIDCRows(ctx, s, b, moduleLabel(opts.LegacyModule), step, add)
	step(drainRow)
	add(measureDrain(ctx, s, b.DrainUsers/2, b.DrainUsers))
	step(importRow)
	add(measureImport(ctx, s, b.ImportUsers))
	step(importLoginRow)
	add(measureImportedLogin(ctx, s, b.ImportedLogins))
	step(consoleRow)
	add(measureConsolePage(ctx, filepath.Join(work, "console"), b.ConsoleUsers))
	step("enumeration gap")
	add(measureEnumerationGap(ctx, filepath.Join(work, "enumeration"), opts.Hash, opts.HashSlots, opts.LegacyModule, moduleLabel(opts.LegacyModule)))

	if err := s.stop(); err != nil {
		rep.Notes = append(rep.Notes, "the server stopped with: "+err.Error())
	}
	if !opts.NoNodes {
		step("several nodes on PostgreSQL")
		rep.Rows = append(rep.Rows, measureNodes(ctx, work, opts)...)
	}

	// Keep the order.
	order := []string{"local login vs raw argon2id", "first (migrating) login vs later login", "warm script call", presetRow, "cold instance",
		"compile: cold vs cached", "fuel overhead", "concurrent logins", "noisy neighbour", sleepingRow, "login storm", "token refresh",
		codeRoundTripRow, formVsJSONRow, idTokenSignRow, "enumeration gap", formEnumRow, drainRow, importRow, importLoginRow, consoleRow,
		pgLoginRow, pgRefreshRow, pgRoundTripsRow, twoNodesRow, rateLimitRow}
	slices.SortStableFunc(rep.Rows, func(x, y Row) int { return rowIndex(order, x.Name) - rowIndex(order, y.Name) })
	rep.Machine.LoadEnd, _ = LoadAverage()
	rep.Elapsed = time.Since(rep.Started)
	if rep.Machine.LoadStart[0] > float64(rep.Machine.CPUs) {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The 1-minute load average at the start (%.2f) was above the CPU count (%d): other processes competed for the CPUs. Ratios measured in alternating windows (login vs argon2id, fuel overhead) hold up better than absolute times.", rep.Machine.LoadStart[0], rep.Machine.CPUs))
	}
	return rep, ctx.Err()
}

// filled returns o with the defaults of its zero fields.
func (o Options) filled() Options {
	if o.Budget == (Budget{}) {
		o.Budget = DefaultBudget()
	}
	if o.Hash == (password.Params{}) {
		o.Hash = password.DefaultParams
	}
	if o.HashSlots <= 0 {
		o.HashSlots = 2 * goruntime.GOMAXPROCS(0)
	}
	if o.LegacyModule == nil {
		o.LegacyModule = examples.GoLegacy
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// rowIndex is the place of a row in order, by name (the concurrent logins
// row's name starts with its count).
func rowIndex(order []string, name string) int {
	for i, o := range order {
		if name == o || (len(name) > len(o) && name[len(name)-len(o):] == o) {
			return i
		}
	}
	return len(order)
}

// setUpTenants creates the quiet tenant with its local user, the legacy
// tenant with firstLogins legacy users and the noisy tenant.
func setUpTenants(ctx context.Context, s *benchServer, legacyModule []byte, firstLogins int) error {
	for _, t := range []string{quietTenant, legacyTenant, noisyTenant} {
		if err := s.createTenant(ctx, t); err != nil {
			return err
		}
	}
	if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
		return err
	}
	if err := s.setUpLegacy(ctx, legacyTenant, legacyModule, firstLogins); err != nil {
		return err
	}
	if err := s.setUpLegacy(ctx, noisyTenant, spinWasm, 0); err != nil {
		return err
	}
	// One login of each kind warms the pools, the connections and the
	// timing windows.
	pw, err := seedPassword(seedUser)
	if err != nil {
		return err
	}
	for _, l := range []struct{ tenant, id, pw string }{{quietTenant, localEmail, localPassword}, {legacyTenant, seedUser, pw}} {
		a, err := login(ctx, s.client, l.tenant, l.id, l.pw)
		if err != nil {
			return err
		}
		if err := a.Expect(200, "warm-up login at "+l.tenant); err != nil {
			return err
		}
	}
	return nil
}
