package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/runtime"
)

// engineConfig is the engine of the measurements: the server's defaults,
// with a generous compile budget for a loaded machine.
func engineConfig(cacheDir string) runtime.Config {
	return runtime.Config{
		CacheDir:       cacheDir,
		CompileTimeout: 5 * time.Minute,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

// compileOnce compiles wasm in a new engine on cacheDir and returns the
// time Compile took (what an upload waits for).
func compileOnce(ctx context.Context, cacheDir string, wasm []byte) (time.Duration, error) {
	e, err := runtime.New(ctx, engineConfig(cacheDir))
	if err != nil {
		return 0, err
	}
	defer e.Close(context.WithoutCancel(ctx))
	t0 := time.Now()
	if _, err := e.Compile(ctx, wasm); err != nil {
		return 0, fmt.Errorf("compiling: %w", err)
	}
	return time.Since(t0), nil
}

// measureCompile compiles wasm in a new engine on the empty folder
// cacheDir, then again in new engines on the now warm folder, as after a
// restart.
func measureCompile(ctx context.Context, cacheDir string, wasm []byte, cachedRuns int) (Row, error) {
	row := Row{
		Name:     "compile: cold vs cached",
		Measures: fmt.Sprintf("Compile (what an upload waits for) of %s (%s) in a new engine: empty cache folder vs warm one (median of %d)", moduleLabel(wasm), fmtBytes(int64(len(wasm))), cachedRuns),
		Target:   "cached >= 10x faster",
		Bound:    "Cold: wazero's compiler, single-threaded, proportional to the module's code (CompileConcurrency 1 at a time); the fuel instrumentation is a small part. Cached: reading and mapping the compiled code from the cache folder, plus the instrumentation and validation that run on every upload.",
	}
	if entries, err := os.ReadDir(cacheDir); err == nil && len(entries) > 0 {
		return row, fmt.Errorf("compile cache folder %s is not empty", cacheDir)
	}
	cold, err := compileOnce(ctx, cacheDir, wasm)
	if err != nil {
		return row, err
	}
	var cached []time.Duration
	for range max(cachedRuns, 1) {
		d, err := compileOnce(ctx, cacheDir, wasm)
		if err != nil {
			return row, err
		}
		cached = append(cached, d)
	}
	c := Median(cached)
	x := Ratio(float64(cold), float64(c))
	row.Result = fmt.Sprintf("cold %s, cached %s: **%.0fx**", fmtDur(cold), fmtDur(c), x)
	row.Verdict = verdict(x >= 10)
	return row, nil
}

// languageNames are the examples' languages as the report spells them.
var languageNames = map[string]string{"go": "Go", "c": "C", "rust": "Rust", "assemblyscript": "AssemblyScript", "wat": "WAT"}

// moduleLabel names an example module for the report.
func moduleLabel(wasm []byte) string {
	for lang, m := range examples.Legacy() {
		if bytes.Equal(m, wasm) {
			return "the " + languageNames[lang] + " example"
		}
	}
	return "the legacy module"
}

// languageBudget bounds the per-language measurements.
type languageBudget struct {
	ColdCalls int           // new instances per language, at most
	WarmCalls int           // warm calls per language, at most
	PerPhase  time.Duration // time for each language's cold, and warm, calls
}

// trivialName is the trivial WAT guest among the languages.
const trivialName = "wat-trivial"

// measureLanguages runs one login of dave on each example module (and the
// trivial guest) through an engine on cacheDir, on a copy of the examples'
// SQLite legacy.db in workDir: cold on new instances, then warm.
func measureLanguages(ctx context.Context, cacheDir, workDir string, b languageBudget, only []string) ([]LanguageRow, error) {
	e, err := runtime.New(ctx, engineConfig(cacheDir))
	if err != nil {
		return nil, err
	}
	defer e.Close(context.WithoutCancel(ctx))
	db, err := openLegacyCopy(ctx, workDir, "bench")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	pw, err := seedPassword(seedUser)
	if err != nil {
		return nil, err
	}
	input, err := json.Marshal(map[string]any{
		"identifier": seedUser, "password": pw, "tenant": "bench",
		"config": map[string]string{"dialect": "sqlite", "table": "users"},
	})
	if err != nil {
		return nil, err
	}
	modules := examples.Legacy()
	modules[trivialName] = examples.WATTrivial
	var rows []LanguageRow
	langs := examples.Languages()
	if only != nil {
		langs = only
	}
	for _, lang := range slices.Concat(langs, []string{trivialName}) {
		wasm, ok := modules[lang]
		if !ok {
			return rows, fmt.Errorf("no example in %q", lang)
		}
		info, err := e.Compile(ctx, wasm)
		if err != nil {
			return rows, fmt.Errorf("%s example: %w", lang, err)
		}
		row := LanguageRow{Language: lang, Size: len(wasm)}
		tenant := "bench-" + lang
		req := runtime.CallRequest{Tenant: tenant, Version: 1, SHA256: info.SHA256, Op: runtime.OpLogin, Input: input, DB: db}
		call := func(wantCold bool) (*runtime.Result, time.Duration, error) {
			t0 := time.Now()
			res, err := e.Call(ctx, req)
			d := time.Since(t0)
			switch {
			case err != nil:
				return nil, 0, fmt.Errorf("%s example: login: %w", lang, err)
			case res.Answer == nil || res.Answer.User == nil:
				return nil, 0, fmt.Errorf("%s example: login of %s answered %s", lang, seedUser, res.Output)
			case res.Cold != wantCold:
				return nil, 0, fmt.Errorf("%s example: a call was cold=%v, want %v", lang, res.Cold, wantCold)
			}
			return res, d, nil
		}
		var cold, inits []time.Duration
		deadline := time.Now().Add(b.PerPhase)
		for i := 0; i < max(b.ColdCalls, 1) && (i == 0 || time.Now().Before(deadline)); i++ {
			e.Evict(tenant)
			res, d, err := call(true)
			if err != nil {
				return rows, err
			}
			cold = append(cold, d)
			inits = append(inits, res.InitDuration)
			row.InitFuel = res.InitFuelUsed
		}
		var warm []time.Duration
		deadline = time.Now().Add(b.PerPhase)
		for i := 0; i < max(b.WarmCalls, 1) && (i == 0 || time.Now().Before(deadline)); i++ {
			res, d, err := call(false)
			if err != nil {
				return rows, err
			}
			warm = append(warm, d)
			row.Fuel = res.FuelUsed
		}
		e.Forget(tenant)
		row.Cold, row.Init, row.Warm = Median(cold), Median(inits), Median(warm)
		rows = append(rows, row)
	}
	return rows, nil
}

// openLegacyCopy writes the examples' legacy.db to workDir/legacy/tenant/
// and opens it read-only as the tenant's connection.
func openLegacyCopy(ctx context.Context, workDir, tenant string) (*legacydb.DB, error) {
	root := filepath.Join(workDir, "legacy")
	if err := writeLegacyDB(root, tenant); err != nil {
		return nil, err
	}
	return legacydb.Open(ctx, legacydb.Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: root, Tenant: tenant})
}

// writeLegacyDB writes the examples' legacy.db as sqliteRoot/tenant/legacy.db.
func writeLegacyDB(sqliteRoot, tenant string) error {
	dir := filepath.Join(sqliteRoot, tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "legacy.db"), examples.LegacyDB, 0o600)
}

