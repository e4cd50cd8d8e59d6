;; arith: integer and float arithmetic, sign extension and saturating
;; conversions, select and typed select, nested control flow.
(module
  (func $gcd (export "gcd") (param $a i64) (param $b i64) (result i64)
    (local $t i64)
    (block $done
      (loop $l
        (br_if $done (i64.eqz (local.get $b)))
        (local.set $t (i64.rem_u (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (br $l)))
    (local.get $a))

  ;; Collatz steps of n, with an early return when n is 1.
  (func (export "collatz") (param $n i64) (result i32)
    (local $steps i32)
    (if (i64.le_u (local.get $n) (i64.const 1)) (then (return (i32.const 0))))
    (loop $l
      (if (i64.eqz (i64.and (local.get $n) (i64.const 1)))
        (then (local.set $n (i64.shr_u (local.get $n) (i64.const 1))))
        (else (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 3)) (i64.const 1)))))
      (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
      (br_if $l (i64.ne (local.get $n) (i64.const 1))))
    (local.get $steps))

  ;; Newton's square root in f64, a f32 round trip, and float comparisons.
  (func (export "floats") (param $x f64) (result f64)
    (local $g f64) (local $i i32)
    (local.set $g (f64.div (local.get $x) (f64.const 2)))
    (loop $l
      (local.set $g (f64.mul (f64.const 0.5)
        (f64.add (local.get $g) (f64.div (local.get $x) (local.get $g)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (i32.const 20))))
    (f64.add
      (f64.promote_f32 (f32.sqrt (f32.demote_f64 (local.get $x))))
      (select (local.get $g) (f64.neg (local.get $g)) (f64.gt (local.get $g) (f64.const 0)))))

  ;; Sign extension, saturating truncation, bit counting, rotations.
  (func (export "bits") (param $x i32) (result i64)
    (i64.add
      (i64.add
        (i64.extend_i32_s (i32.extend8_s (local.get $x)))
        (i64.extend16_s (i64.extend_i32_u (local.get $x))))
      (i64.add
        (i64.add
          (i64.extend_i32_u (i32.popcnt (local.get $x)))
          (i64.extend_i32_u (i32.clz (i32.rotl (local.get $x) (i32.const 7)))))
        (i64.add
          (i64.trunc_sat_f64_s (f64.mul (f64.convert_i32_s (local.get $x)) (f64.const 1e30)))
          (i64.extend_i32_s (i32.trunc_sat_f32_u (f32.const -5)))))))

  ;; Typed select of a reference and an if with a result.
  (func (export "choose") (param $c i32) (result i32)
    (ref.is_null
      (select (result externref) (ref.null extern) (ref.null extern) (local.get $c)))
    (if (result i32) (local.get $c)
      (then (i32.const 10))
      (else (i32.const 20)))
    i32.add)

  ;; Unsigned division by zero traps in the guest itself.
  (func (export "div") (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b))))
