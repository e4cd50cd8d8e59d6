package runtime

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmauth/wasmauth/host"
	"github.com/wasmauth/wasmauth/runtime/fuel"
)

// Names of the guest exports the ABI defines.
const (
	OpLogin      = "login"
	OpGetUser    = "get_user"
	OpListUsers  = "list_users"  // optional (ABI v1.1)
	OpVerifyHash = "verify_hash" // optional (ABI v1.1)
	OpCountUsers = "count_users" // optional (ABI v1.1)
	exportMemory = "memory"
	exportInit   = "_initialize"
	exportStart  = "_start"
)

// wasmPage is the size of a WebAssembly memory page.
const wasmPage = 64 << 10

// ModuleInfo describes a module that passed Compile.
type ModuleInfo struct {
	SHA256  string   // hex SHA-256 of the uploaded bytes
	Size    int      // bytes uploaded
	Exports []string // the ABI exports, sorted: ["get_user", "list_users", "login", "verify_hash"]
}

// Engine compiles tenants' modules and runs their calls in pooled instances.
// It is safe for concurrent use.
type Engine struct {
	cfg       Config
	rt        wazero.Runtime
	cache     wazero.CompilationCache
	compileCh chan struct{} // compilation slots
	admit     *admission    // executing calls
	hashes    *host.LegacyHashes

	mu       sync.Mutex
	closed   bool
	modules  map[string]*compiled // by SHA-256 of the uploaded bytes
	flights  map[string]*flight   // compilations in progress
	tenants  map[string]*tenantPool
	lru      *list.List // idle instances, most recently used first
	idleMem  int64      // linear memory of the idle instances
	counts   poolCounts // cumulative, for metrics
	stop     chan struct{}
	sweeping sync.WaitGroup
}

// compiled is a compiled module shared by every tenant that uploaded it.
type compiled struct {
	info     ModuleInfo
	cm       wazero.CompiledModule
	metered  bool   // has the fuel global
	hasInit  bool   // exports _initialize
	minPages uint32 // initial memory
	users    int    // live instances
	lastUsed time.Time
}

type flight struct {
	done chan struct{}
	c    *compiled
	err  error
}

// New returns an Engine: one wazero runtime (with its compilation cache) and
// the host modules. Close releases it.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	pages := cfg.Max.Memory / wasmPage
	if pages < 1 || pages > 65536 {
		return nil, fmt.Errorf("runtime: maximum memory %d bytes is outside 64 KiB..4 GiB", cfg.Max.Memory)
	}
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2).
		WithMemoryLimitPages(uint32(pages)).
		// Fuel bounds CPU in wasm code, and every host function that can
		// block honours the call's context, so wazero need not check the
		// context on every loop back-edge; see doc.go.
		WithCloseOnContextDone(cfg.NoFuel)
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("runtime: compilation cache: %w", err)
		}
		cache = c
		rc = rc.WithCompilationCache(c)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	hashes := host.NewLegacyHashes(host.Config{LegacyHashes: cfg.LegacyHashes, LegacyHashMemory: cfg.LegacyHashMemory})
	if err := host.Instantiate(ctx, rt, host.Config{Hashes: hashes}); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	if !cfg.NoFuel {
		if err := fuel.Instantiate(ctx, rt); err != nil {
			_ = rt.Close(ctx)
			return nil, fmt.Errorf("runtime: fuel host module: %w", err)
		}
	}
	e := &Engine{
		cfg:       cfg,
		rt:        rt,
		hashes:    hashes,
		cache:     cache,
		compileCh: make(chan struct{}, cfg.CompileConcurrency),
		admit:     newAdmission(max(cfg.MaxRunning, 0), cfg.MaxRunningPerTenant),
		modules:   map[string]*compiled{},
		flights:   map[string]*flight{},
		tenants:   map[string]*tenantPool{},
		lru:       list.New(),
		stop:      make(chan struct{}),
	}
	e.sweeping.Add(1)
	go e.sweepLoop()
	return e, nil
}

// Close closes every instance and compiled module. Calls in progress fail.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.stop)
	e.mu.Unlock()
	e.sweeping.Wait()
	// A compile cannot be abandoned, and wazero panics when its runtime is
	// closed under one. Take every compile slot, waiting for running
	// compiles; if ctx ends first, leave the runtime open (its memory goes
	// with the process) rather than crash it.
	for range cap(e.compileCh) {
		select {
		case e.compileCh <- struct{}{}:
		case <-ctx.Done():
			e.cfg.Logger.Warn("closing the engine while a module compiles; leaving the wasm runtime open")
			return nil
		}
	}
	err := e.rt.Close(ctx)
	if e.cache != nil {
		err = errors.Join(err, e.cache.Close(ctx))
	}
	return err
}

