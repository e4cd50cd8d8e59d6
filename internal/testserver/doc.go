// Package testserver starts real wasmauth servers for tests and talks to
// them over HTTP.
//
// It is an ordinary package so that the test packages of server, e2e, cli
// and adversarial can share one harness, but only tests import it: it
// depends on package testing and fails the calling test on any error.
//
// Start runs a server on 127.0.0.1 with a random port and a temporary data
// folder, with cheap argon2id parameters, the OperatorToken and loopback
// allowed for tenants' databases, and stops it when the test ends. Client sends JSON, forms or raw bytes and returns a
// Response with the status, headers, body and decoded JSON object.
// LegacyDB seeds a tenant's legacy users table in PostgreSQL, MariaDB or
// SQLite from the examples, read through an account that may read only that
// table; tests needing an unreachable database are skipped, or failed when
// CI=true.
package testserver
