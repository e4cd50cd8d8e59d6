;; guest is the runtime's test module. login and get_user read the input and
;; act on its first byte:
;;   o  answer a user                    n  answer no user (reason not_found)
;;   c  answer a user whose id is "<_initialize runs>-<calls of this instance>"
;;   u  trap (unreachable)               l  loop forever (runs out of fuel)
;;   r  return 7                         x  return 0 without an answer
;;   b  answer "not json"                e  proc_exit(3)
;;   z  answer a user, then proc_exit(0) a  env.abort("boom", "guest.ts", 7, 9)
;;   p  print 60 lines to stdout         k  sleep an hour (poll_oneoff)
;;   m  grow memory by 200 pages (12.5 MiB), then answer no user
;;   q  db_query the rest of the input, log the response, answer no user
;;      (a negative status s makes it return 100 - s)
;; Build: wat2wasm guest.wat -o guest.wasm
(module
  (import "wasmauth" "input_len" (func $input_len (result i32)))
  (import "wasmauth" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 3)
  (global $inits (mut i32) (i32.const 0))
  (global $calls (mut i32) (i32.const 0))

  ;; 0x100: {"user":{"id":"1","email":"a@example.com"}}  (43 bytes)
  (data (i32.const 0x100) "{\"user\":{\"id\":\"1\",\"email\":\"a@example.com\"}}")
  ;; 0x200: {"user":null,"reason":"not_found"}  (34 bytes)
  (data (i32.const 0x200) "{\"user\":null,\"reason\":\"not_found\"}")
  ;; 0x300: {"user":{"id":"0-0","email":"c@example.com"}}  (45 bytes; digits at 0x30f, 0x311)
  (data (i32.const 0x300) "{\"user\":{\"id\":\"0-0\",\"email\":\"c@example.com\"}}")
  ;; 0x400: not json  (8 bytes)
  (data (i32.const 0x400) "not json")
  ;; 0x500: "line\n" and its iovec at 0x510
  (data (i32.const 0x500) "line\n")
  (data (i32.const 0x510) "\00\05\00\00\05\00\00\00")
  ;; AssemblyScript strings: byte length, then UTF-16LE. "boom" at 0x604, "guest.ts" at 0x704.
  (data (i32.const 0x600) "\08\00\00\00b\00o\00o\00m\00")
  (data (i32.const 0x700) "\10\00\00\00g\00u\00e\00s\00t\00.\00t\00s\00")
  ;; 0x800: a clock subscription of one hour (3600e9 ns = 0x346_30B8_A000).
  (data (i32.const 0x818) "\00\a0\b8\30\46\03\00\00")

  (func (export "_initialize")
    (global.set $inits (i32.add (global.get $inits) (i32.const 1))))

  (func $answer (param $ptr i32) (param $len i32) (result i32)
    (drop (call $output_set (local.get $ptr) (local.get $len)))
    (i32.const 0))

  (func $main (result i32)
    (local $n i32) (local $op i32) (local $i i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    ;; The input goes to 0x10000 (the second page).
    (local.set $n (call $input_read (i32.const 0x10000) (i32.const 0x10000)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (i32.const 99))))
    (local.set $op (i32.load8_u (i32.const 0x10000)))
    (if (i32.eq (local.get $op) (i32.const 0x6f)) ;; o
      (then (return (call $answer (i32.const 0x100) (i32.const 43)))))
    (if (i32.eq (local.get $op) (i32.const 0x6e)) ;; n
      (then (return (call $answer (i32.const 0x200) (i32.const 34)))))
    (if (i32.eq (local.get $op) (i32.const 0x63)) ;; c
      (then
        (i32.store8 (i32.const 0x30f) (i32.add (i32.const 0x30) (global.get $inits)))
        (i32.store8 (i32.const 0x311) (i32.add (i32.const 0x30) (global.get $calls)))
        (return (call $answer (i32.const 0x300) (i32.const 45)))))
    (if (i32.eq (local.get $op) (i32.const 0x75)) ;; u
      (then unreachable))
    (if (i32.eq (local.get $op) (i32.const 0x6c)) ;; l
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $op) (i32.const 0x72)) ;; r
      (then (return (i32.const 7))))
    (if (i32.eq (local.get $op) (i32.const 0x78)) ;; x
      (then (return (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 0x62)) ;; b
      (then (return (call $answer (i32.const 0x400) (i32.const 8)))))
    (if (i32.eq (local.get $op) (i32.const 0x65)) ;; e
      (then (call $proc_exit (i32.const 3))))
    (if (i32.eq (local.get $op) (i32.const 0x7a)) ;; z
      (then
        (drop (call $answer (i32.const 0x100) (i32.const 43)))
        (call $proc_exit (i32.const 0))))
    (if (i32.eq (local.get $op) (i32.const 0x61)) ;; a
      (then (call $abort (i32.const 0x604) (i32.const 0x704) (i32.const 7) (i32.const 9))))
    (if (i32.eq (local.get $op) (i32.const 0x70)) ;; p
      (then
        (loop $lines
          (drop (call $fd_write (i32.const 1) (i32.const 0x510) (i32.const 1) (i32.const 0x520)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $lines (i32.lt_u (local.get $i) (i32.const 60))))
        (return (call $answer (i32.const 0x200) (i32.const 34)))))
    (if (i32.eq (local.get $op) (i32.const 0x6b)) ;; k
      (then
        (drop (call $poll_oneoff (i32.const 0x800) (i32.const 0x900) (i32.const 1) (i32.const 0x980)))
        (return (call $answer (i32.const 0x200) (i32.const 34)))))
    (if (i32.eq (local.get $op) (i32.const 0x6d)) ;; m
      (then
        (drop (memory.grow (i32.const 200)))
        (return (call $answer (i32.const 0x200) (i32.const 34)))))
    (if (i32.eq (local.get $op) (i32.const 0x71)) ;; q
      (then
        (local.set $n (call $db_query (i32.const 0x10001) (i32.sub (local.get $n) (i32.const 1))))
        (if (i32.lt_s (local.get $n) (i32.const 0))
          (then (return (i32.sub (i32.const 100) (local.get $n)))))
        (local.set $n (call $result_read (i32.const 0x20000) (i32.const 0x10000)))
        (call $log (i32.const 1) (i32.const 0x20000) (local.get $n))
        (return (call $answer (i32.const 0x200) (i32.const 34)))))
    (i32.const 98))

  (func (export "login") (result i32) (call $main))
  (func (export "get_user") (result i32) (call $main))
)