// DefaultLimits returns the limits of a call whose request leaves them zero.
func (e *Engine) DefaultLimits() Limits { return e.cfg.Defaults }

// MaxLimits returns the most a tenant may ask for.
func (e *Engine) MaxLimits() Limits { return e.cfg.Max }

// CheckLimits returns a *LimitsError when a field of l is above the maxima
// (HTTP 422 invalid_limits); zero fields are fine: they mean the default.
func (e *Engine) CheckLimits(l Limits) error {
	if bad := l.over(e.cfg.Max); len(bad) > 0 {
		return &LimitsError{Problems: bad}
	}
	return nil
}

// Compile validates a module against the ABI and keeps it compiled for
// calls; compiling bytes compiled before costs nothing. It returns a
// *ModuleError with a reason for the tenant when the module is refused
// (errors.Is(err, ErrModuleTooLarge) for one over the size limit), the
// context's error when ctx ends first, or ErrClosed.
//
// Hostile input cannot exhaust the server: the structure is checked for
// counts the bytes cannot back before any decoder allocates for them, at most
// Config.CompileConcurrency modules compile at once, and one that takes longer
// than Config.CompileTimeout is refused (its compilation finishes in the
// background, holding its slot, and is then discarded).
func (e *Engine) Compile(ctx context.Context, wasm []byte) (ModuleInfo, error) {
	c, err := e.compile(ctx, wasm)
	if err != nil {
		return ModuleInfo{}, err
	}
	return c.info, nil
}

