package e2e

// binDir holds the wasmauth binary built once per test run; TestMain
// removes it.
var binDir string
