;; proc_exit ends the call with WASI proc_exit(3).
;; Expected: script_failed ("exited with code 3").
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "login") (result i32) (call $proc_exit (i32.const 3)) (i32.const 0))
  (func (export "get_user") (result i32) (call $proc_exit (i32.const 3)) (i32.const 0)))
