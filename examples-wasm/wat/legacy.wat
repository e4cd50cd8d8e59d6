;; legacy.wat - the wasmauth example guest in raw WebAssembly text, no helper library:
;; login and get_user against a legacy "users" table, and ABI v1.1's list_users and
;; verify_hash, with the same behaviour as the Go, C, Rust and AssemblyScript examples
;; (see examples-wasm/README.md).
;;
;; Build (from examples-wasm/wat):
;;   wat2wasm legacy.wat -o legacy.wasm
;;
;; How it stays small: it never builds a JSON tree. A tiny scanner finds members and
;; array elements as spans of the original text, and JSON is copied between documents
;; as text wherever that is enough: the identifier's string token from the input goes
;; into the db_query request's "args" verbatim (it is already a valid JSON string), and
;; the id, email, username and name tokens of the response row go into the answer
;; verbatim. Only four strings are decoded (the table and dialect settings, the
;; password and the password hash), because only they are used as raw bytes. list_users
;; copies each row's tokens (its hash too) into the page, and the cursor's digits into
;; "args" as a JSON number.
;;
;; Memory: fixed regions in 24 pages, sized so that no copy can overrun (the host caps
;; the input at 64 KiB and a db_query response at 256 KiB; larger ones are refused):
;;   16 .. 1 KiB        constants (below)
;;   INPUT  0x010000    the input (64 KiB)
;;   RESP   0x020000    the db_query response (256 KiB)
;;   REQ    0x060000    the db_query request (2 x input + SQL)
;;   OUT    0x090000    the answer (at most the response + constants)
;;   PW     0x0D8000    the decoded password
;;   HASH   0x0E8000    the decoded password hash (also the decoded dialect, earlier)
;;   DATA   0x128000    the decoded table name, then salt + password, a log line, or a
;;                      wrong-password answer
;;   DIG    0x178000    a raw digest; HEX 0x178100 its hex
(module
  (import "wasmauth" "input_len" (func $input_len (result i32)))
  (import "wasmauth" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "wasmauth" "verify_password" (func $verify_password (param i32 i32 i32 i32) (result i32)))
  (import "wasmauth" "digest" (func $digest (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 24)

  (global $INPUT i32 (i32.const 0x010000))
  (global $RESP i32 (i32.const 0x020000))
  (global $REQ i32 (i32.const 0x060000))
  (global $OUT i32 (i32.const 0x090000))
  (global $PW i32 (i32.const 0x0D8000))
  (global $HASH i32 (i32.const 0x0E8000))
  (global $DATA i32 (i32.const 0x128000))
  (global $DIG i32 (i32.const 0x178000))
  (global $HEX i32 (i32.const 0x178100))

  ;; $vend is the end of the value last found by $member, $index or $next_item; $w is
  ;; $emit's cursor.
  (global $vend (mut i32) (i32.const 0))
  (global $w (mut i32) (i32.const 0))
  ;; $in, $in_end: the input object, set by $read_input. $tbl, $tbl_n, $pg: the config's
  ;; table and dialect, set by $read_config. $uid, $uid_end: the id's JSON string token of
  ;; the user $emit_user wrote last.
  (global $in (mut i32) (i32.const 0))
  (global $in_end (mut i32) (i32.const 0))
  (global $tbl (mut i32) (i32.const 0))
  (global $tbl_n (mut i32) (i32.const 0))
  (global $pg (mut i32) (i32.const 0))
  (global $uid (mut i32) (i32.const 0))
  (global $uid_end (mut i32) (i32.const 0))

  ;; Constants: each one's offset and length.
  (global $K_IDENT i32 (i32.const 16)) (global $K_IDENT_LEN i32 (i32.const 10))
  (data (i32.const 16) "identifier")
  (global $K_PASSWORD i32 (i32.const 26)) (global $K_PASSWORD_LEN i32 (i32.const 8))
  (data (i32.const 26) "password")
  (global $K_CONFIG i32 (i32.const 34)) (global $K_CONFIG_LEN i32 (i32.const 6))
  (data (i32.const 34) "config")
  (global $K_TABLE i32 (i32.const 40)) (global $K_TABLE_LEN i32 (i32.const 5))
  (data (i32.const 40) "table")
  (global $K_DIALECT i32 (i32.const 45)) (global $K_DIALECT_LEN i32 (i32.const 7))
  (data (i32.const 45) "dialect")
  (global $K_ERROR i32 (i32.const 52)) (global $K_ERROR_LEN i32 (i32.const 5))
  (data (i32.const 52) "error")
  (global $K_ROWS i32 (i32.const 57)) (global $K_ROWS_LEN i32 (i32.const 4))
  (data (i32.const 57) "rows")
  (global $S_POSTGRES i32 (i32.const 61)) (global $S_POSTGRES_LEN i32 (i32.const 8))
  (data (i32.const 61) "postgres")
  (global $S_USERS i32 (i32.const 69)) (global $S_USERS_LEN i32 (i32.const 5))
  (data (i32.const 69) "users")
  (global $S_SHA256P i32 (i32.const 74)) (global $S_SHA256P_LEN i32 (i32.const 7))
  (data (i32.const 74) "sha256$")
  (global $S_SHA256 i32 (i32.const 81)) (global $S_SHA256_LEN i32 (i32.const 6))
  (data (i32.const 81) "sha256")
  (global $S_HEX i32 (i32.const 87)) (global $S_HEX_LEN i32 (i32.const 16))
  (data (i32.const 87) "0123456789abcdef")
  (global $S_QTRUE i32 (i32.const 103)) (global $S_QTRUE_LEN i32 (i32.const 6))
  (data (i32.const 103) "\"true\"")
  (global $S_Q1 i32 (i32.const 109)) (global $S_Q1_LEN i32 (i32.const 3))
  (data (i32.const 109) "\"1\"")
  (global $S_QT i32 (i32.const 112)) (global $S_QT_LEN i32 (i32.const 3))
  (data (i32.const 112) "\"t\"")
  (global $SQL_HEAD i32 (i32.const 115)) (global $SQL_HEAD_LEN i32 (i32.const 56))
  (data (i32.const 115) "{\"sql\":\"SELECT id, email, username, email_verified, name")
  (global $SQL_PW i32 (i32.const 171)) (global $SQL_PW_LEN i32 (i32.const 15))
  (data (i32.const 171) ", password_hash")
  (global $SQL_FROM i32 (i32.const 186)) (global $SQL_FROM_LEN i32 (i32.const 6))
  (data (i32.const 186) " FROM ")
  (global $SQL_WHERE_PG i32 (i32.const 192)) (global $SQL_WHERE_PG_LEN i32 (i32.const 92))
  (data (i32.const 192) " WHERE lower(email) = lower($1) OR lower(username) = lower($2) ORDER BY id LIMIT 1\",\"args\":[")
  (global $SQL_WHERE_Q i32 (i32.const 284)) (global $SQL_WHERE_Q_LEN i32 (i32.const 90))
  (data (i32.const 284) " WHERE lower(email) = lower(?) OR lower(username) = lower(?) ORDER BY id LIMIT 1\",\"args\":[")
  (global $SQL_TAIL i32 (i32.const 374)) (global $SQL_TAIL_LEN i32 (i32.const 2))
  (data (i32.const 374) "]}")
  (global $OUT_NULL i32 (i32.const 376)) (global $OUT_NULL_LEN i32 (i32.const 13))
  (data (i32.const 376) "{\"user\":null}")
  (global $OUT_NOTFOUND i32 (i32.const 389)) (global $OUT_NOTFOUND_LEN i32 (i32.const 34))
  (data (i32.const 389) "{\"user\":null,\"reason\":\"not_found\"}")
  (global $OUT_WRONG i32 (i32.const 423)) (global $OUT_WRONG_LEN i32 (i32.const 39))
  (data (i32.const 423) "{\"user\":null,\"reason\":\"wrong_password\"}")
  (global $OUT_USER i32 (i32.const 462)) (global $OUT_USER_LEN i32 (i32.const 14))
  (data (i32.const 462) "{\"user\":{\"id\":")
  (global $OUT_EMAIL i32 (i32.const 476)) (global $OUT_EMAIL_LEN i32 (i32.const 9))
  (data (i32.const 476) ",\"email\":")
  (global $OUT_USERNAME i32 (i32.const 485)) (global $OUT_USERNAME_LEN i32 (i32.const 12))
  (data (i32.const 485) ",\"username\":")
  (global $OUT_NAME i32 (i32.const 497)) (global $OUT_NAME_LEN i32 (i32.const 8))
  (data (i32.const 497) ",\"name\":")
  (global $OUT_VER_T i32 (i32.const 505)) (global $OUT_VER_T_LEN i32 (i32.const 22))
  (data (i32.const 505) ",\"email_verified\":true")
  (global $OUT_VER_F i32 (i32.const 527)) (global $OUT_VER_F_LEN i32 (i32.const 23))
  (data (i32.const 527) ",\"email_verified\":false")
  (global $OUT_END i32 (i32.const 550)) (global $OUT_END_LEN i32 (i32.const 15))
  (data (i32.const 550) ",\"profile\":{}}}")
  (global $M_INPUT i32 (i32.const 565)) (global $M_INPUT_LEN i32 (i32.const 33))
  (data (i32.const 565) "input: cannot read the input JSON")
  (global $M_TABLE i32 (i32.const 598)) (global $M_TABLE_LEN i32 (i32.const 56))
  (data (i32.const 598) "config: table must be 1-64 characters of A-Z a-z 0-9 _ .")
  (global $M_QSTATUS i32 (i32.const 654)) (global $M_QSTATUS_LEN i32 (i32.const 34))
  (data (i32.const 654) "db_query failed with a host status")
  (global $M_QJSON i32 (i32.const 688)) (global $M_QJSON_LEN i32 (i32.const 39))
  (data (i32.const 688) "db_query: response is not a JSON object")
  (global $M_QERR i32 (i32.const 727)) (global $M_QERR_LEN i32 (i32.const 10))
  (data (i32.const 727) "db_query: ")
  (global $M_COLS i32 (i32.const 737)) (global $M_COLS_LEN i32 (i32.const 25))
  (data (i32.const 737) "db_query: too few columns")
  (global $M_ID i32 (i32.const 762)) (global $M_ID_LEN i32 (i32.const 25))
  (data (i32.const 762) "user row has no usable id")
  (global $M_NOHASH i32 (i32.const 787)) (global $M_NOHASH_LEN i32 (i32.const 25))
  (data (i32.const 787) "user has no password hash")
  (global $M_MALFORMED i32 (i32.const 812)) (global $M_MALFORMED_LEN i32 (i32.const 21))
  (data (i32.const 812) "malformed sha256 hash")
  (global $M_DIGEST i32 (i32.const 833)) (global $M_DIGEST_LEN i32 (i32.const 13))
  (data (i32.const 833) "digest failed")
  (global $M_VERIFY i32 (i32.const 846)) (global $M_VERIFY_LEN i32 (i32.const 22))
  (data (i32.const 846) "verify_password failed")
  (global $M_OUTPUT i32 (i32.const 868)) (global $M_OUTPUT_LEN i32 (i32.const 17))
  (data (i32.const 868) "output_set failed")
  (global $OUT_ID i32 (i32.const 885)) (global $OUT_ID_LEN i32 (i32.const 6))
  (data (i32.const 885) ",\"id\":")
  (global $OUT_PAGE i32 (i32.const 891)) (global $OUT_PAGE_LEN i32 (i32.const 10))
  (data (i32.const 891) "{\"users\":[")
  (global $OUT_NEXT i32 (i32.const 901)) (global $OUT_NEXT_LEN i32 (i32.const 16))
  (data (i32.const 901) "],\"next_cursor\":")
  (global $OUT_HASH i32 (i32.const 917)) (global $OUT_HASH_LEN i32 (i32.const 17))
  (data (i32.const 917) ",\"password_hash\":")
  (global $S_NULL i32 (i32.const 934)) (global $S_NULL_LEN i32 (i32.const 4))
  (data (i32.const 934) "null")
  (global $OUT_OK_T i32 (i32.const 938)) (global $OUT_OK_T_LEN i32 (i32.const 11))
  (data (i32.const 938) "{\"ok\":true}")
  (global $OUT_OK_F i32 (i32.const 949)) (global $OUT_OK_F_LEN i32 (i32.const 12))
  (data (i32.const 949) "{\"ok\":false}")
  (global $SQL_AFTER_PG i32 (i32.const 961)) (global $SQL_AFTER_PG_LEN i32 (i32.const 14))
  (data (i32.const 961) " WHERE id > $1")
  (global $SQL_AFTER_Q i32 (i32.const 975)) (global $SQL_AFTER_Q_LEN i32 (i32.const 13))
  (data (i32.const 975) " WHERE id > ?")
  (global $SQL_LIMIT i32 (i32.const 988)) (global $SQL_LIMIT_LEN i32 (i32.const 19))
  (data (i32.const 988) " ORDER BY id LIMIT ")
  (global $SQL_ARGS i32 (i32.const 1007)) (global $SQL_ARGS_LEN i32 (i32.const 10))
  (data (i32.const 1007) "\",\"args\":[")
  (global $K_LIMIT i32 (i32.const 1017)) (global $K_LIMIT_LEN i32 (i32.const 5))
  (data (i32.const 1017) "limit")
  (global $K_CURSOR i32 (i32.const 1022)) (global $K_CURSOR_LEN i32 (i32.const 6))
  (data (i32.const 1022) "cursor")
  (global $K_HASH i32 (i32.const 1028)) (global $K_HASH_LEN i32 (i32.const 13))
  (data (i32.const 1028) "password_hash")
  (global $M_CURSOR i32 (i32.const 1041)) (global $M_CURSOR_LEN i32 (i32.const 42))
  (data (i32.const 1041) "list_users: the cursor must be 1-18 digits")

  ;; ---- output and log ----

  (func $emit (param $p i32) (param $n i32)
    (memory.copy (global.get $w) (local.get $p) (local.get $n))
    (global.set $w (i32.add (global.get $w) (local.get $n))))

  (func $emit_byte (param $c i32)
    (i32.store8 (global.get $w) (local.get $c))
    (global.set $w (i32.add (global.get $w) (i32.const 1))))

  ;; $fail logs an error line and returns the export's failure result, 1.
  (func $fail (param $msg i32) (param $n i32) (result i32)
    (call $log (i32.const 3) (local.get $msg) (local.get $n))
    (i32.const 1))

  ;; $answer sets the output: 0, or 1 when the host refused it.
  (func $answer (param $p i32) (param $n i32) (result i32)
    (if (call $output_set (local.get $p) (local.get $n))
      (then (return (call $fail (global.get $M_OUTPUT) (global.get $M_OUTPUT_LEN)))))
    (i32.const 0))

  ;; $answer_wrong answers a wrong password naming the account (ABI v1.1), built in DATA:
  ;; OUT_WRONG with "id" added, the id's JSON string token [id, end) copied verbatim when
  ;; it is at most 258 bytes (256 and the quotes; the host takes ids of up to 256 bytes).
  (func $answer_wrong (param $id i32) (param $end i32) (result i32)
    (global.set $w (global.get $DATA))
    (call $emit (global.get $OUT_WRONG) (i32.sub (global.get $OUT_WRONG_LEN) (i32.const 1))) ;; all but the }
    (if (i32.le_u (i32.sub (local.get $end) (local.get $id)) (i32.const 258)) (then
      (call $emit (global.get $OUT_ID) (global.get $OUT_ID_LEN))
      (call $emit (local.get $id) (i32.sub (local.get $end) (local.get $id)))))
    (call $emit_byte (i32.const 0x7d))
    (call $answer (global.get $DATA) (i32.sub (global.get $w) (global.get $DATA))))

  ;; ---- JSON scanning (spans [p, end) of host-written text) ----

  (func $memeq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $no
      (loop $next
        (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
        (br_if $no (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func $ws (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x09)))
                                      (i32.or (i32.eq (local.get $c) (i32.const 0x0a)) (i32.eq (local.get $c) (i32.const 0x0d))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $p))

  ;; $skip_string returns the end of the string literal at p, or 0.
  (func $skip_string (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (loop $next
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $p) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p)
        (select (i32.const 2) (i32.const 1) (i32.eq (local.get $c) (i32.const 0x5c)))))
      (br $next))
    (unreachable))

  ;; $is_scalar: a byte of a number or of true, false, null.
  (func $is_scalar (param $c i32) (result i32)
    (i32.or (i32.or (i32.le_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9))
                    (i32.le_u (i32.sub (local.get $c) (i32.const 0x61)) (i32.const 25)))
            (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.eq (local.get $c) (i32.const 0x2b)))
                    (i32.or (i32.eq (local.get $c) (i32.const 0x2e)) (i32.eq (local.get $c) (i32.const 0x45))))))

  ;; $skip returns the end of the value at p (after whitespace), or 0 if malformed.
  (func $skip (param $p i32) (param $end i32) (result i32)
    (local $depth i32) (local $c i32) (local $s i32)
    (loop $value
      (local.set $p (call $ws (local.get $p) (local.get $end)))
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
      (local.set $c (i32.load8_u (local.get $p)))
      (block $after ;; a token ended: stop unless nested
        (block $more ;; an opening bracket or a separator: read on
          (if (i32.eq (local.get $c) (i32.const 0x22)) (then
            (local.set $p (call $skip_string (local.get $p) (local.get $end)))
            (if (i32.eqz (local.get $p)) (then (return (i32.const 0))))
            (br $after)))
          (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b))) (then
            (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $more)))
          (if (i32.or (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $c) (i32.const 0x5d))) (then
            (if (i32.eqz (local.get $depth)) (then (return (i32.const 0))))
            (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $after)))
          (if (i32.or (i32.eq (local.get $c) (i32.const 0x2c)) (i32.eq (local.get $c) (i32.const 0x3a))) (then
            (if (i32.eqz (local.get $depth)) (then (return (i32.const 0))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $more)))
          (local.set $s (local.get $p))
          (block $done
            (loop $scalar
              (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
              (br_if $done (i32.eqz (call $is_scalar (i32.load8_u (local.get $p)))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $scalar)))
          (if (i32.eq (local.get $p) (local.get $s)) (then (return (i32.const 0))))
          (br $after))
        (br $value))
      (br_if $value (local.get $depth)))
    (local.get $p))

  ;; $element finds, in the object or array [obj, end), the member named by [key, key+klen)
  ;; (key != 0) or the element number $i (key == 0). It returns the value's start and sets
  ;; $vend to its end, or returns 0.
  (func $element (param $obj i32) (param $end i32) (param $key i32) (param $klen i32) (param $i i32) (result i32)
    (local $p i32) (local $ke i32) (local $ve i32) (local $match i32) (local $c i32)
    (if (i32.ge_u (local.get $obj) (local.get $end)) (then (return (i32.const 0))))
    (local.set $c (i32.load8_u (local.get $obj)))
    (if (i32.ne (local.get $c) (select (i32.const 0x7b) (i32.const 0x5b) (local.get $key))) (then (return (i32.const 0))))
    (local.set $p (i32.add (local.get $obj) (i32.const 1)))
    (loop $next
      (local.set $p (call $ws (local.get $p) (local.get $end)))
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.or (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $c) (i32.const 0x5d))) (then (return (i32.const 0))))
      (if (i32.eq (local.get $c) (i32.const 0x2c)) (then
        (local.set $p (call $ws (i32.add (local.get $p) (i32.const 1)) (local.get $end)))
        (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))))
      (if (local.get $key)
        (then
          (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x22)) (then (return (i32.const 0))))
          (local.set $ke (call $skip_string (local.get $p) (local.get $end)))
          (if (i32.eqz (local.get $ke)) (then (return (i32.const 0))))
          (local.set $match (i32.and
            (i32.eq (i32.sub (i32.sub (local.get $ke) (local.get $p)) (i32.const 2)) (local.get $klen))
            (call $memeq (i32.add (local.get $p) (i32.const 1)) (local.get $key) (local.get $klen))))
          (local.set $p (call $ws (local.get $ke) (local.get $end)))
          (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
          (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x3a)) (then (return (i32.const 0))))
          (local.set $p (i32.add (local.get $p) (i32.const 1))))
        (else
          (local.set $match (i32.eqz (local.get $i)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))))
      (local.set $p (call $ws (local.get $p) (local.get $end)))
      (local.set $ve (call $skip (local.get $p) (local.get $end)))
      (if (i32.eqz (local.get $ve)) (then (return (i32.const 0))))
      (if (local.get $match) (then
        (global.set $vend (local.get $ve))
        (return (local.get $p))))
      (local.set $p (local.get $ve))
      (br $next))
    (unreachable))

  (func $member (param $obj i32) (param $end i32) (param $key i32) (param $klen i32) (result i32)
    (call $element (local.get $obj) (local.get $end) (local.get $key) (local.get $klen) (i32.const 0)))

  (func $index (param $arr i32) (param $end i32) (param $i i32) (result i32)
    (call $element (local.get $arr) (local.get $end) (i32.const 0) (i32.const 0) (local.get $i)))

  (func $hexval (param $c i32) (result i32)
    (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)) (then (return (i32.sub (local.get $c) (i32.const 0x30)))))
    (local.set $c (i32.or (local.get $c) (i32.const 0x20))) ;; lower case
    (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x61)) (i32.const 5)) (then (return (i32.sub (local.get $c) (i32.const 0x57)))))
    (i32.const -1))

  ;; $hex4 reads four hex digits at p (before end): their value, or -1.
  (func $hex4 (param $p i32) (param $end i32) (result i32)
    (local $v i32) (local $h i32) (local $k i32)
    (if (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 4)) (then (return (i32.const -1))))
    (loop $next
      (local.set $h (call $hexval (i32.load8_u (i32.add (local.get $p) (local.get $k)))))
      (if (i32.lt_s (local.get $h) (i32.const 0)) (then (return (i32.const -1))))
      (local.set $v (i32.or (i32.shl (local.get $v) (i32.const 4)) (local.get $h)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $k) (i32.const 4))))
    (local.get $v))

  ;; $utf8 writes code point cp at q as UTF-8 and returns the new q.
  (func $utf8 (param $q i32) (param $cp i32) (result i32)
    (if (i32.lt_u (local.get $cp) (i32.const 0x80)) (then
      (i32.store8 (local.get $q) (local.get $cp))
      (return (i32.add (local.get $q) (i32.const 1)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x800)) (then
      (i32.store8 (local.get $q) (i32.or (i32.const 0xc0) (i32.shr_u (local.get $cp) (i32.const 6))))
      (i32.store8 offset=1 (local.get $q) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
      (return (i32.add (local.get $q) (i32.const 2)))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x10000)) (then
      (i32.store8 (local.get $q) (i32.or (i32.const 0xe0) (i32.shr_u (local.get $cp) (i32.const 12))))
      (i32.store8 offset=1 (local.get $q) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3f))))
      (i32.store8 offset=2 (local.get $q) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
      (return (i32.add (local.get $q) (i32.const 3)))))
    (i32.store8 (local.get $q) (i32.or (i32.const 0xf0) (i32.shr_u (local.get $cp) (i32.const 18))))
    (i32.store8 offset=1 (local.get $q) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 12)) (i32.const 0x3f))))
    (i32.store8 offset=2 (local.get $q) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3f))))
    (i32.store8 offset=3 (local.get $q) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
    (i32.add (local.get $q) (i32.const 4)))

  ;; $decode decodes the string literal [p, end) to dst: its length, or -1 when [p, end)
  ;; is not a string. The result is never longer than the literal.
  (func $decode (param $p i32) (param $end i32) (param $dst i32) (result i32)
    (local $q i32) (local $c i32) (local $cp i32) (local $lo i32)
    (if (i32.or (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 2))
                (i32.or (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x22))
                        (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 0x22))))
      (then (return (i32.const -1))))
    (local.set $q (local.get $dst))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (local.set $end (i32.sub (local.get $end) (i32.const 1)))
    (loop $next
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.sub (local.get $q) (local.get $dst)))))
      (local.set $c (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (if (i32.ne (local.get $c) (i32.const 0x5c)) (then
        (i32.store8 (local.get $q) (local.get $c))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next)))
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (block $put
        (block $bad
          (br_if $put (i32.or (i32.eq (local.get $c) (i32.const 0x22))
                              (i32.or (i32.eq (local.get $c) (i32.const 0x5c)) (i32.eq (local.get $c) (i32.const 0x2f)))))
          (if (i32.eq (local.get $c) (i32.const 0x62)) (then (local.set $c (i32.const 0x08)) (br $put)))
          (if (i32.eq (local.get $c) (i32.const 0x66)) (then (local.set $c (i32.const 0x0c)) (br $put)))
          (if (i32.eq (local.get $c) (i32.const 0x6e)) (then (local.set $c (i32.const 0x0a)) (br $put)))
          (if (i32.eq (local.get $c) (i32.const 0x72)) (then (local.set $c (i32.const 0x0d)) (br $put)))
          (if (i32.eq (local.get $c) (i32.const 0x74)) (then (local.set $c (i32.const 0x09)) (br $put)))
          (br_if $bad (i32.ne (local.get $c) (i32.const 0x75)))
          ;; \uXXXX, joining a surrogate pair; a lone surrogate becomes U+FFFD
          (local.set $cp (call $hex4 (local.get $p) (local.get $end)))
          (br_if $bad (i32.lt_s (local.get $cp) (i32.const 0)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (if (i32.and (i32.eq (i32.and (local.get $cp) (i32.const 0xfc00)) (i32.const 0xd800))
                       (i32.and (i32.ge_s (i32.sub (local.get $end) (local.get $p)) (i32.const 6))
                                (i32.eq (i32.load16_u (local.get $p)) (i32.const 0x755c)))) ;; "\u"
            (then
              (local.set $lo (call $hex4 (i32.add (local.get $p) (i32.const 2)) (local.get $end)))
              (if (i32.eq (i32.and (local.get $lo) (i32.const 0xfc00)) (i32.const 0xdc00)) (then
                (local.set $cp (i32.add (i32.const 0x10000)
                  (i32.or (i32.shl (i32.sub (local.get $cp) (i32.const 0xd800)) (i32.const 10))
                          (i32.sub (local.get $lo) (i32.const 0xdc00)))))
                (local.set $p (i32.add (local.get $p) (i32.const 6)))))))
          (if (i32.eq (i32.and (local.get $cp) (i32.const 0xf800)) (i32.const 0xd800)) (then (local.set $cp (i32.const 0xfffd))))
          (local.set $q (call $utf8 (local.get $q) (local.get $cp)))
          (br $next))
        (return (i32.const -1)))
      (i32.store8 (local.get $q) (local.get $c))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $next))
    (unreachable))

  ;; $is_text: a string literal with at least one character.
  (func $is_text (param $p i32) (param $end i32) (result i32)
    (i32.and (i32.gt_s (i32.sub (local.get $end) (local.get $p)) (i32.const 2))
             (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x22))))

  ;; $truthy: true, a number other than zero, or "1", "t", "true".
  (func $truthy (param $p i32) (param $end i32) (result i32)
    (local $n i32) (local $c i32)
    (local.set $n (i32.sub (local.get $end) (local.get $p)))
    (if (i32.and (i32.eq (local.get $n) (i32.const 4))
                 (call $memeq (local.get $p) (i32.add (global.get $S_QTRUE) (i32.const 1)) (i32.const 4)))
      (then (return (i32.const 1))))
    (if (i32.and (i32.eq (local.get $n) (i32.const 6)) (call $memeq (local.get $p) (global.get $S_QTRUE) (i32.const 6)))
      (then (return (i32.const 1))))
    (if (i32.eq (local.get $n) (i32.const 3)) (then
      (return (i32.or (call $memeq (local.get $p) (global.get $S_Q1) (i32.const 3))
                      (call $memeq (local.get $p) (global.get $S_QT) (i32.const 3))))))
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.le_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9))))
      (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x65))) ;; e or E
        (if (i32.le_u (i32.sub (local.get $c) (i32.const 0x31)) (i32.const 8)) (then (return (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; $valid_table: 1-64 bytes of A-Z a-z 0-9 _ . (safe to splice into SQL).
  (func $valid_table (param $p i32) (param $n i32) (result i32)
    (local $c i32)
    (if (i32.or (i32.eqz (local.get $n)) (i32.gt_u (local.get $n) (i32.const 64))) (then (return (i32.const 0))))
    (loop $next
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eqz (i32.or (i32.or (i32.le_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 25))
                                   (i32.le_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
                           (i32.or (i32.eq (local.get $c) (i32.const 0x5f)) (i32.eq (local.get $c) (i32.const 0x2e)))))
        (then (return (i32.const 0))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $next (local.get $n)))
    (i32.const 1))

  ;; ---- the script ----

  ;; $check_sha256 verifies HASH[0, hn) = "sha256$<salt>$<hex of sha256(salt + password)>"
  ;; against PW[0, pwn): 1 match, 0 no match, -1 failed (logged).
  (func $check_sha256 (param $hn i32) (param $pwn i32) (result i32)
    (local $d i32) (local $n i32) (local $i i32) (local $b i32) (local $diff i32) (local $want i32)
    (local.set $d (i32.const 7))
    (block $found
      (loop $next
        (if (i32.ge_u (local.get $d) (local.get $hn)) (then
          (drop (call $fail (global.get $M_MALFORMED) (global.get $M_MALFORMED_LEN)))
          (return (i32.const -1))))
        (br_if $found (i32.eq (i32.load8_u (i32.add (global.get $HASH) (local.get $d))) (i32.const 0x24)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $next)))
    ;; DATA = salt + password
    (memory.copy (global.get $DATA) (i32.add (global.get $HASH) (i32.const 7)) (i32.sub (local.get $d) (i32.const 7)))
    (memory.copy (i32.add (global.get $DATA) (i32.sub (local.get $d) (i32.const 7))) (global.get $PW) (local.get $pwn))
    (local.set $n (call $digest (global.get $S_SHA256) (global.get $S_SHA256_LEN)
      (global.get $DATA) (i32.add (i32.sub (local.get $d) (i32.const 7)) (local.get $pwn))))
    (if (i32.or (i32.lt_s (local.get $n) (i32.const 0)) (i32.gt_s (local.get $n) (i32.const 64))) (then
      (drop (call $fail (global.get $M_DIGEST) (global.get $M_DIGEST_LEN)))
      (return (i32.const -1))))
    (if (i32.ne (call $result_read (global.get $DIG) (local.get $n)) (local.get $n)) (then
      (drop (call $fail (global.get $M_DIGEST) (global.get $M_DIGEST_LEN)))
      (return (i32.const -1))))
    ;; the wanted hex digest is after the second '$'; compare without an early exit
    (local.set $want (i32.add (i32.add (global.get $HASH) (local.get $d)) (i32.const 1)))
    (if (i32.ne (i32.sub (i32.sub (local.get $hn) (local.get $d)) (i32.const 1)) (i32.shl (local.get $n) (i32.const 1)))
      (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $b (i32.load8_u (i32.add (global.get $DIG) (local.get $i))))
        (local.set $diff (i32.or (local.get $diff)
          (i32.xor (i32.load8_u (i32.add (global.get $S_HEX) (i32.shr_u (local.get $b) (i32.const 4))))
                   (i32.load8_u (i32.add (local.get $want) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $diff (i32.or (local.get $diff)
          (i32.xor (i32.load8_u (i32.add (global.get $S_HEX) (i32.and (local.get $b) (i32.const 15))))
                   (i32.load8_u (i32.add (local.get $want) (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.eqz (local.get $diff)))

  ;; $check checks PW[0, pwn) against HASH[0, hn) (hn <= 0: no hash, which matches
  ;; nothing): salted SHA-256 here, any other format with verify_password. 1 match,
  ;; 0 no match, -1 failed (logged: a malformed hash, an unknown format, a host status).
  (func $check (param $hn i32) (param $pwn i32) (result i32)
    (local $ok i32)
    (if (i32.le_s (local.get $hn) (i32.const 0)) (then
      (call $log (i32.const 2) (global.get $M_NOHASH) (global.get $M_NOHASH_LEN))
      (return (i32.const 0))))
    (if (i32.and (i32.ge_u (local.get $hn) (global.get $S_SHA256P_LEN))
                 (call $memeq (global.get $HASH) (global.get $S_SHA256P) (global.get $S_SHA256P_LEN)))
      (then (return (call $check_sha256 (local.get $hn) (local.get $pwn)))))
    (local.set $ok (call $verify_password (global.get $HASH) (local.get $hn) (global.get $PW) (local.get $pwn)))
    (if (i32.lt_s (local.get $ok) (i32.const 0)) (then
      (drop (call $fail (global.get $M_VERIFY) (global.get $M_VERIFY_LEN)))
      (return (i32.const -1))))
    (local.get $ok))

  ;; $read_input reads the input, one JSON object, to INPUT and sets $in and $in_end:
  ;; 0, or 1 (logged).
  (func $read_input (result i32)
    (local $n i32) (local $end i32)
    (local.set $n (call $input_len))
    (if (i32.or (i32.lt_s (local.get $n) (i32.const 0)) (i32.gt_s (local.get $n) (i32.const 0x10000)))
      (then (return (call $fail (global.get $M_INPUT) (global.get $M_INPUT_LEN)))))
    (if (i32.ne (call $input_read (global.get $INPUT) (local.get $n)) (local.get $n))
      (then (return (call $fail (global.get $M_INPUT) (global.get $M_INPUT_LEN)))))
    (local.set $end (i32.add (global.get $INPUT) (local.get $n)))
    (global.set $in (call $ws (global.get $INPUT) (local.get $end)))
    (global.set $in_end (call $skip (global.get $in) (local.get $end)))
    (if (i32.or (i32.eqz (global.get $in_end)) (i32.ne (i32.load8_u (global.get $in)) (i32.const 0x7b)))
      (then (return (call $fail (global.get $M_INPUT) (global.get $M_INPUT_LEN)))))
    (i32.const 0))

  ;; $read_config reads config.table (a non-empty string, else "users"; decoded to DATA)
  ;; and config.dialect: 0, or 1 (logged) when the table is not safe to splice into SQL.
  (func $read_config (result i32)
    (local $cfg i32) (local $cfg_end i32) (local $v i32) (local $n i32)
    (global.set $tbl (global.get $S_USERS))
    (global.set $tbl_n (global.get $S_USERS_LEN))
    (global.set $pg (i32.const 0))
    (local.set $cfg (call $member (global.get $in) (global.get $in_end) (global.get $K_CONFIG) (global.get $K_CONFIG_LEN)))
    (if (local.get $cfg) (then
      (local.set $cfg_end (global.get $vend))
      (local.set $v (call $member (local.get $cfg) (local.get $cfg_end) (global.get $K_TABLE) (global.get $K_TABLE_LEN)))
      (if (local.get $v) (then
        (local.set $n (call $decode (local.get $v) (global.get $vend) (global.get $DATA)))
        (if (i32.gt_s (local.get $n) (i32.const 0)) (then
          (global.set $tbl (global.get $DATA))
          (global.set $tbl_n (local.get $n))))))
      (local.set $v (call $member (local.get $cfg) (local.get $cfg_end) (global.get $K_DIALECT) (global.get $K_DIALECT_LEN)))
      (if (local.get $v) (then
        (global.set $pg (i32.and
          (i32.eq (call $decode (local.get $v) (global.get $vend) (global.get $HASH)) (global.get $S_POSTGRES_LEN))
          (call $memeq (global.get $HASH) (global.get $S_POSTGRES) (global.get $S_POSTGRES_LEN))))))))
    (if (i32.eqz (call $valid_table (global.get $tbl) (global.get $tbl_n)))
      (then (return (call $fail (global.get $M_TABLE) (global.get $M_TABLE_LEN)))))
    (i32.const 0))

  ;; $query runs the request REQ..$w and reads the response to RESP. It returns the start
  ;; of the response's "rows" array (with $vend its end), 0 when there is none, or -1 when
  ;; the call must fail (logged: a host status, or the database's error).
  (func $query (result i32)
    (local $n i32) (local $resp_end i32) (local $obj i32) (local $obj_end i32) (local $v i32)
    (local.set $n (call $db_query (global.get $REQ) (i32.sub (global.get $w) (global.get $REQ))))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then
      (drop (call $fail (global.get $M_QSTATUS) (global.get $M_QSTATUS_LEN)))
      (return (i32.const -1))))
    (if (i32.gt_s (local.get $n) (i32.const 0x40000)) (then
      (drop (call $fail (global.get $M_QJSON) (global.get $M_QJSON_LEN)))
      (return (i32.const -1))))
    (if (i32.ne (call $result_read (global.get $RESP) (local.get $n)) (local.get $n)) (then
      (drop (call $fail (global.get $M_QSTATUS) (global.get $M_QSTATUS_LEN)))
      (return (i32.const -1))))
    ;; the response: {"error": "..."} or {"columns": [...], "rows": [[...], ...]}
    (local.set $resp_end (i32.add (global.get $RESP) (local.get $n)))
    (local.set $obj (call $ws (global.get $RESP) (local.get $resp_end)))
    (local.set $obj_end (call $skip (local.get $obj) (local.get $resp_end)))
    (if (i32.or (i32.eqz (local.get $obj_end)) (i32.ne (i32.load8_u (local.get $obj)) (i32.const 0x7b))) (then
      (drop (call $fail (global.get $M_QJSON) (global.get $M_QJSON_LEN)))
      (return (i32.const -1))))
    (local.set $v (call $member (local.get $obj) (local.get $obj_end) (global.get $K_ERROR) (global.get $K_ERROR_LEN)))
    (if (local.get $v) (then
      ;; log "db_query: <the database's message>"
      (global.set $w (global.get $DATA))
      (call $emit (global.get $M_QERR) (global.get $M_QERR_LEN))
      (local.set $n (call $decode (local.get $v) (global.get $vend) (global.get $w)))
      (if (i32.gt_s (local.get $n) (i32.const 0)) (then (global.set $w (i32.add (global.get $w) (local.get $n)))))
      (drop (call $fail (global.get $DATA) (i32.sub (global.get $w) (global.get $DATA))))
      (return (i32.const -1))))
    (call $member (local.get $obj) (local.get $obj_end) (global.get $K_ROWS) (global.get $K_ROWS_LEN)))

  ;; $next_item returns the start of the array element at p (just after the "[" or the
  ;; previous element) and sets $vend to its end, or returns 0 at the array's end.
  (func $next_item (param $p i32) (param $end i32) (result i32)
    (local $e i32)
    (local.set $p (call $ws (local.get $p) (local.get $end)))
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 0))))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x5d)) (then (return (i32.const 0))))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2c))
      (then (local.set $p (call $ws (i32.add (local.get $p) (i32.const 1)) (local.get $end)))))
    (local.set $e (call $skip (local.get $p) (local.get $end)))
    (if (i32.eqz (local.get $e)) (then (return (i32.const 0))))
    (global.set $vend (local.get $e))
    (local.get $p))

  ;; $emit_user writes the user of the row [row, row_end) at $w from the row's tokens:
  ;; {"id":... (a number becomes a string), email, username, email_verified, name and
  ;; "profile":{}, left open for more members; it sets $uid and $uid_end to the id's
  ;; string token. 0, or 1 (logged).
  (func $emit_user (param $row i32) (param $row_end i32) (result i32)
    (local $col i32) (local $c i32) (local $n i32)
    (call $emit (i32.add (global.get $OUT_USER) (i32.const 8)) (i32.const 6)) ;; {"id":
    (global.set $uid (global.get $w))
    (local.set $col (call $index (local.get $row) (local.get $row_end) (i32.const 0)))
    (if (i32.eqz (local.get $col)) (then (return (call $fail (global.get $M_COLS) (global.get $M_COLS_LEN)))))
    (local.set $c (i32.load8_u (local.get $col)))
    (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (i32.le_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
      (then
        (call $emit_byte (i32.const 0x22))
        (call $emit (local.get $col) (i32.sub (global.get $vend) (local.get $col)))
        (call $emit_byte (i32.const 0x22)))
      (else
        (if (i32.eqz (call $is_text (local.get $col) (global.get $vend)))
          (then (return (call $fail (global.get $M_ID) (global.get $M_ID_LEN)))))
        (call $emit (local.get $col) (i32.sub (global.get $vend) (local.get $col)))))
    (global.set $uid_end (global.get $w))
    (local.set $n (i32.const 1))
    (loop $next
      (local.set $col (call $index (local.get $row) (local.get $row_end) (local.get $n)))
      (if (i32.eqz (local.get $col)) (then (return (call $fail (global.get $M_COLS) (global.get $M_COLS_LEN)))))
      (if (i32.eq (local.get $n) (i32.const 3))
        (then
          (if (call $truthy (local.get $col) (global.get $vend))
            (then (call $emit (global.get $OUT_VER_T) (global.get $OUT_VER_T_LEN)))
            (else (call $emit (global.get $OUT_VER_F) (global.get $OUT_VER_F_LEN)))))
        (else
          (if (call $is_text (local.get $col) (global.get $vend)) (then
            (if (i32.eq (local.get $n) (i32.const 1)) (then (call $emit (global.get $OUT_EMAIL) (global.get $OUT_EMAIL_LEN))))
            (if (i32.eq (local.get $n) (i32.const 2)) (then (call $emit (global.get $OUT_USERNAME) (global.get $OUT_USERNAME_LEN))))
            (if (i32.eq (local.get $n) (i32.const 4)) (then (call $emit (global.get $OUT_NAME) (global.get $OUT_NAME_LEN))))
            (call $emit (local.get $col) (i32.sub (global.get $vend) (local.get $col)))))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $next (i32.le_u (local.get $n) (i32.const 4))))
    (call $emit (global.get $OUT_END) (i32.sub (global.get $OUT_END_LEN) (i32.const 2))) ;; ,"profile":{}
    (i32.const 0))

  ;; $run implements login and get_user.
  (func $run (param $login i32) (result i32)
    (local $v i32) (local $id i32) (local $id_end i32) (local $rows i32) (local $row i32) (local $row_end i32)
    (local $col i32) (local $pwn i32) (local $hn i32) (local $ok i32)
    (if (call $read_input) (then (return (i32.const 1))))
    (if (call $read_config) (then (return (i32.const 1))))

    ;; the identifier: a non-empty string, kept as its JSON text; else nobody is found
    (local.set $id (call $member (global.get $in) (global.get $in_end) (global.get $K_IDENT) (global.get $K_IDENT_LEN)))
    (local.set $id_end (global.get $vend))
    (if (i32.or (i32.eqz (local.get $id)) (i32.eqz (call $is_text (local.get $id) (local.get $id_end)))) (then
      (if (local.get $login) (then (return (call $answer (global.get $OUT_NOTFOUND) (global.get $OUT_NOTFOUND_LEN)))))
      (return (call $answer (global.get $OUT_NULL) (global.get $OUT_NULL_LEN)))))

    ;; the password (login): decoded to PW; anything but a string is ""
    (if (local.get $login) (then
      (local.set $v (call $member (global.get $in) (global.get $in_end) (global.get $K_PASSWORD) (global.get $K_PASSWORD_LEN)))
      (if (local.get $v) (then
        (local.set $pwn (call $decode (local.get $v) (global.get $vend) (global.get $PW)))
        (if (i32.lt_s (local.get $pwn) (i32.const 0)) (then (local.set $pwn (i32.const 0))))))))

    ;; the request: {"sql": "SELECT ...", "args": [identifier, identifier]}
    (global.set $w (global.get $REQ))
    (call $emit (global.get $SQL_HEAD) (global.get $SQL_HEAD_LEN))
    (if (local.get $login) (then (call $emit (global.get $SQL_PW) (global.get $SQL_PW_LEN))))
    (call $emit (global.get $SQL_FROM) (global.get $SQL_FROM_LEN))
    (call $emit (global.get $tbl) (global.get $tbl_n))
    (if (global.get $pg)
      (then (call $emit (global.get $SQL_WHERE_PG) (global.get $SQL_WHERE_PG_LEN)))
      (else (call $emit (global.get $SQL_WHERE_Q) (global.get $SQL_WHERE_Q_LEN))))
    (call $emit (local.get $id) (i32.sub (local.get $id_end) (local.get $id)))
    (call $emit_byte (i32.const 0x2c))
    (call $emit (local.get $id) (i32.sub (local.get $id_end) (local.get $id)))
    (call $emit (global.get $SQL_TAIL) (global.get $SQL_TAIL_LEN))
    (local.set $rows (call $query))
    (if (i32.lt_s (local.get $rows) (i32.const 0)) (then (return (i32.const 1))))
    (if (local.get $rows) (then
      (local.set $row (call $index (local.get $rows) (global.get $vend) (i32.const 0)))
      (local.set $row_end (global.get $vend))))
    (if (i32.eqz (local.get $row)) (then
      (if (local.get $login) (then (return (call $answer (global.get $OUT_NOTFOUND) (global.get $OUT_NOTFOUND_LEN)))))
      (return (call $answer (global.get $OUT_NULL) (global.get $OUT_NULL_LEN)))))

    ;; the answer, built in OUT: {"user":{...}}
    (global.set $w (global.get $OUT))
    (call $emit (global.get $OUT_USER) (i32.const 8)) ;; {"user":
    (if (call $emit_user (local.get $row) (local.get $row_end)) (then (return (i32.const 1))))
    (call $emit (i32.add (global.get $OUT_END) (i32.const 13)) (i32.const 2)) ;; }}

    ;; login: check the password against the hash (column 5)
    (if (local.get $login) (then
      (local.set $col (call $index (local.get $row) (local.get $row_end) (i32.const 5)))
      (if (i32.eqz (local.get $col)) (then (return (call $fail (global.get $M_COLS) (global.get $M_COLS_LEN)))))
      (local.set $hn (call $decode (local.get $col) (global.get $vend) (global.get $HASH)))
      (local.set $ok (call $check (local.get $hn) (local.get $pwn)))
      (if (i32.lt_s (local.get $ok) (i32.const 0)) (then (return (i32.const 1))))
      (if (i32.eqz (local.get $ok))
        (then (return (call $answer_wrong (global.get $uid) (global.get $uid_end)))))))
    (call $answer (global.get $OUT) (i32.sub (global.get $w) (global.get $OUT))))

  ;; $page_limit reads list_users's "limit" token [p, end): 1..100, else 100.
  (func $page_limit (param $p i32) (param $end i32) (result i32)
    (local $n i32) (local $d i32)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const 100))))
    (loop $next
      (local.set $d (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
      (if (i32.gt_u (local.get $d) (i32.const 9)) (then (return (i32.const 100))))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $d)))
      (if (i32.gt_u (local.get $n) (i32.const 100)) (then (return (i32.const 100))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end))))
    (select (local.get $n) (i32.const 100) (local.get $n)))

  ;; $is_cursor: the token [p, end) is a string of 1 to 18 ASCII digits (an id that fits
  ;; in a 64-bit integer).
  (func $is_cursor (param $p i32) (param $end i32) (result i32)
    (local $n i32)
    (local.set $n (i32.sub (local.get $end) (local.get $p)))
    (if (i32.or (i32.lt_u (local.get $n) (i32.const 3)) (i32.gt_u (local.get $n) (i32.const 20))) (then (return (i32.const 0))))
    (if (i32.or (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x22))
                (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 0x22)))
      (then (return (i32.const 0))))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (local.set $end (i32.sub (local.get $end) (i32.const 1)))
    (loop $next
      (if (i32.gt_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)) (i32.const 9)) (then (return (i32.const 0))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end))))
    (i32.const 1))

  ;; $emit_uint writes n in decimal at $w.
  (func $emit_uint (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 10)) (then (call $emit_uint (i32.div_u (local.get $n) (i32.const 10)))))
    (call $emit_byte (i32.add (i32.const 0x30) (i32.rem_u (local.get $n) (i32.const 10)))))

  ;; $list implements list_users: the users after the cursor (the last id of the previous
  ;; page) in id order, at most the input's limit (1-100, else 100) of them, each with its
  ;; hash token copied verbatim. The cursor's digits and the limit go into "args" as JSON
  ;; numbers: the database compares integers, not text.
  (func $list (result i32)
    (local $v i32) (local $v_end i32) (local $limit i32) (local $cur i32) (local $cur_n i32)
    (local $rows i32) (local $rows_end i32) (local $row i32) (local $row_end i32) (local $col i32) (local $count i32)
    (if (call $read_input) (then (return (i32.const 1))))
    (if (call $read_config) (then (return (i32.const 1))))
    (local.set $limit (i32.const 100))
    (local.set $v (call $member (global.get $in) (global.get $in_end) (global.get $K_LIMIT) (global.get $K_LIMIT_LEN)))
    (if (local.get $v) (then (local.set $limit (call $page_limit (local.get $v) (global.get $vend)))))
    ;; the cursor: absent or null for the first page, else a string of digits
    (local.set $v (call $member (global.get $in) (global.get $in_end) (global.get $K_CURSOR) (global.get $K_CURSOR_LEN)))
    (if (local.get $v) (then
      (local.set $v_end (global.get $vend))
      (if (i32.eqz (i32.and (i32.eq (i32.sub (local.get $v_end) (local.get $v)) (global.get $S_NULL_LEN))
                            (call $memeq (local.get $v) (global.get $S_NULL) (global.get $S_NULL_LEN)))) (then
        (if (i32.eqz (call $is_cursor (local.get $v) (local.get $v_end)))
          (then (return (call $fail (global.get $M_CURSOR) (global.get $M_CURSOR_LEN)))))
        (local.set $cur (i32.add (local.get $v) (i32.const 1)))
        (local.set $cur_n (i32.sub (i32.sub (local.get $v_end) (local.get $v)) (i32.const 2)))))))

    ;; the request: {"sql": "SELECT ... [WHERE id > ?] ORDER BY id LIMIT ?", "args": [[cursor,] limit]}
    (global.set $w (global.get $REQ))
    (call $emit (global.get $SQL_HEAD) (global.get $SQL_HEAD_LEN))
    (call $emit (global.get $SQL_PW) (global.get $SQL_PW_LEN))
    (call $emit (global.get $SQL_FROM) (global.get $SQL_FROM_LEN))
    (call $emit (global.get $tbl) (global.get $tbl_n))
    (if (local.get $cur_n) (then
      (if (global.get $pg)
        (then (call $emit (global.get $SQL_AFTER_PG) (global.get $SQL_AFTER_PG_LEN)))
        (else (call $emit (global.get $SQL_AFTER_Q) (global.get $SQL_AFTER_Q_LEN))))))
    (call $emit (global.get $SQL_LIMIT) (global.get $SQL_LIMIT_LEN))
    (if (global.get $pg)
      (then
        (call $emit_byte (i32.const 0x24))
        (call $emit_byte (select (i32.const 0x32) (i32.const 0x31) (local.get $cur_n))))
      (else (call $emit_byte (i32.const 0x3f))))
    (call $emit (global.get $SQL_ARGS) (global.get $SQL_ARGS_LEN))
    (if (local.get $cur_n) (then
      (call $emit (local.get $cur) (local.get $cur_n))
      (call $emit_byte (i32.const 0x2c))))
    (call $emit_uint (local.get $limit))
    (call $emit (global.get $SQL_TAIL) (global.get $SQL_TAIL_LEN))
    (local.set $rows (call $query))
    (if (i32.lt_s (local.get $rows) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $rows_end (global.get $vend))

    ;; the answer, built in OUT: {"users":[{...,"password_hash":...},...],"next_cursor":...}
    (global.set $w (global.get $OUT))
    (call $emit (global.get $OUT_PAGE) (global.get $OUT_PAGE_LEN))
    (if (i32.and (i32.ne (local.get $rows) (i32.const 0)) (i32.eq (i32.load8_u (local.get $rows)) (i32.const 0x5b))) (then
      (local.set $row_end (i32.add (local.get $rows) (i32.const 1)))
      (block $done
        (loop $next
          (local.set $row (call $next_item (local.get $row_end) (local.get $rows_end)))
          (br_if $done (i32.eqz (local.get $row)))
          (local.set $row_end (global.get $vend))
          (if (local.get $count) (then (call $emit_byte (i32.const 0x2c))))
          (if (call $emit_user (local.get $row) (local.get $row_end)) (then (return (i32.const 1))))
          (local.set $col (call $index (local.get $row) (local.get $row_end) (i32.const 5)))
          (if (i32.eqz (local.get $col)) (then (return (call $fail (global.get $M_COLS) (global.get $M_COLS_LEN)))))
          (call $emit (global.get $OUT_HASH) (global.get $OUT_HASH_LEN))
          (if (call $is_text (local.get $col) (global.get $vend))
            (then (call $emit (local.get $col) (i32.sub (global.get $vend) (local.get $col))))
            (else (call $emit (global.get $S_NULL) (global.get $S_NULL_LEN))))
          (call $emit_byte (i32.const 0x7d))
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (br $next)))))
    ;; a full page may have more after it: its last id is the next cursor
    (call $emit (global.get $OUT_NEXT) (global.get $OUT_NEXT_LEN))
    (if (i32.eq (local.get $count) (local.get $limit))
      (then (call $emit (global.get $uid) (i32.sub (global.get $uid_end) (global.get $uid))))
      (else (call $emit (global.get $S_NULL) (global.get $S_NULL_LEN))))
    (call $emit_byte (i32.const 0x7d))
    (call $answer (global.get $OUT) (i32.sub (global.get $w) (global.get $OUT))))

  ;; $verify implements verify_hash: the same check as login's, with no database.
  (func $verify (result i32)
    (local $v i32) (local $hn i32) (local $pwn i32) (local $ok i32)
    (if (call $read_input) (then (return (i32.const 1))))
    (local.set $hn (i32.const -1))
    (local.set $v (call $member (global.get $in) (global.get $in_end) (global.get $K_HASH) (global.get $K_HASH_LEN)))
    (if (local.get $v) (then (local.set $hn (call $decode (local.get $v) (global.get $vend) (global.get $HASH)))))
    (local.set $v (call $member (global.get $in) (global.get $in_end) (global.get $K_PASSWORD) (global.get $K_PASSWORD_LEN)))
    (if (local.get $v) (then
      (local.set $pwn (call $decode (local.get $v) (global.get $vend) (global.get $PW)))
      (if (i32.lt_s (local.get $pwn) (i32.const 0)) (then (local.set $pwn (i32.const 0))))))
    (local.set $ok (call $check (local.get $hn) (local.get $pwn)))
    (if (i32.lt_s (local.get $ok) (i32.const 0)) (then (return (i32.const 1))))
    (if (local.get $ok) (then (return (call $answer (global.get $OUT_OK_T) (global.get $OUT_OK_T_LEN)))))
    (call $answer (global.get $OUT_OK_F) (global.get $OUT_OK_F_LEN)))

  (func (export "login") (result i32) (call $run (i32.const 1)))
  (func (export "get_user") (result i32) (call $run (i32.const 0)))
  (func (export "list_users") (result i32) (call $list))
  (func (export "verify_hash") (result i32) (call $verify)))
