;; spin: programs that never finish on their own. Each must be stopped by the
;; fuel check, however it burns CPU.
(module
  ;; A tight infinite loop.
  (func (export "spin")
    (loop $l
      (br $l)))

  ;; Exponential recursion without any loop: naive Fibonacci.
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else
        (i64.add
          (call $fib (i64.sub (local.get $n) (i64.const 1)))
          (call $fib (i64.sub (local.get $n) (i64.const 2)))))))

  ;; A loop inside a recursion: every level runs a 1000-iteration loop and
  ;; recurses twice, so walk(40) would run about 2^40 * 1000 iterations.
  (func $walk (export "walk") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
    (if (i32.gt_u (local.get $n) (i32.const 0))
      (then
        (local.set $acc (i32.add (local.get $acc) (call $walk (i32.sub (local.get $n) (i32.const 1)))))
        (local.set $acc (i32.add (local.get $acc) (call $walk (i32.sub (local.get $n) (i32.const 1)))))))
    (local.get $acc))

  ;; A loop whose body is only a memory.fill of the whole memory: one
  ;; instruction per iteration, a lot of work each.
  (memory 16)
  (func (export "fill_forever")
    (loop $l
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 1048576))
      (br $l)))

  ;; The guest's own trap, to tell apart from running out of fuel.
  (func (export "trap") (result i32)
    (i32.div_u (i32.const 1) (i32.const 0))))
