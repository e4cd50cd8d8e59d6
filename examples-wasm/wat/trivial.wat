;; trivial.wat - the smallest useful wasmauth guest: login and get_user read the input
;; and answer one constant user, touching no database. It measures the host's warm call
;; overhead (instance reuse, input copy, output check) without any script work.
;;
;; Build (from examples-wasm/wat):
;;   wat2wasm trivial.wat -o trivial.wasm
(module
  (import "wasmauth" "input_len" (func $input_len (result i32)))
  (import "wasmauth" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))

  ;; 0 .. 85: the answer; 64 KiB .. 128 KiB: the input (at most 64 KiB).
  (memory (export "memory") 2)
  (data (i32.const 0) "{\"user\":{\"id\":\"1\",\"email\":\"trivial@example.com\",\"email_verified\":false,\"profile\":{}}}")

  (func $call (result i32)
    (local $n i32)
    (local.set $n (call $input_len))
    (if (i32.or (i32.lt_s (local.get $n) (i32.const 0)) (i32.gt_s (local.get $n) (i32.const 0x10000)))
      (then (return (i32.const 1))))
    (if (i32.ne (call $input_read (i32.const 0x10000) (local.get $n)) (local.get $n))
      (then (return (i32.const 1))))
    (if (call $output_set (i32.const 0) (i32.const 85))
      (then (return (i32.const 1))))
    (i32.const 0))

  (func (export "login") (result i32) (call $call))
  (func (export "get_user") (result i32) (call $call)))