// scriptRows turns the per-language measurements into the rows "warm
// script call" and "cold instance".
func scriptRows(langs []LanguageRow) (warm, cold Row) {
	warm = Row{
		Name:     "warm script call",
		Measures: "a login on a pooled instance, through Engine.Call: the trivial WAT guest (no database) and the Go example (one SQLite query, salted SHA-256)",
		Target:   "< 10 µs trivial",
		Bound:    "Trivial: the host's own per-call work (input copy, fuel set and read, output parse, pool take and return). Go example: the SQLite query through database/sql (a read-only transaction per query) dominates, then the guest's JSON work.",
	}
	cold = Row{
		Name:     "cold instance",
		Measures: "a login on a new instance (instantiate, _initialize, call), per example language",
		Target:   "reported",
		Verdict:  Reported,
		Bound:    "Instantiation copies data segments and, for reactors, runs _initialize: Go's runtime start-up dominates its row; pooling keeps it off the login path.",
	}
	var trivial, goEx time.Duration
	var parts []string
	for _, l := range langs {
		switch l.Language {
		case trivialName:
			trivial = l.Warm
		case "go":
			goEx = l.Warm
		}
		parts = append(parts, l.Language+" "+fmtDur(l.Cold))
	}
	warm.Result = fmt.Sprintf("trivial **%s**, Go example %s", fmtDur(trivial), fmtDur(goEx))
	warm.Verdict = verdict(trivial > 0 && trivial < 10*time.Microsecond)
	cold.Result = strings.Join(parts, ", ")
	return warm, cold
}
