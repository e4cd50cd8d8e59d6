//go:build wasip1

// Package wasmauth is the guest side of the wasmauth ABI for tenant modules written in
// Go: it wraps the host functions of the "wasmauth" import module (input, output, log,
// db_query, verify_password, digest) in ordinary Go functions and types.
//
// A module built with it is a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -ldflags='-s -w' -o legacy.wasm .
//
// and exports login and get_user with //go:wasmexport. Each exported function reads its
// input with ReadInput, may call Query, VerifyPassword and Digest, and answers once with
// Answer (or Reject, a rejection that names the account); it returns 0 when it answered
// and anything else when the script itself failed. The optional exports of ABI v1.1
// answer with AnswerPage (list_users: Input.Cursor, Input.PageSize) and AnswerVerified
// (verify_hash: Input.PasswordHash, Input.Password; no database in that call).
//
// Nothing in this package keeps state between calls: the host may reuse an instance for
// many calls, but a script must not rely on it.
package wasmauth
