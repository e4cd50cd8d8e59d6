;; memory: loads and stores of every width, bulk memory with passive and
;; active data, memory.grow and memory.size.
(module
  (memory (export "memory") 1 4)
  (data $passive "wasmauth fuel metering")
  (data (i32.const 1024) "\01\02\03\04\05\06\07\08")

  ;; Sums the bytes of [ptr, ptr+len).
  (func $sum (export "sum") (param $ptr i32) (param $len i32) (result i64)
    (local $s i64) (local $end i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $l)))
    (local.get $s))

  (func (export "bulk") (param $n i32) (result i64)
    (memory.fill (i32.const 4096) (i32.const 3) (local.get $n))
    (memory.copy (i32.const 8192) (i32.const 4096) (local.get $n))
    (memory.init $passive (i32.const 16384) (i32.const 0) (i32.const 22))
    (data.drop $passive)
    (i64.add (call $sum (i32.const 8192) (local.get $n))
             (call $sum (i32.const 16384) (i32.const 22))))

  (func (export "widths") (result i64)
    (i32.store8 (i32.const 100) (i32.const 0x1ff))
    (i32.store16 (i32.const 102) (i32.const 0x12345))
    (i64.store32 offset=4 align=2 (i32.const 100) (i64.const 0xdeadbeef))
    (f32.store (i32.const 112) (f32.const 1.5))
    (f64.store (i32.const 120) (f64.const -2.25))
    (i64.add
      (i64.add
        (i64.load (i32.const 100))
        (i64.extend_i32_s (i32.load16_s (i32.const 102))))
      (i64.add
        (i64.trunc_f64_s (f64.add (f64.promote_f32 (f32.load (i32.const 112))) (f64.load (i32.const 120))))
        (i64.load32_u (i32.const 1024)))))

  (func (export "grow") (param $pages i32) (result i32)
    (i32.add
      (i32.mul (memory.grow (local.get $pages)) (i32.const 100))
      (memory.size))))
