;; big_output answers {"user":null} padded with spaces to 64 KiB + 1 byte.
;; Expected: output_set returns -2 (too large) and leaves no answer, so the
;; call is bad_output. If output_set accepted it the guest would return 0 with
;; a valid answer; if it returned anything but -2 the guest returns 7.
(module
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "{\"user\":null}")
  (func $answer (result i32)
    (local $r i32)
    ;; Spaces from byte 13 to 65537.
    (memory.fill (i32.const 13) (i32.const 32) (i32.sub (i32.const 65537) (i32.const 13)))
    (local.set $r (call $output_set (i32.const 0) (i32.const 65537)))
    (if (i32.and (i32.ne (local.get $r) (i32.const -2)) (i32.ne (local.get $r) (i32.const 0)))
      (then (return (i32.const 7))))
    (i32.const 0))
  (func (export "login") (result i32) (call $answer))
  (func (export "get_user") (result i32) (call $answer)))
