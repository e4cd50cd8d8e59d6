;; trap divides by zero.
;; Expected: trap.
(module
  (memory (export "memory") 1)
  (func $boom (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "login") (result i32) (call $boom))
  (func (export "get_user") (result i32) (call $boom)))
