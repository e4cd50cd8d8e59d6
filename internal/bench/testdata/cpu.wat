;; cpu: CPU-bound guests for the fuel-overhead row of wasmauth-bench. They
;; import nothing and touch no host function, so all their time is wasm code.
(module
  (memory (export "memory") 1)

  ;; A hash-like loop: FNV-1a over n bytes generated on the fly by a
  ;; xorshift step, as a password-hashing guest spends its time.
  (func (export "hash") (param $n i32) (result i32)
    (local $h i32) (local $i i32) (local $x i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $x (i32.const 0x9e3779b9))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.and (local.get $x) (i32.const 0xff)))
                               (i32.const 0x01000193)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $h))

  ;; Naive recursive Fibonacci: calls and branches rather than loops.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
