// Package server assembles a running wasmauth from its settings: the Badger
// store, the wazero engine, the auth service and the HTTP API, and stops them
// in order on shutdown. It is what "wasmauth serve" and "wasmauth demo" run,
// and what end-to-end tests start on a random port.
package server
