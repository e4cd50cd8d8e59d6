;; reasons.wat - a module that rejects every login, with the reason its identifier
;; names: an input containing "inactive@" is {"user":null,"reason":"inactive"},
;; "locked@" is "locked", "wrongpw@" is "wrong_password", anything else "not_found".
;; internal/server's test of rejection reasons uses it.
;;
;; Build (from internal/server/testdata):
;;   wat2wasm reasons.wat -o reasons.wasm
(module
  (import "wasmauth" "input_len" (func $input_len (result i32)))
  (import "wasmauth" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))

  (memory (export "memory") 2)

  (data (i32.const 16) "inactive@")
  (data (i32.const 32) "locked@")
  (data (i32.const 48) "wrongpw@")
  (data (i32.const 64) "{\"user\":null,\"reason\":\"inactive\"}")
  (data (i32.const 128) "{\"user\":null,\"reason\":\"locked\"}")
  (data (i32.const 192) "{\"user\":null,\"reason\":\"wrong_password\"}")
  (data (i32.const 256) "{\"user\":null,\"reason\":\"not_found\"}")

  (global $INPUT i32 (i32.const 1024))

  ;; $has reports whether the input (n bytes at $INPUT) contains the m bytes at p.
  (func $has (param $n i32) (param $p i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32)
    (block $done
      (loop $outer
        (br_if $done (i32.gt_s (i32.add (local.get $i) (local.get $m)) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $miss
          (loop $inner
            (if (i32.eq (local.get $j) (local.get $m)) (then (return (i32.const 1))))
            (br_if $miss (i32.ne
              (i32.load8_u (i32.add (global.get $INPUT) (i32.add (local.get $i) (local.get $j))))
              (i32.load8_u (i32.add (local.get $p) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.const 0))

  (func $answer (param $p i32) (param $len i32) (result i32)
    (drop (call $output_set (local.get $p) (local.get $len)))
    (i32.const 0))

  (func (export "login") (result i32)
    (local $n i32)
    (local.set $n (call $input_len))
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 1))))
    (drop (call $input_read (global.get $INPUT) (local.get $n)))
    (if (call $has (local.get $n) (i32.const 16) (i32.const 9))
      (then (return (call $answer (i32.const 64) (i32.const 33)))))
    (if (call $has (local.get $n) (i32.const 32) (i32.const 7))
      (then (return (call $answer (i32.const 128) (i32.const 31)))))
    (if (call $has (local.get $n) (i32.const 48) (i32.const 8))
      (then (return (call $answer (i32.const 192) (i32.const 39)))))
    (call $answer (i32.const 256) (i32.const 34)))

  (func (export "get_user") (result i32)
    (call $answer (i32.const 256) (i32.const 34))))
