;; query_flood calls db_query 1,000 times in one call with a valid statement
;; and logs "db_query ok=N limited=M first_limited=K other=O", then returns 3.
;; Expected: ok=10 limited=990 first_limited=11 other=0 (db_query returns -4
;; once the per-call limit of 10 is reached) and script_failed.
(module
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"sql\":\"SELECT 1\",\"args\":[]}") ;; 28 bytes
  (data (i32.const 64) "db_query ok=")
  (data (i32.const 80) " limited=")
  (data (i32.const 96) " first_limited=")
  (data (i32.const 112) " other=")

  ;; $text copies n bytes from src to dst and returns dst + n.
  (func $text (param $dst i32) (param $src i32) (param $n i32) (result i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n))
    (i32.add (local.get $dst) (local.get $n)))

  ;; $decimal writes v in decimal at dst and returns the end.
  (func $decimal (param $dst i32) (param $v i32) (result i32)
    (local $tmp i32) (local $n i32)
    (local.set $tmp (i32.const 1040))
    (loop $digits
      (local.set $tmp (i32.sub (local.get $tmp) (i32.const 1)))
      (i32.store8 (local.get $tmp) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digits (local.get $v)))
    (local.set $n (i32.sub (i32.const 1040) (local.get $tmp)))
    (call $text (local.get $dst) (local.get $tmp) (local.get $n)))

  (func $flood (result i32)
    (local $i i32) (local $r i32) (local $ok i32) (local $limited i32) (local $first i32) (local $other i32) (local $end i32)
    (loop $again
      (local.set $r (call $db_query (i32.const 0) (i32.const 28)))
      (if (i32.gt_s (local.get $r) (i32.const 0))
        (then (local.set $ok (i32.add (local.get $ok) (i32.const 1))))
        (else
          (if (i32.eq (local.get $r) (i32.const -4))
            (then
              (local.set $limited (i32.add (local.get $limited) (i32.const 1)))
              (if (i32.eqz (local.get $first)) (then (local.set $first (i32.add (local.get $i) (i32.const 1))))))
            (else (local.set $other (i32.add (local.get $other) (i32.const 1)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))
    ;; The log line at 2048.
    (local.set $end (call $text (i32.const 2048) (i32.const 64) (i32.const 12)))
    (local.set $end (call $decimal (local.get $end) (local.get $ok)))
    (local.set $end (call $text (local.get $end) (i32.const 80) (i32.const 9)))
    (local.set $end (call $decimal (local.get $end) (local.get $limited)))
    (local.set $end (call $text (local.get $end) (i32.const 96) (i32.const 15)))
    (local.set $end (call $decimal (local.get $end) (local.get $first)))
    (local.set $end (call $text (local.get $end) (i32.const 112) (i32.const 7)))
    (local.set $end (call $decimal (local.get $end) (local.get $other)))
    (call $log (i32.const 1) (i32.const 2048) (i32.sub (local.get $end) (i32.const 2048)))
    (i32.const 3))
  (func (export "login") (result i32) (call $flood))
  (func (export "get_user") (result i32) (call $flood)))
