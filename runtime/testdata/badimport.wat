;; badimport imports a function the host does not offer. Build: wat2wasm badimport.wat -o badimport.wasm
(module
  (import "wasmauth" "open_socket" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
