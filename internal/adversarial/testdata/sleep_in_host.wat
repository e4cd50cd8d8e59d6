;; sleep_in_host grows its memory to 237 MiB, then sleeps 15 s in WASI
;; poll_oneoff (one relative clock subscription) and answers {"user": null}.
;; Expected: while it sleeps the call holds no execution slot, so other
;; tenants' calls run; with timeout_ms 20000 it answers after 15 s.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"user\":null}")
  (func $sleep
    (drop (memory.grow (i32.const 3791)))
    ;; The subscription at 64: userdata, tag 0 (clock) at 72, clock id 1
    ;; (monotonic) at 80, timeout in ns at 88, precision at 96, flags 0
    ;; (relative) at 104. The event goes to 128, the count to 192.
    (i64.store (i32.const 64) (i64.const 0))
    (i32.store8 (i32.const 72) (i32.const 0))
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const 15000000000))
    (i64.store (i32.const 96) (i64.const 0))
    (i32.store16 (i32.const 104) (i32.const 0))
    (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 192)))
    (drop (call $output (i32.const 0) (i32.const 13))))
  (func (export "login") (result i32) (call $sleep) (i32.const 0))
  (func (export "get_user") (result i32) (call $sleep) (i32.const 0)))
