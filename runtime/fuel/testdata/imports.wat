;; imports: a host function, an immutable and a mutable global and a memory,
;; all imported, so the fuel global's index must come after imported ones.
(module
  (import "host" "add" (func $add (param i64 i64) (result i64)))
  (import "env" "base" (global $base i64))
  (import "env" "counter" (global $counter (mut i64)))
  (import "env" "memory" (memory 1))
  (global $local (mut i64) (i64.const 5))

  (func (export "run") (param $n i64) (result i64)
    (global.set $counter (i64.add (global.get $counter) (local.get $n)))
    (global.set $local (call $add (global.get $local) (local.get $n)))
    (i64.store (i32.const 64) (global.get $counter))
    (call $add
      (call $add (global.get $base) (i64.load (i32.const 64)))
      (global.get $local))))
