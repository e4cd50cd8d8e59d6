;; control: br_table, multi-value blocks, functions and loops, branches out
;; of nested blocks.
(module
  ;; A switch over 0..4 with a default.
  (func (export "switch") (param $x i32) (result i32)
    (block $default
      (block $c3
        (block $c2
          (block $c1
            (block $c0
              (br_table $c0 $c1 $c2 $c3 $default (local.get $x)))
            (return (i32.const 100)))
          (return (i32.const 101)))
        (return (i32.const 102)))
      (return (i32.const 103)))
    (i32.const -1))

  ;; Returns two values.
  (func $divmod (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_u (local.get $a) (local.get $b))
    (i32.rem_u (local.get $a) (local.get $b)))

  ;; Multi-value block and loop parameters: digit sum of n in base b.
  (func (export "digits") (param $n i32) (param $b i32) (result i32)
    (local $q i32) (local $r i32)
    (i32.const 0)
    (local.get $n)
    (loop $l (param i32 i32) (result i32 i32)
      (call $divmod (local.get $b))
      (local.set $r)
      (local.set $q)
      (i32.add (local.get $r))
      (local.get $q)
      (br_if $l (i32.ne (local.get $q) (i32.const 0))))
    (drop))

  ;; A block with a parameter and two results, left by br_if.
  (func (export "blocks") (param $x i32) (result i32)
    (local.get $x)
    (block $b (param i32) (result i32 i32)
      (i32.const 7)
      (br_if $b (i32.gt_s (local.get $x) (i32.const 10)))
      (drop)
      (i32.const 3))
    (i32.mul))

  ;; Nested loops with branches to outer labels.
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $c i32)
    (block $out
      (loop $outer
        (local.set $j (i32.const 0))
        (block $next
          (loop $inner
            (br_if $next (i32.ge_s (local.get $j) (local.get $i)))
            (br_if $out (i32.gt_s (local.get $c) (i32.const 5000)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_s (local.get $i) (local.get $n)))))
    (local.get $c)))
