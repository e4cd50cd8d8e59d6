;; importmem imports its memory. Build: wat2wasm importmem.wat -o importmem.wasm
(module
  (import "env" "memory" (memory 1))
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
