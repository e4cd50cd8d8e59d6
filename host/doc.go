// Package host implements the host side of the wasmauth guest ABI (see
// ABI.md): the "wasmauth" host module a tenant's WebAssembly module imports
// (input_len, input_read, output_set, log, db_query, result_read,
// verify_password, digest), AssemblyScript's env.abort, and the closed WASI
// environment guests run in.
//
// Instantiate adds the host modules to a wazero.Runtime once; every guest
// instance is then created with the ModuleConfig of its own Binding. Before
// each call the runtime creates a Call (input, limits, database), attaches
// it to the call's context with WithCall and binds it to the instance with
// Binding.Bind; afterwards it reads Output and Logs.
//
// Every host function treats its i32 parameters as uint32, checks the whole
// range [ptr, ptr+len) against the guest's memory before reading or writing
// (a length that is negative as an i32 is bad memory), copies bytes in and
// out at once and never keeps a slice of guest memory. Results are the ABI's
// statuses: StatusBadMemory (-1), StatusTooLarge (-2), StatusNoConnection
// (-3), StatusLimit (-4), StatusUnknownHash (-5).
//
// A guest ends its call early by trapping: env.abort panics with an
// *AbortError; a host function that was waiting (db_query, verify_password,
// a WASI sleep) when the call's context ended panics with a *DeadlineError;
// proc_exit ends it with wazero's *sys.ExitError. The runtime turns these into
// its call errors.
//
// # RATIONALE
//
// Where per-call state lives. wazero hands host functions the context the
// export was called with, so the wasmauth and env functions find their Call
// with CallFrom(ctx): one host module serves every instance of every tenant,
// and nothing global maps instances to calls. WASI's stdout, stderr and sleep
// get no context from wazero, so they go through the instance's Binding,
// which holds the call (and its context) while the instance is serving it;
// output written while no call is bound is discarded.
//
// Deadlines. A call's wall clock is its context. Pure wasm code is bounded by
// fuel (package runtime/fuel), so the host does not ask wazero to check the
// context on every loop back-edge (WithCloseOnContextDone costs many times
// the speed of a tight loop). Instead every host function that can block
// honours the context and ends the guest when it is done: db_query passes it
// to the driver, verify_password waits for its hashing slot and its hash
// under it (the hash itself finishes in the background and keeps its slot, so
// the global bound on concurrent hashes holds), and WASI sleeps are cut short.
//
// Copies. The guest's memory can grow (and move) during any host call, and a
// guest may run on while the host still uses what it passed; copying in and
// out at once keeps the host from ever reading stale or moved memory.
//
// Statuses. The refusal order is fixed: bad memory first (nothing is read
// from a range that is not wholly inside memory), then missing connection,
// then sizes and limits. db_query failures that are not the script's fault
// (the connection dropped) are data, {"error": "..."}, like SQL errors, so
// that the script decides what they mean.
package host
