// Package metrics is wasmauth's Prometheus instrumentation: one registry per
// server (never the global default one, so tests can run several servers in
// a process) holding HTTP request counts and latencies by route template,
// login counts by outcome, script call counts, durations and fuel by tenant
// and operation, the wasm instance pools and the password hashing queue, and
// the Go and process collectors.
//
// Metrics implements auth.Observer; the HTTP layer reports requests through
// ObserveHTTP; Handler serves the registry in the Prometheus text format.
package metrics
