// Package cli is the wasmauth command line: "serve" and "demo" run the
// server; the other commands are clients of a running server's admin API.
// Run is separated from main so tests can drive the whole program.
package cli
