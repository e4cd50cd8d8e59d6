;; costs: small functions whose exact fuel cost the tests check by hand
;; (one unit per instruction; block, loop, else and end are free).
(module
  (memory 1)

  ;; One run of 3 units.
  (func $straight (export "straight") (result i32)
    (i32.add (i32.const 1) (i32.const 2)))

  ;; 3 units, plus 3 for each callee.
  (func (export "calls") (result i32)
    (i32.add (call $straight) (call $straight)))

  ;; The loop header run (local.get, i32.const, i32.sub, local.tee, br_if)
  ;; is 5 units per iteration; nothing else costs: 5n for n >= 1.
  (func (export "count") (param $n i32)
    (loop $l
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))

  ;; Entry run 2 (local.get, if), then-arm 3, else-arm 1, after end 2:
  ;; 7 when c is non-zero, 5 otherwise.
  (func (export "ifelse") (param $c i32) (result i32)
    (if (result i32) (local.get $c)
      (then (i32.add (i32.const 1) (i32.const 2)))
      (else (i32.const 5)))
    (i32.add (i32.const 10)))

  ;; An if whose then-arm cannot fall through: the code after it (3 nops)
  ;; is the else-arm in effect. Entry run 2 (local.get, if), then-arm 1 (br),
  ;; the nops 3, after the block 1: 4 when c is non-zero, 6 otherwise.
  (func (export "guard") (param $c i32) (result i32)
    (block $b
      (if (local.get $c) (then (br $b)))
      (nop) (nop) (nop))
    (i32.const 1))

  ;; The two nops after the br_if are paid with the entry run (2 + 2); the
  ;; run after the block is 1: 5 whether or not the branch is taken.
  (func (export "skip") (param $c i32) (result i32)
    (block $b
      (br_if $b (local.get $c))
      (nop)
      (nop))
    (i32.const 1))

  ;; A while loop with its exit test at the top. The header run (local.get,
  ;; i32.eqz, br_if: 3) also pays for the body after the exit test (local.get,
  ;; i32.const, i32.sub, local.set, br: 5), as the exit leaves the loop:
  ;; 8 per test, 8(n+1) in all.
  (func (export "while") (param $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))

  ;; 4 units, plus n/16 for the bytes filled.
  (func (export "fill") (param $n i32)
    (memory.fill (i32.const 0) (i32.const 0) (local.get $n)))

  ;; 4 units, plus n/16 for the bytes copied.
  (func (export "copy") (param $n i32)
    (memory.copy (i32.const 0) (i32.const 100) (local.get $n))))
