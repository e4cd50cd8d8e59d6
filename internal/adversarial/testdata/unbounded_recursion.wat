;; unbounded_recursion calls itself without end, with a large frame.
;; Expected: a stack exhaustion trap (or out_of_fuel), never a crashed host.
(module
  (memory (export "memory") 1)
  (func $deeper (param $a i64) (param $b i64) (param $c i64) (param $d i64) (result i64)
    (local $e i64) (local $f i64) (local $g i64) (local $h i64)
    (i64.add
      (call $deeper (local.get $b) (local.get $c) (local.get $d) (local.get $a))
      (local.get $a)))
  (func (export "login") (result i32)
    (drop (call $deeper (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))) (i32.const 1))
  (func (export "get_user") (result i32)
    (drop (call $deeper (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))) (i32.const 1)))
