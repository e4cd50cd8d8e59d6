;; pg_bypass runs, through db_query, the two statements of issue 12 that spell
;; pg_read_file past the PostgreSQL word list: a Unicode-escaped identifier and
;; a name built in a string run by query_to_xml. Each answer is logged; the
;; module answers {"user":null} whatever they were.
;;
;; Build (from internal/server/testdata): wat2wasm pg_bypass.wat -o pg_bypass.wasm
(module
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  ;; 0..: the answer, 13 bytes.
  (data (i32.const 0) "{\"user\":null}")
  ;; 64..: the length of each request, i32 little endian.
  (data (i32.const 64) "\48\00\00\00\65\00\00\00")
  ;; request 0, 72 bytes: SELECT U&"pg\005fread\005ffile"('/etc/hostname')
  (data (i32.const 4096) "{\"sql\":\"SELECT U&\\\"pg\\\\005fread\\\\005ffile\\\"('/etc/hostname')\",\"args\":[]}")
  ;; request 1, 101 bytes: SELECT query_to_xml('SELECT pg_' || 'read_file(''/etc/passwd'')', true, true, '')
  (data (i32.const 4352) "{\"sql\":\"SELECT query_to_xml('SELECT pg_' || 'read_file(''/etc/passwd'')', true, true, '')\",\"args\":[]}")
  ;; 65536..: the answer of the current statement.
  (func $run (result i32)
    (local $i i32) (local $n i32)
    (loop $each
      (local.set $n (call $db_query
        (i32.add (i32.const 4096) (i32.mul (local.get $i) (i32.const 256)))
        (i32.load (i32.add (i32.const 64) (i32.mul (local.get $i) (i32.const 4))))))
      (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (i32.const 6))))
      (local.set $n (call $result_read (i32.const 65536) (select (local.get $n) (i32.const 65536) (i32.lt_u (local.get $n) (i32.const 65536)))))
      (call $log (i32.const 2) (i32.const 65536) (local.get $n))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 2))))
    (drop (call $output_set (i32.const 0) (i32.const 13)))
    (i32.const 0))
  (func (export "login") (result i32) (call $run))
  (func (export "get_user") (result i32) (call $run)))
