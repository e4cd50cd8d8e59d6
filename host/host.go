package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmauth/wasmauth/host/legacydb"
)

// ModuleName is the import module name of the wasmauth host functions.
const ModuleName = "wasmauth"

// EnvModuleName is the import module name of AssemblyScript's abort function.
const EnvModuleName = "env"

// Statuses returned to the guest by the host functions, as in the ABI.
const (
	StatusBadMemory    int32 = -1 // a pointer or length outside memory
	StatusTooLarge     int32 = -2 // an argument or a result over its limit
	StatusNoConnection int32 = -3 // db_query without a configured database
	StatusLimit        int32 = -4 // a per-call limit reached
	StatusUnknownHash  int32 = -5 // verify_password or digest do not know the format
)

// Database is the tenant's legacy database as db_query uses it: *legacydb.DB
// implements it. Query runs one {"sql", "args"} request read-only and returns
// the response JSON; SQL errors are data ({"error": ...}), legacydb.ErrTooLarge
// means the response is over lim.
type Database interface {
	Query(ctx context.Context, request []byte, lim legacydb.Limits) ([]byte, error)
}

// Config configures the host modules.
type Config struct {
	// LegacyHashes bounds the verify_password hashes running at once, in a
	// pool of their own (not the server's hashing of local passwords);
	// default GOMAXPROCS. One tenant may hold half of them (at least one).
	LegacyHashes int
	// LegacyHashMemory bounds the working memory (argon2, scrypt) of those
	// hashes together; default twice legacyhash.MaxMemory. One tenant may
	// hold half of it.
	LegacyHashMemory int64
	// Hashes, when set, is the pool to use (shared with the server's own
	// checks of imported users' hashes); LegacyHashes and LegacyHashMemory
	// are then ignored.
	Hashes *LegacyHashes
}

// Instantiate instantiates, on r, the host modules a guest may import: the
// wasmauth functions, AssemblyScript's env.abort and wazero's
// wasi_snapshot_preview1. Guests then need a ModuleConfig from
// Binding.ModuleConfig. The host functions find their call's state with
// CallFrom on the context the guest export was called with.
func Instantiate(ctx context.Context, r wazero.Runtime, cfg Config) error {
	hashes := cfg.Hashes
	if hashes == nil {
		hashes = NewLegacyHashes(cfg)
	}
	f := &functions{hashes: hashes.pool}
	i32 := api.ValueTypeI32
	b := r.NewHostModuleBuilder(ModuleName)
	for _, d := range []struct {
		name    string
		fn      api.GoModuleFunc
		params  int
		results int
	}{
		{"input_len", f.inputLen, 0, 1},
		{"input_read", f.inputRead, 2, 1},
		{"output_set", f.outputSet, 2, 1},
		{"log", f.log, 3, 0},
		{"db_query", f.dbQuery, 2, 1},
		{"result_read", f.resultRead, 2, 1},
		{"verify_password", f.verifyPassword, 4, 1},
		{"digest", f.digest, 4, 1},
	} {
		params := make([]api.ValueType, d.params)
		for i := range params {
			params[i] = i32
		}
		results := make([]api.ValueType, d.results)
		for i := range results {
			results[i] = i32
		}
		b.NewFunctionBuilder().WithGoModuleFunction(d.fn, params, results).Export(d.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("host: instantiate %s: %w", ModuleName, err)
	}
	if _, err := r.NewHostModuleBuilder(EnvModuleName).NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(abort), []api.ValueType{i32, i32, i32, i32}, nil).
		Export("abort").Instantiate(ctx); err != nil {
		return fmt.Errorf("host: instantiate %s: %w", EnvModuleName, err)
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return fmt.Errorf("host: instantiate %s: %w", wasi_snapshot_preview1.ModuleName, err)
	}
	return nil
}

// AbortError is the failure of a guest that called env.abort.
type AbortError struct {
	Message string // the message, file and position the guest passed
}

func (e *AbortError) Error() string { return "abort: " + e.Message }

// DeadlineError ends a guest that is inside a host function when its call's
// context ends. It wraps the context's error.
type DeadlineError struct {
	Func string // the host function that was interrupted
	Err  error  // context.DeadlineExceeded or context.Canceled
	// Overload is true when the time ran out while the call waited for the
	// host — its execution slot back, or a slot of the legacy hash pool —
	// rather than in its own work (its sleep, its database, its hash).
	Overload bool
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("%s interrupted: %v", e.Func, e.Err)
}

func (e *DeadlineError) Unwrap() error { return e.Err }

// errNoCall is the panic of a host function called without a Call in its
// context: a bug in the embedding runtime, never the guest's fault.
var errNoCall = errors.New("host: no call state in context (missing host.WithCall)")
