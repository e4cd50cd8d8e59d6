;; tables: call_indirect through an active element segment, reference
;; instructions and table bulk operations, mutable globals and a start
;; function.
(module
  (type $binop (func (param i32 i32) (result i32)))
  (table $t 4 16 funcref)
  (table $refs 2 externref)
  (elem (table $t) (i32.const 0) func $add $sub $mul)
  (elem $passive func $sub $add)
  (elem declare func $mul)

  (global $calls (mut i32) (i32.const 0))
  (global $base i64 (i64.const 1000))
  (global $started (mut i64) (i64.const 0))

  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))

  (func $init
    (global.set $started (i64.add (global.get $base) (i64.const 7))))
  (start $init)

  (func $apply (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call_indirect $t (type $binop) (local.get $a) (local.get $b) (local.get $op)))

  (func (export "started") (result i64)
    (global.get $started))

  (func (export "calls") (result i32)
    (global.get $calls))

  ;; Table bulk operations, then calls through the rearranged table.
  (func (export "shuffle") (result i32)
    (local $r i32)
    (table.init $t $passive (i32.const 1) (i32.const 0) (i32.const 2))
    (elem.drop $passive)
    (table.copy $t $t (i32.const 3) (i32.const 0) (i32.const 1))
    (drop (table.grow $t (ref.func $mul) (i32.const 2)))
    (table.fill $t (i32.const 4) (ref.func $mul) (i32.const 2))
    (table.set $t (i32.const 0) (table.get $t (i32.const 5)))
    (table.set $refs (i32.const 1) (ref.null extern))
    (local.set $r (i32.add (table.size $t) (i32.mul (i32.const 10) (ref.is_null (table.get $refs (i32.const 1))))))
    (i32.add (local.get $r)
      (i32.add
        (i32.add (call $apply (i32.const 0) (i32.const 6) (i32.const 7))
                 (call $apply (i32.const 1) (i32.const 6) (i32.const 7)))
        (i32.add (call $apply (i32.const 2) (i32.const 6) (i32.const 7))
                 (call $apply (i32.const 3) (i32.const 6) (i32.const 7)))))))
