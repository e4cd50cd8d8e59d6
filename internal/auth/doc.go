// Package auth holds wasmauth's domain: tenants, users, sessions, the lazy
// migration rules, and the error codes every adapter maps to the outside.
//
// It imports no HTTP framework, database or WebAssembly runtime. Adapters
// implement its interfaces (Store, Scripts) or consume its Service: the Badger
// store in internal/store/badgerstore, the HTTP API in internal/httpapi and the
// WebAssembly runtime in runtime/ with the host functions in host/.
package auth
