;; bench: CPU-bound guests for the benchmarks and for measuring how much fuel
;; a second of computation is.
(module
  (memory (export "memory") 1024)

  ;; A hash-like loop: FNV-1a over n bytes generated on the fly, mixed with
  ;; a xorshift step, as a password-hashing guest would spend its time.
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

  ;; The tightest loop: an add and a count down, about two cycles per
  ;; iteration, where the charge's cost shows most.
  (func (export "tight") (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (i32.xor (local.get $acc) (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))

  ;; Dependent loads at pseudo-random addresses of 64 MiB: each load must
  ;; wait for the one before, so nearly every one misses the caches. The
  ;; fewest instructions per second a guest can manage, and so the longest
  ;; a fuel budget can last.
  (func (export "chase") (param $n i32) (result i32)
    (local $p i32) (local $x i32)
    (local.set $x (i32.const 0x9e3779b9))
    (loop $l
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (local.set $p (i32.and (i32.add (i32.load (local.get $p)) (local.get $x))
                             (i32.const 0x3fffffc)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $p))

  ;; Naive recursive Fibonacci.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
