;; exponential_recursion calls a function that calls itself twice, 64 levels
;; deep: 2^64 calls.
;; Expected: out_of_fuel (or a stack exhaustion trap), never a hung call.
(module
  (memory (export "memory") 1)
  (func $fan (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else
        (i32.add
          (call $fan (i32.sub (local.get $n) (i32.const 1)))
          (call $fan (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "login") (result i32) (drop (call $fan (i32.const 64))) (i32.const 1))
  (func (export "get_user") (result i32) (drop (call $fan (i32.const 64))) (i32.const 1)))
