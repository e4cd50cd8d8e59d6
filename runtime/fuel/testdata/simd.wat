;; simd: 0xFD instructions with every immediate shape, including opcodes from
;; 0x80 (two-byte encodings).
(module
  (memory 1)
  (func (export "simd") (param $x i32) (result i64)
    (local $v v128)
    (v128.store (i32.const 0) (v128.const i32x4 1 2 3 4))
    (local.set $v
      (i32x4.add (v128.load (i32.const 0)) (i32x4.splat (local.get $x))))
    (local.set $v
      (i32x4.mul (local.get $v) (v128.load32_splat (i32.const 4))))
    (local.set $v
      (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v) (local.get $v)))
    (local.set $v (i32x4.replace_lane 3 (local.get $v) (i32.const 9)))
    (local.set $v (v128.load8_lane 1 (i32.const 2) (local.get $v)))
    (v128.store64_lane 1 (i32.const 32) (local.get $v))
    (local.set $v (v128.or (local.get $v) (v128.load32_zero (i32.const 8))))
    (local.set $v (i16x8.add_sat_u (local.get $v) (i16x8.splat (i32.const 1))))
    (i64.add
      (i64.add
        (i64x2.extract_lane 0 (local.get $v))
        (i64x2.extract_lane 1 (local.get $v)))
      (i64.add
        (i64.load (i32.const 32))
        (i64.extend_i32_u (i32x4.bitmask (local.get $v)))))))
