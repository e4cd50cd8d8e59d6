;; badsig imports wasmauth.log with the wrong signature. Build: wat2wasm badsig.wat -o badsig.wasm
(module
  (import "wasmauth" "log" (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
