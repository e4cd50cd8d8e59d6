;; bad_pointers calls every wasmauth host function with (pointer, length)
;; pairs outside its one-page memory: past the end, straddling the end,
;; negative, and wrapping around 2^32. Each call must return -1 (log, which
;; returns nothing, must drop the line and not fail).
;; Expected: the guest answers {"user":null,"reason":"not_found"} when every
;; call returned -1; otherwise it returns 100 + 16 * pair + function, naming
;; the first call that did not (script_failed). The host never crashes.
(module
  (import "wasmauth" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "wasmauth" "verify_password" (func $verify_password (param i32 i32 i32 i32) (result i32)))
  (import "wasmauth" "digest" (func $digest (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..: the answer (34 bytes).
  (data (i32.const 0) "{\"user\":null,\"reason\":\"not_found\"}")
  ;; 64..: a valid algorithm name and a valid hash, for the other argument.
  (data (i32.const 64) "sha256")
  (data (i32.const 80) "$1$salt$qJH7.N4xYta3aEG/dfqo/0")
  ;; 256..: the bad pairs, (ptr, len) as two i32 little endian each:
  ;;  0 (65536, 1)          just past the end
  ;;  1 (65535, 2)          straddles the end
  ;;  2 (0, 65537)          longer than memory
  ;;  3 (-1, 1)             pointer 0xffffffff
  ;;  4 (0, -1)             negative length
  ;;  5 (-16, 32)           wraps: 0xfffffff0 + 32 = 16 mod 2^32
  ;;  6 (16, -8)            wraps: 16 + 0xfffffff8 = 8 mod 2^32
  ;;  7 (0x7fffffff, 0x7fffffff)
  ;;  8 (0x80000000, 0)     empty range far outside memory
  ;;  9 (65537, 0)          empty range just outside memory
  (data (i32.const 256)
    "\00\00\01\00" "\01\00\00\00"
    "\ff\ff\00\00" "\02\00\00\00"
    "\00\00\00\00" "\01\00\01\00"
    "\ff\ff\ff\ff" "\01\00\00\00"
    "\00\00\00\00" "\ff\ff\ff\ff"
    "\f0\ff\ff\ff" "\20\00\00\00"
    "\10\00\00\00" "\f8\ff\ff\ff"
    "\ff\ff\ff\7f" "\ff\ff\ff\7f"
    "\00\00\00\80" "\00\00\00\00"
    "\01\00\01\00" "\00\00\00\00")
  (global $first (mut i32) (i32.const 0))

  ;; $want records the first call (by code) that did not return -1.
  (func $want (param $got i32) (param $code i32)
    (if (i32.and (i32.ne (local.get $got) (i32.const -1)) (i32.eqz (global.get $first)))
      (then (global.set $first (local.get $code)))))

  (func $probe (result i32)
    (local $i i32) (local $p i32) (local $l i32) (local $code i32)
    (global.set $first (i32.const 0))
    (loop $pairs
      (local.set $p (i32.load (i32.add (i32.const 256) (i32.mul (local.get $i) (i32.const 8)))))
      (local.set $l (i32.load (i32.add (i32.const 260) (i32.mul (local.get $i) (i32.const 8)))))
      (local.set $code (i32.add (i32.const 100) (i32.mul (local.get $i) (i32.const 16))))
      (call $want (call $input_read (local.get $p) (local.get $l)) (local.get $code))
      (call $want (call $output_set (local.get $p) (local.get $l)) (i32.add (local.get $code) (i32.const 1)))
      (call $want (call $db_query (local.get $p) (local.get $l)) (i32.add (local.get $code) (i32.const 2)))
      (call $want (call $result_read (local.get $p) (local.get $l)) (i32.add (local.get $code) (i32.const 3)))
      (call $want (call $verify_password (local.get $p) (local.get $l) (i32.const 0) (i32.const 4))
        (i32.add (local.get $code) (i32.const 4)))
      (call $want (call $verify_password (i32.const 80) (i32.const 30) (local.get $p) (local.get $l))
        (i32.add (local.get $code) (i32.const 5)))
      (call $want (call $digest (local.get $p) (local.get $l) (i32.const 0) (i32.const 4))
        (i32.add (local.get $code) (i32.const 6)))
      (call $want (call $digest (i32.const 64) (i32.const 6) (local.get $p) (local.get $l))
        (i32.add (local.get $code) (i32.const 7)))
      (call $log (i32.const 2) (local.get $p) (local.get $l))
      (call $log (i32.const -1) (i32.const 0) (i32.const 4))
      (call $log (i32.const 99) (i32.const 0) (i32.const 4))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $pairs (i32.lt_u (local.get $i) (i32.const 10))))
    (if (global.get $first) (then (return (global.get $first))))
    ;; A valid call still works after all that.
    (if (call $output_set (i32.const 0) (i32.const 34)) (then (return (i32.const 99))))
    (i32.const 0))
  (func (export "login") (result i32) (call $probe))
  (func (export "get_user") (result i32) (call $probe)))
