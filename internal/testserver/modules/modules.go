// Package modules holds test modules of the ABI, for the tests and the
// benchmarks (it imports nothing, so a benchmark binary may use it).
package modules

import _ "embed"

// Drain is a module of ABI v1.1's optional exports over the examples'
// users table, in any of the three drivers (testserver.LegacyDB's):
// list_users pages through it by id, verify_hash checks the examples'
// salted SHA-256 scheme and fails on other formats; login and get_user know
// nobody. See drain.wat.
//
//go:embed drain.wasm
var Drain []byte
