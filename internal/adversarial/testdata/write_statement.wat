;; write_statement sends write (and file-opening) statements through db_query:
;; DELETE, UPDATE, INSERT, DROP, CREATE, ATTACH, PRAGMA writable_schema and
;; load_extension. Each answer is logged. A statement that was refused is
;; answered {"error": ...} (data, not a status); when every one was, the guest
;; forwards the last error as its answer, which is not a valid answer:
;; bad_output. When one was not refused the guest returns 5 (script_failed).
;; Expected: bad_output, every logged answer starts with {"error":, and the
;; legacy table is unchanged.
(module
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  ;; 0..8: the prefix every answer must have.
  (data (i32.const 0) "{\"error\":")
  ;; 64..: the length of each statement, i32 little endian.
  (data (i32.const 64) "\25\00\00\00\38\00\00\00\52\00\00\00\24\00\00\00\2d\00\00\00\35\00\00\00\2e\00\00\00\31\00\00\00")
  ;; 4096 + 128 i: the statements.
  (data (i32.const 4096) "{\"sql\":\"DELETE FROM users\",\"args\":[]}") ;; 37 bytes
  (data (i32.const 4224) "{\"sql\":\"UPDATE users SET password_hash = 'x'\",\"args\":[]}") ;; 56 bytes
  (data (i32.const 4352) "{\"sql\":\"INSERT INTO users (id, email) VALUES (999, 'evil@example.com')\",\"args\":[]}") ;; 82 bytes
  (data (i32.const 4480) "{\"sql\":\"DROP TABLE users\",\"args\":[]}") ;; 36 bytes
  (data (i32.const 4608) "{\"sql\":\"CREATE TABLE evil (x int)\",\"args\":[]}") ;; 45 bytes
  (data (i32.const 4736) "{\"sql\":\"ATTACH DATABASE 'evil.db' AS evil\",\"args\":[]}") ;; 53 bytes
  (data (i32.const 4864) "{\"sql\":\"PRAGMA writable_schema = 1\",\"args\":[]}") ;; 46 bytes
  (data (i32.const 4992) "{\"sql\":\"SELECT load_extension('evil')\",\"args\":[]}") ;; 49 bytes
  ;; 65536..: the answer of the current statement.
  (func $run (result i32)
    (local $i i32) (local $n i32) (local $bad i32)
    (loop $each
      (local.set $n (call $db_query
        (i32.add (i32.const 4096) (i32.mul (local.get $i) (i32.const 128)))
        (i32.load (i32.add (i32.const 64) (i32.mul (local.get $i) (i32.const 4))))))
      (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (i32.const 6))))
      (local.set $n (call $result_read (i32.const 65536) (select (local.get $n) (i32.const 65536) (i32.lt_u (local.get $n) (i32.const 65536)))))
      (call $log (i32.const 2) (i32.const 65536) (local.get $n))
      (if (i32.or
            (i64.ne (i64.load (i32.const 65536)) (i64.load (i32.const 0)))
            (i32.ne (i32.load8_u (i32.const 65544)) (i32.load8_u (i32.const 8))))
        (then (local.set $bad (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 8))))
    (if (local.get $bad) (then (return (i32.const 5))))
    (drop (call $output_set (i32.const 65536) (local.get $n)))
    (i32.const 0))
  (func (export "login") (result i32) (call $run))
  (func (export "get_user") (result i32) (call $run)))
