;; memory_grow grows its memory one MiB at a time until memory.grow fails,
;; logs how many pages it reached, and traps.
;; Expected: memory.grow fails at the tenant's memory limit (64 MiB by
;; default, 1024 pages), the call fails (limit or trap), the instance is
;; thrown away.
(module
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  ;; 0..: "memory.grow refused at pages=" followed by the decimal count.
  (data (i32.const 0) "memory.grow refused at pages=")
  (func $grow (result i32)
    (local $pages i32) (local $n i32) (local $end i32)
    (block $full
      (loop $more
        (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $more)))
    ;; Write memory.size as decimal after the prefix (29 bytes), then log it.
    (local.set $pages (memory.size))
    (local.set $end (i32.const 40))
    (local.set $n (local.get $pages))
    (loop $digits
      (local.set $end (i32.sub (local.get $end) (i32.const 1)))
      (i32.store8 (local.get $end) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    ;; Move the digits right after the prefix.
    (memory.copy (i32.const 29) (local.get $end) (i32.sub (i32.const 40) (local.get $end)))
    (call $log (i32.const 2) (i32.const 0) (i32.add (i32.const 29) (i32.sub (i32.const 40) (local.get $end))))
    unreachable)
  (func (export "login") (result i32) (call $grow))
  (func (export "get_user") (result i32) (call $grow)))
