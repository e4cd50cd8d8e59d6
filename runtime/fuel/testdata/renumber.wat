;; renumber: every place a function index appears, which the refuel import
;; Instrument adds moves: calls of imported and defined functions, exports
;; of both, element segments by index and by expression (active, passive
;; and declared), a funcref global initialised with ref.func, ref.func in
;; code, call_indirect, the start function (which runs longer than one fuel
;; slice) and the function names of the name section.
(module
  (type $un (func (param i64) (result i64)))
  (import "host" "add" (func $add (param i64 i64) (result i64)))
  (table $t 8 funcref)
  (elem (table $t) (i32.const 0) func $double $inc $add1)
  (elem (table $t) (i32.const 3) funcref (ref.func $inc) (ref.null func) (ref.func $double))
  (elem $p funcref (ref.func $add1) (ref.func $double))
  (elem declare func $boom)
  (global $g funcref (ref.func $inc))
  (global $started (mut i64) (i64.const 0))

  (func $double (type $un) (i64.mul (local.get 0) (i64.const 2)))
  (func $inc (type $un) (i64.add (local.get 0) (i64.const 1)))
  (func $add1 (type $un) (call $add (local.get 0) (i64.const 1)))
  (func $boom (export "boom") (param i64) (result i64)
    (drop (ref.func $boom))
    unreachable)

  ;; 3 million iterations of 8 units: 24 million units, over two slices.
  (func $init (local $i i64)
    (loop $l
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (i64.const 3000000))))
    (global.set $started (local.get $i)))
  (start $init)

  (func $apply (export "apply") (param $f i32) (param $x i64) (result i64)
    (call_indirect $t (type $un) (local.get $x) (local.get $f)))
  (func $via_global (export "via_global") (param $x i64) (result i64)
    (table.set $t (i32.const 7) (global.get $g))
    (call_indirect $t (type $un) (local.get $x) (i32.const 7)))
  (func $passive (export "passive") (param $x i64) (result i64)
    (table.init $t $p (i32.const 5) (i32.const 0) (i32.const 2))
    (i64.add
      (call_indirect $t (type $un) (local.get $x) (i32.const 5))
      (call_indirect $t (type $un) (local.get $x) (i32.const 6))))
  (func $reffunc (export "reffunc") (param $x i64) (result i64)
    (table.set $t (i32.const 7) (ref.func $double))
    (call_indirect $t (type $un) (local.get $x) (i32.const 7)))
  (func $direct (export "direct") (param $x i64) (result i64)
    (call $add1 (call $double (call $inc (local.get $x)))))
  (func $started (export "started") (result i64) (global.get $started))
  (export "add" (func $add))
  (export "double" (func $double))
  (export "table" (table $t)))
