// Package storetest is the conformance suite of auth.Store: every backend
// runs Run from its own tests and must pass all of it, so the backends are
// interchangeable. Bench measures the hot paths the same way for each.
package storetest
