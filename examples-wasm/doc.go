// Package examples holds the example tenant modules of wasmauth, built from the Go, C,
// Rust, AssemblyScript and WAT sources beside this file (make -C examples-wasm all), and
// the legacy database they are written against (testdata: a users table per SQL dialect,
// its seed of sample users and a ready SQLite file).
//
// Every legacy example behaves the same way; README.md describes it, together with the
// guest ABI in a tenant author's terms. Tests and the demo command use the modules from
// here rather than building them.
package examples
