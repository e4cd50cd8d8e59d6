;; env_system_import imports env.system, beside the offered env.abort.
;; Expected: 400 invalid_module at upload.
(module
  (import "env" "system" (func $system (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "login") (result i32) (call $system (i32.const 0)))
  (func (export "get_user") (result i32) (call $system (i32.const 0))))
