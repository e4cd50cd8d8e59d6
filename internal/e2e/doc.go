// Package e2e holds the end-to-end tests of the core auth server: each test
// starts a real wasmauth server (in-process through internal/server, or the
// built cmd/wasmauth binary) on 127.0.0.1 with a random port and a temporary
// Badger data folder, and checks the HTTP contract in
// /work/shared/contract/API.md black-box, over real HTTP.
//
// The package has no code outside its tests. Run it with
//
//	go test ./internal/e2e/
//
// (-short skips the tests that build and kill the binary), and the
// local-login throughput benchmark against raw argon2id with
//
//	go test -run '^$' -bench 'LocalLogin|RawArgon2' ./internal/e2e/
package e2e
