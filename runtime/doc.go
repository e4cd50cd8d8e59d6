// Package runtime runs tenants' WebAssembly modules for wasmauth: it
// validates and compiles uploaded modules against the guest ABI (ABI.md),
// keeps instances in per-tenant pools, and calls login and get_user within
// per-call limits, translating every way a guest can fail into one error
// type.
//
// An Engine owns one wazero runtime with the host modules of package host,
// the compilation cache (Config.CacheDir) and the pools:
//
//	e, err := runtime.New(ctx, runtime.Config{CacheDir: dir, Loader: load})
//	info, err := e.Compile(ctx, wasm)          // on upload: *ModuleError or ModuleInfo
//	res, err := e.Call(ctx, runtime.CallRequest{
//		Tenant: "acme", Version: 1, SHA256: info.SHA256, Op: runtime.OpLogin,
//		Input: input, Limits: tenantLimits, DB: db,
//	})                                          // *CallError{Kind, Message}; res has the logs
//	e.Forget("acme")                            // on tenant delete
//
// Compile checks, in order: the size (ErrModuleTooLarge), the magic and
// version, the module's structure against bounds that keep decoders from
// allocating for counts the bytes cannot back (hostile modules of a few bytes
// can otherwise claim 2^32 imports or locals) and its estimated compile cost,
// both read with internal/wasmbin, fuel instrumentation, wazero
// compilation under CoreFeaturesV2 within Config.CompileTimeout, the exports
// (memory, login and get_user as () -> i32, an optional _initialize as
// () -> (); a module exporting only _start is a command and refused), and
// the imports (only functions, only those the host modules offer, with their
// exact signatures). Tables are capped at 2^18 entries: a table declared
// without a maximum gets that one, so table.grow cannot allocate outside the
// memory limit.
//
// Call errors are *CallError with Kind one of KindTrap, KindOutOfFuel,
// KindDeadline, KindBadOutput, KindLimit and KindScriptFailed, as POST
// /script/test reports them: a trap or env.abort is a trap; a negative fuel
// global after the call is out_of_fuel; the call's context ending (while
// waiting for an instance, in a host function, or asleep) is a deadline;
// returning non-zero or proc_exit with a non-zero code is script_failed;
// returning 0 (or proc_exit(0)) without output_set, or with output that
// ParseAnswer refuses, is bad_output; input over its limit, or linear memory
// above the tenant's limit after the call, is limit.
//
// # RATIONALE
//
// Pooling. Instantiating a module costs little for a small C or WAT guest
// but milliseconds for a Go guest, whose _initialize starts the Go runtime;
// a login must not pay that. So instances are pooled per tenant and module
// (by SHA-256, so a new version never reuses an old one's instances and
// in-flight calls finish on the version they started with), reused across
// calls, and thrown away after any failure except a plain non-zero return,
// since a trapped or interrupted instance may be in any state. At most
// Limits.Instances of a tenant are in use at once; more calls wait, within
// their deadline, so one tenant cannot take every core. Idle instances are
// closed after Config.IdleTimeout, and when the memory of all idle instances
// passes Config.PoolMemory the least recently used go first, so a thousand
// tenants do not keep a thousand instances resident. Instances whose memory
// grew past Config.RecycleMemory are not pooled. Compiled modules are shared
// by SHA-256 and dropped when idle and unused; the compilation cache on disk
// makes compiling them again (and after a restart, through Config.Loader)
// cheap.
//
// Why fuel and not WithCloseOnContextDone. wazero can check the context on
// every function call and loop back-edge, which bounds wall time but slows
// tight loops many times over (measured in package runtime/fuel's
// documentation) and every guest pays it. Fuel (package runtime/fuel) instead adds a counter
// decremented once per straight-line block: deterministic, cheap, and it
// bounds the CPU of wasm code, which is all that code can spend. Time spent
// outside wasm is spent in host functions, and each one that can block
// honours the call's context and ends the guest when it is done (package
// host): db_query, verify_password (its slot and its hash), and WASI sleeps.
// So the context is the wall clock, fuel is the CPU bound, and neither needs
// the other's backstop. Each instance's fuel.Meter feeds a call its budget
// one fuel.Slice at a time through a host call, where Go can stop the
// goroutine for a garbage collection and the meter checks the deadline: a
// spinning guest delays a collection by one slice (milliseconds), not by
// its whole budget. Config.NoFuel exists for measurements only and turns
// WithCloseOnContextDone on, since nothing else would bound a loop.
//
// Memory. wazero's memory limit is runtime-wide: it is set to Max.Memory,
// so no instance grows past the operator's maximum (memory.grow fails), and a
// module whose initial memory is above it does not compile. A tenant's lower
// limit is checked on each new instance (initial memory) and after every
// call: an instance above it is closed and the call fails with KindLimit.
//
// Where per-call state lives. A host.Call per call, carried in the call's
// context (host functions receive it from wazero) and, for WASI stdout,
// stderr and sleeps that receive none, in the instance's host.Binding while
// the call runs; see package host. _initialize runs with its own Call, whose
// logs are added to those of the call that created the instance.
//
// Hostile compiles. Compilation runs on its own goroutine, at most
// Config.CompileConcurrency at a time; when it passes Config.CompileTimeout
// the upload is refused and the compilation finishes in the background,
// holding its slot, then is discarded. wazero cannot abandon a compilation,
// so this bounds the damage to a slot, and the structure bounds checked
// beforehand keep memory in proportion to the module's size.
package runtime
