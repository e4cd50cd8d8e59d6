;; unknown_import imports a function the ABI does not offer (wasmauth.exec).
;; Expected: 400 invalid_module at upload.
(module
  (import "wasmauth" "exec" (func $exec (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "login") (result i32) (call $exec (i32.const 0) (i32.const 0)))
  (func (export "get_user") (result i32) (call $exec (i32.const 0) (i32.const 0))))
