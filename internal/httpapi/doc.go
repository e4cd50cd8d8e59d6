// Package httpapi is wasmauth's HTTP adapter: the Fiber app that serves the
// operator API, the tenant admin API, the public auth API and the operations
// endpoints of the contract, translating requests into internal/auth use
// cases and errors into RFC 9457 problem documents (RFC 6749 errors under
// /t/{tenant}/oauth/).
//
// Values read from a *fiber.Ctx point into buffers Fiber reuses after the
// handler returns; every value that outlives a handler is copied first.
package httpapi
