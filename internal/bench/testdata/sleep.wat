;; sleep: a tenant module whose login and get_user sleep 2 s in WASI
;; poll_oneoff (one relative clock subscription) and answer {"user": null}.
;; The sleeping-neighbours row of wasmauth-bench uploads it as the hostile
;; tenants.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"user\":null}")
  (func $sleep (result i32)
    ;; The subscription at 64: userdata, tag 0 (clock) at 72, clock id 1
    ;; (monotonic) at 80, timeout in ns at 88, precision at 96, flags 0
    ;; (relative) at 104. The event goes to 128, the count to 192.
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const 2000000000))
    (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 192)))
    (drop (call $output (i32.const 0) (i32.const 13)))
    (i32.const 0))
  (export "login" (func $sleep))
  (export "get_user" (func $sleep)))