func (e *Engine) compile(ctx context.Context, wasm []byte) (*compiled, error) {
	if len(wasm) > e.cfg.MaxModuleSize {
		return nil, &ModuleError{
			Reason: fmt.Sprintf("module is %d bytes, the limit is %d", len(wasm), e.cfg.MaxModuleSize),
			err:    ErrModuleTooLarge,
		}
	}
	sum := sha256.Sum256(wasm)
	sha := hex.EncodeToString(sum[:])

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if c, ok := e.modules[sha]; ok {
		c.lastUsed = time.Now()
		e.mu.Unlock()
		return c, nil
	}
	f, ok := e.flights[sha]
	if !ok {
		f = &flight{done: make(chan struct{})}
		e.flights[sha] = f
		go e.runFlight(sha, wasm, f)
	}
	e.mu.Unlock()
	select {
	case <-f.done:
		return f.c, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// runFlight compiles one module for every caller waiting on f.
func (e *Engine) runFlight(sha string, wasm []byte, f *flight) {
	c, err := e.build(sha, wasm)
	e.mu.Lock()
	delete(e.flights, sha)
	if err == nil {
		if e.closed {
			err = ErrClosed
			_ = c.cm.Close(context.Background())
			c = nil
		} else {
			c.lastUsed = time.Now()
			e.modules[sha] = c
		}
	}
	e.mu.Unlock()
	f.c, f.err = c, err
	close(f.done)
}

// build checks, meters, compiles and validates one module.
func (e *Engine) build(sha string, wasm []byte) (*compiled, error) {
	checked, _, err := precheck(wasm)
	if err != nil {
		return nil, &ModuleError{Reason: err.Error()}
	}
	metered := !e.cfg.NoFuel
	bin := checked
	if metered {
		bin, err = fuel.Instrument(checked, e.fuelOptions())
		if err != nil {
			return nil, &ModuleError{Reason: strings.TrimPrefix(err.Error(), "fuel: ")}
		}
	}
	cm, err := e.compileBounded(bin)
	if err != nil {
		return nil, err
	}
	c, err := e.validate(cm, metered)
	if err != nil {
		_ = cm.Close(context.Background())
		return nil, err
	}
	c.info.SHA256 = sha
	c.info.Size = len(wasm)
	return c, nil
}

// fuelOptions are the options modules are instrumented with.
func (e *Engine) fuelOptions() fuel.Options {
	return fuel.Options{InitialFuel: e.cfg.Defaults.InitFuel}
}

// compileBounded compiles bin within the compilation slots and time budget.
func (e *Engine) compileBounded(bin []byte) (wazero.CompiledModule, error) {
	timer := time.NewTimer(e.cfg.CompileTimeout)
	defer timer.Stop()
	select {
	case e.compileCh <- struct{}{}:
	case <-timer.C:
		return nil, moduleErrorf("the server is busy compiling other modules; try again")
	case <-e.stop:
		return nil, ErrClosed
	}
	type result struct {
		cm  wazero.CompiledModule
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-e.compileCh }()
		cm, err := e.rt.CompileModule(context.Background(), bin)
		done <- result{cm, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &ModuleError{Reason: "fails to compile: " + r.err.Error()}
		}
		return r.cm, nil
	case <-timer.C:
		go func() {
			if r := <-done; r.cm != nil {
				_ = r.cm.Close(context.Background())
			}
		}()
		e.cfg.Logger.Warn("module compilation over its time budget", "budget", e.cfg.CompileTimeout, "size", len(bin))
		return nil, moduleErrorf("compiling the module took longer than %s", e.cfg.CompileTimeout)
	}
}

// validate checks a compiled module's exports and imports against the ABI.
func (e *Engine) validate(cm wazero.CompiledModule, metered bool) (*compiled, error) {
	exports := cm.ExportedFunctions()
	_, hasLogin := exports[OpLogin]
	_, hasGetUser := exports[OpGetUser]
	if _, ok := exports[exportStart]; ok && !hasLogin && !hasGetUser {
		return nil, moduleErrorf("module is a WASI command (it exports only _start), not a reactor: build it as a library that exports login and get_user")
	}
	c := &compiled{cm: cm, metered: metered}
	for _, op := range []string{OpCountUsers, OpGetUser, OpListUsers, OpLogin, OpVerifyHash} {
		def, ok := exports[op]
		if !ok {
			if op == OpLogin || op == OpGetUser {
				return nil, moduleErrorf("module does not export %q", op)
			}
			continue
		}
		if len(def.ParamTypes()) != 0 || !slices.Equal(def.ResultTypes(), []api.ValueType{api.ValueTypeI32}) {
			return nil, moduleErrorf("export %q must be a function () -> i32, not %s", op, signature(def))
		}
		c.info.Exports = append(c.info.Exports, op)
	}
	if def, ok := exports[exportInit]; ok {
		if len(def.ParamTypes()) != 0 || len(def.ResultTypes()) != 0 {
			return nil, moduleErrorf("export %q must be a function () -> (), not %s", exportInit, signature(def))
		}
		c.hasInit = true
	}
	mem, ok := cm.ExportedMemories()[exportMemory]
	if !ok {
		return nil, moduleErrorf("module does not export its memory as %q", exportMemory)
	}
	c.minPages = mem.Min()
	if len(cm.ImportedMemories()) > 0 {
		return nil, moduleErrorf("module imports a memory; it must define and export its own")
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if metered && mod == fuel.ImportModule {
			// Instrument added it, and refuses modules that import
			// from fuel.ImportModule themselves.
			continue
		}
		if err := e.checkImport(mod, name, def); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkImport accepts a function import the host modules provide with the
// same signature: the wasmauth functions, wazero's wasi_snapshot_preview1
// and env.abort.
func (e *Engine) checkImport(mod, name string, def api.FunctionDefinition) error {
	switch mod {
	case host.ModuleName, wasi_snapshot_preview1.ModuleName, host.EnvModuleName:
	default:
		return moduleErrorf("module imports %s.%s: only %s, %s and %s.abort are offered",
			mod, name, host.ModuleName, wasi_snapshot_preview1.ModuleName, host.EnvModuleName)
	}
	hm := e.rt.Module(mod)
	if hm == nil {
		return moduleErrorf("module imports %s.%s, which is not offered", mod, name)
	}
	want, ok := hm.ExportedFunctionDefinitions()[name]
	if !ok {
		return moduleErrorf("module imports %s.%s, which is not offered", mod, name)
	}
	if !slices.Equal(want.ParamTypes(), def.ParamTypes()) || !slices.Equal(want.ResultTypes(), def.ResultTypes()) {
		return moduleErrorf("module imports %s.%s as %s; it is %s", mod, name, signature(def), signature(want))
	}
	return nil
}

// signature formats a function type as (i32, i32) -> i32.
func signature(def api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	res := names(def.ResultTypes())
	if len(def.ResultTypes()) != 1 {
		res = "(" + res + ")"
	}
	return "(" + names(def.ParamTypes()) + ") -> " + res
}
