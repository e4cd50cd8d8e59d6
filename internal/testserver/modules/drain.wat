;; drain.wat - a test module of ABI v1.1's optional exports over the examples'
;; legacy users table (examples-wasm/testdata/schema.*.sql) in SQLite,
;; PostgreSQL and MariaDB:
;;   list_users  pages through the table by id; the database builds each
;;               page's JSON (json_object, json_build_object, JSON_OBJECT) and
;;               sends it hex-encoded, so this module only copies tokens and
;;               decodes hex;
;;   verify_hash checks the examples' "sha256$<salt>$<hex of sha256(salt +
;;               password)>" scheme and fails on any other format; it also
;;               checks that db_query answers -4 in it;
;;   login and get_user answer {"user": null}: this module only drains.
;; It reads its input by searching for the members the server writes
;; ("cursor", "limit", "table", "driver", "password_hash", "password"),
;; which is enough for a test module, not for a real one.
;;
;; Build (from internal/testserver/modules):
;;   wat2wasm drain.wat -o drain.wasm
;;
;; Memory (12 pages):
;;   16 .. 16 KiB   constants (below)
;;   INPUT 0x10000  the input (64 KiB)
;;   REQ   0x20000  the db_query request
;;   RESP  0x30000  the db_query response (256 KiB)
;;   OUT   0x70000  the decoded answer (128 KiB)
;;   DATA  0x90000  salt + password
;;   DIG   0xA0000  a digest, then the stored one decoded
(module
  (import "wasmauth" "input_len" (func $input_len (result i32)))
  (import "wasmauth" "input_read" (func $input_read (param i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (import "wasmauth" "db_query" (func $db_query (param i32 i32) (result i32)))
  (import "wasmauth" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "wasmauth" "digest" (func $digest (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 12)

  (global $INPUT i32 (i32.const 0x10000))
  (global $REQ i32 (i32.const 0x20000))
  (global $RESP i32 (i32.const 0x30000))
  (global $OUT i32 (i32.const 0x70000))
  (global $DATA i32 (i32.const 0x90000))
  (global $DIG i32 (i32.const 0xA0000))
  ;; $w is $emit's cursor.
  (global $w (mut i32) (i32.const 0))

  (global $K_CURSOR i32 (i32.const 16)) (global $K_CURSOR_LEN i32 (i32.const 9))
  (data (i32.const 16) "\"cursor\":")
  (global $K_LIMIT i32 (i32.const 25)) (global $K_LIMIT_LEN i32 (i32.const 9))
  (data (i32.const 25) ",\"limit\":")
  (global $K_DRIVER i32 (i32.const 34)) (global $K_DRIVER_LEN i32 (i32.const 10))
  (data (i32.const 34) "\"driver\":\"")
  (global $K_TABLE i32 (i32.const 44)) (global $K_TABLE_LEN i32 (i32.const 9))
  (data (i32.const 44) "\"table\":\"")
  (global $K_ROWS i32 (i32.const 53)) (global $K_ROWS_LEN i32 (i32.const 10))
  (data (i32.const 53) "\"rows\":[[\"")
  (global $K_HASH i32 (i32.const 63)) (global $K_HASH_LEN i32 (i32.const 17))
  (data (i32.const 63) "\"password_hash\":\"")
  (global $K_PW i32 (i32.const 80)) (global $K_PW_LEN i32 (i32.const 12))
  (data (i32.const 80) "\"password\":\"")
  (global $S_POSTGRES i32 (i32.const 92)) (global $S_POSTGRES_LEN i32 (i32.const 8))
  (data (i32.const 92) "postgres")
  (global $S_MYSQL i32 (i32.const 100)) (global $S_MYSQL_LEN i32 (i32.const 5))
  (data (i32.const 100) "mysql")
  (global $S_SHA256P i32 (i32.const 105)) (global $S_SHA256P_LEN i32 (i32.const 7))
  (data (i32.const 105) "sha256$")
  (global $S_SHA256 i32 (i32.const 112)) (global $S_SHA256_LEN i32 (i32.const 6))
  (data (i32.const 112) "sha256")
  (global $S_COMMA i32 (i32.const 118)) (global $S_COMMA_LEN i32 (i32.const 1))
  (data (i32.const 118) ",")
  (global $S_END i32 (i32.const 119)) (global $S_END_LEN i32 (i32.const 2))
  (data (i32.const 119) "]}")
  (global $S_DUMMYQ i32 (i32.const 121)) (global $S_DUMMYQ_LEN i32 (i32.const 28))
  (data (i32.const 121) "{\"sql\":\"SELECT 1\",\"args\":[]}")
  (global $OUT_TRUE i32 (i32.const 149)) (global $OUT_TRUE_LEN i32 (i32.const 11))
  (data (i32.const 149) "{\"ok\":true}")
  (global $OUT_FALSE i32 (i32.const 160)) (global $OUT_FALSE_LEN i32 (i32.const 12))
  (data (i32.const 160) "{\"ok\":false}")
  (global $OUT_NULL i32 (i32.const 172)) (global $OUT_NULL_LEN i32 (i32.const 13))
  (data (i32.const 172) "{\"user\":null}")
  (global $M_QUERY i32 (i32.const 185)) (global $M_QUERY_LEN i32 (i32.const 29))
  (data (i32.const 185) "list_users: db_query failed: ")
  (global $SQL_HEAD_SQLITE i32 (i32.const 214)) (global $SQL_HEAD_SQLITE_LEN i32 (i32.const 349))
  (data (i32.const 214) "{\"sql\":\"SELECT hex(json_object('users', json_group_array(json_object('id', CAST(id AS TEXT), 'email', email, 'username', username, 'email_verified', json(CASE WHEN email_verified THEN 'true' ELSE 'false' END), 'name', name, 'password_hash', password_hash)), 'next_cursor', CASE WHEN count(*) = ? THEN CAST(max(id) AS TEXT) END)) FROM (SELECT * FROM ")
  (global $SQL_TAIL_SQLITE i32 (i32.const 563)) (global $SQL_TAIL_SQLITE_LEN i32 (i32.const 74))
  (data (i32.const 563) " WHERE id > COALESCE(CAST(? AS INTEGER), 0) ORDER BY id LIMIT ?)\",\"args\":[")
  (global $SQL_HEAD_PG i32 (i32.const 637)) (global $SQL_HEAD_PG_LEN i32 (i32.const 371))
  (data (i32.const 637) "{\"sql\":\"SELECT encode(convert_to(json_build_object('users', COALESCE(json_agg(json_build_object('id', id::text, 'email', email, 'username', username, 'email_verified', email_verified, 'name', name, 'password_hash', password_hash) ORDER BY id), '[]'::json), 'next_cursor', CASE WHEN count(*) = $1::bigint THEN max(id)::text END)::text, 'UTF8'), 'hex') FROM (SELECT * FROM ")
  (global $SQL_TAIL_PG i32 (i32.const 1008)) (global $SQL_TAIL_PG_LEN i32 (i32.const 83))
  (data (i32.const 1008) " WHERE id > COALESCE($2::text::bigint, 0) ORDER BY id LIMIT $3::bigint) u\",\"args\":[")
  (global $SQL_HEAD_MYSQL i32 (i32.const 1091)) (global $SQL_HEAD_MYSQL_LEN i32 (i32.const 400))
  (data (i32.const 1091) "{\"sql\":\"SELECT HEX(CONVERT(JSON_OBJECT('users', IF(COUNT(*) = 0, JSON_ARRAY(), JSON_ARRAYAGG(JSON_OBJECT('id', CAST(id AS CHAR), 'email', email, 'username', username, 'email_verified', JSON_EXTRACT(IF(email_verified, 'true', 'false'), '$'), 'name', name, 'password_hash', password_hash) ORDER BY id)), 'next_cursor', IF(COUNT(*) = ?, CAST(MAX(id) AS CHAR), NULL)) USING utf8mb4)) FROM (SELECT * FROM ")
  (global $SQL_TAIL_MYSQL i32 (i32.const 1491)) (global $SQL_TAIL_MYSQL_LEN i32 (i32.const 75))
  (data (i32.const 1491) " WHERE id > COALESCE(CAST(? AS SIGNED), 0) ORDER BY id LIMIT ?) u\",\"args\":[")

  ;; $find returns the position just after the first needle [k, k+kn) in
  ;; [p, end), or -1.
  (func $find (param $p i32) (param $end i32) (param $k i32) (param $kn i32) (result i32)
    (local $i i32)
    (block $none
      (loop $scan
        (br_if $none (i32.gt_s (i32.add (local.get $p) (local.get $kn)) (local.get $end)))
        (local.set $i (i32.const 0))
        (block $diff
          (loop $cmp
            (if (i32.eq (local.get $i) (local.get $kn))
              (then (return (i32.add (local.get $p) (local.get $kn)))))
            (br_if $diff (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                                 (i32.load8_u (i32.add (local.get $k) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $cmp)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scan)))
    (i32.const -1))

  ;; $upto returns the position of the first byte c in [p, end), or -1.
  (func $upto (param $p i32) (param $end i32) (param $c i32) (result i32)
    (block $none
      (loop $scan
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $p)) (local.get $c)) (then (return (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scan)))
    (i32.const -1))

  ;; $memeq compares n bytes at a and b.
  (func $memeq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $diff
      (loop $cmp
        (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
        (br_if $diff (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $cmp)))
    (i32.const 0))

  ;; $emit appends [p, p+n) at $w.
  (func $emit (param $p i32) (param $n i32)
    (memory.copy (global.get $w) (local.get $p) (local.get $n))
    (global.set $w (i32.add (global.get $w) (local.get $n))))

  (func $emit_byte (param $c i32)
    (i32.store8 (global.get $w) (local.get $c))
    (global.set $w (i32.add (global.get $w) (i32.const 1))))

  ;; $hexval returns the value of a hex digit, or -1.
  (func $hexval (param $c i32) (result i32)
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
      (then (return (i32.sub (local.get $c) (i32.const 48)))))
    (local.set $c (i32.or (local.get $c) (i32.const 32)))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 102)))
      (then (return (i32.sub (local.get $c) (i32.const 87)))))
    (i32.const -1))

  ;; $unhex decodes the hex digits at p up to the byte c to $w; it returns
  ;; the position of c, or -1.
  (func $unhex (param $p i32) (param $end i32) (param $c i32) (result i32)
    (local $hi i32) (local $lo i32)
    (loop $next
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
      (if (i32.eq (i32.load8_u (local.get $p)) (local.get $c)) (then (return (local.get $p))))
      (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $end)) (then (return (i32.const -1))))
      (local.set $hi (call $hexval (i32.load8_u (local.get $p))))
      (local.set $lo (call $hexval (i32.load8_u (i32.add (local.get $p) (i32.const 1)))))
      (if (i32.or (i32.lt_s (local.get $hi) (i32.const 0)) (i32.lt_s (local.get $lo) (i32.const 0)))
        (then (return (i32.const -1))))
      (call $emit_byte (i32.or (i32.shl (local.get $hi) (i32.const 4)) (local.get $lo)))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (br $next))
    (i32.const -1))

  ;; $hex4 reads four hex digits at p, or returns -1.
  (func $hex4 (param $p i32) (result i32)
    (local $i i32) (local $v i32) (local $d i32)
    (loop $next
      (local.set $d (call $hexval (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
      (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
      (local.set $v (i32.or (i32.shl (local.get $v) (i32.const 4)) (local.get $d)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 4))))
    (local.get $v))

  ;; $utf8 appends code point cp at $w.
  (func $utf8 (param $cp i32)
    (if (i32.lt_u (local.get $cp) (i32.const 0x80)) (then (call $emit_byte (local.get $cp)) (return)))
    (if (i32.lt_u (local.get $cp) (i32.const 0x800))
      (then
        (call $emit_byte (i32.or (i32.const 0xC0) (i32.shr_u (local.get $cp) (i32.const 6))))
        (call $emit_byte (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3F))))
        (return)))
    (if (i32.lt_u (local.get $cp) (i32.const 0x10000))
      (then
        (call $emit_byte (i32.or (i32.const 0xE0) (i32.shr_u (local.get $cp) (i32.const 12))))
        (call $emit_byte (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3F))))
        (call $emit_byte (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3F))))
        (return)))
    (call $emit_byte (i32.or (i32.const 0xF0) (i32.shr_u (local.get $cp) (i32.const 18))))
    (call $emit_byte (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 12)) (i32.const 0x3F))))
    (call $emit_byte (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3F))))
    (call $emit_byte (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3F)))))

  ;; $unquote decodes the JSON string body at p (after its opening quote)
  ;; to $w and returns 0, or -1 when it is malformed or runs past end.
  (func $unquote (param $p i32) (param $end i32) (result i32)
    (local $c i32) (local $cp i32) (local $lo i32)
    (loop $next
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 34)) (then (return (i32.const 0))))
      (if (i32.ne (local.get $c) (i32.const 92))
        (then
          (call $emit_byte (local.get $c))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $next)))
      (if (i32.ge_u (i32.add (local.get $p) (i32.const 1)) (local.get $end)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (i32.add (local.get $p) (i32.const 1))))
      (local.set $p (i32.add (local.get $p) (i32.const 2)))
      (block $simple
        (if (i32.eq (local.get $c) (i32.const 110)) (then (local.set $c (i32.const 10)) (br $simple)))
        (if (i32.eq (local.get $c) (i32.const 116)) (then (local.set $c (i32.const 9)) (br $simple)))
        (if (i32.eq (local.get $c) (i32.const 114)) (then (local.set $c (i32.const 13)) (br $simple)))
        (if (i32.eq (local.get $c) (i32.const 98)) (then (local.set $c (i32.const 8)) (br $simple)))
        (if (i32.eq (local.get $c) (i32.const 102)) (then (local.set $c (i32.const 12)) (br $simple)))
        (if (i32.ne (local.get $c) (i32.const 117)) (then (br $simple)))
        ;; \uXXXX, with a following low surrogate for a high one
        (if (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $end)) (then (return (i32.const -1))))
        (local.set $cp (call $hex4 (local.get $p)))
        (if (i32.lt_s (local.get $cp) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (if (i32.and (i32.ge_u (local.get $cp) (i32.const 0xD800)) (i32.lt_u (local.get $cp) (i32.const 0xDC00)))
          (then
            (if (i32.gt_u (i32.add (local.get $p) (i32.const 6)) (local.get $end)) (then (return (i32.const -1))))
            (local.set $lo (call $hex4 (i32.add (local.get $p) (i32.const 2))))
            (if (i32.lt_s (local.get $lo) (i32.const 0xDC00)) (then (return (i32.const -1))))
            (local.set $cp (i32.add (i32.const 0x10000)
              (i32.or (i32.shl (i32.sub (local.get $cp) (i32.const 0xD800)) (i32.const 10))
                      (i32.sub (local.get $lo) (i32.const 0xDC00)))))
            (local.set $p (i32.add (local.get $p) (i32.const 6)))))
        (call $utf8 (local.get $cp))
        (br $next))
      (call $emit_byte (local.get $c))
      (br $next))
    (i32.const -1))

  ;; $read_input reads the input to INPUT and returns its end, or -1.
  (func $read_input (result i32)
    (local $n i32)
    (local.set $n (call $input_len))
    (if (i32.gt_u (local.get $n) (i32.const 0x10000)) (then (return (i32.const -1))))
    (if (i32.ne (call $input_read (global.get $INPUT) (local.get $n)) (local.get $n)) (then (return (i32.const -1))))
    (i32.add (global.get $INPUT) (local.get $n)))

  ;; list_users: one page of the users table, ordered by id, after the
  ;; cursor (the last id of the previous page). The database builds the
  ;; answer's JSON and sends it hex-encoded; this only decodes it.
  (func (export "list_users") (result i32)
    (local $end i32) (local $c i32) (local $ce i32) (local $l i32) (local $le i32)
    (local $t i32) (local $te i32) (local $d i32) (local $de i32) (local $dialect i32)
    (local $st i32) (local $r i32)
    (local.set $end (call $read_input))
    (if (i32.lt_s (local.get $end) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $c (call $find (global.get $INPUT) (local.get $end) (global.get $K_CURSOR) (global.get $K_CURSOR_LEN)))
    (local.set $l (call $find (global.get $INPUT) (local.get $end) (global.get $K_LIMIT) (global.get $K_LIMIT_LEN)))
    (local.set $t (call $find (global.get $INPUT) (local.get $end) (global.get $K_TABLE) (global.get $K_TABLE_LEN)))
    (if (i32.or (i32.or (i32.lt_s (local.get $c) (i32.const 0)) (i32.lt_s (local.get $l) (i32.const 0)))
                (i32.lt_s (local.get $t) (i32.const 0)))
      (then (return (i32.const 1))))
    (local.set $ce (i32.sub (local.get $l) (global.get $K_LIMIT_LEN)))
    (local.set $le (call $upto (local.get $l) (local.get $end) (i32.const 44)))
    (if (i32.lt_s (local.get $le) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $te (call $upto (local.get $t) (local.get $end) (i32.const 34)))
    (if (i32.lt_s (local.get $te) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $d (call $find (global.get $INPUT) (local.get $end) (global.get $K_DRIVER) (global.get $K_DRIVER_LEN)))
    (if (i32.ge_s (local.get $d) (i32.const 0))
      (then
        (local.set $de (call $upto (local.get $d) (local.get $end) (i32.const 34)))
        (if (i32.and (i32.eq (i32.sub (local.get $de) (local.get $d)) (global.get $S_POSTGRES_LEN))
                     (call $memeq (local.get $d) (global.get $S_POSTGRES) (global.get $S_POSTGRES_LEN)))
          (then (local.set $dialect (i32.const 1))))
        (if (i32.and (i32.eq (i32.sub (local.get $de) (local.get $d)) (global.get $S_MYSQL_LEN))
                     (call $memeq (local.get $d) (global.get $S_MYSQL) (global.get $S_MYSQL_LEN)))
          (then (local.set $dialect (i32.const 2))))))
    (global.set $w (global.get $REQ))
    (if (i32.eq (local.get $dialect) (i32.const 0)) (then (call $emit (global.get $SQL_HEAD_SQLITE) (global.get $SQL_HEAD_SQLITE_LEN))))
    (if (i32.eq (local.get $dialect) (i32.const 1)) (then (call $emit (global.get $SQL_HEAD_PG) (global.get $SQL_HEAD_PG_LEN))))
    (if (i32.eq (local.get $dialect) (i32.const 2)) (then (call $emit (global.get $SQL_HEAD_MYSQL) (global.get $SQL_HEAD_MYSQL_LEN))))
    (call $emit (local.get $t) (i32.sub (local.get $te) (local.get $t)))
    (if (i32.eq (local.get $dialect) (i32.const 0)) (then (call $emit (global.get $SQL_TAIL_SQLITE) (global.get $SQL_TAIL_SQLITE_LEN))))
    (if (i32.eq (local.get $dialect) (i32.const 1)) (then (call $emit (global.get $SQL_TAIL_PG) (global.get $SQL_TAIL_PG_LEN))))
    (if (i32.eq (local.get $dialect) (i32.const 2)) (then (call $emit (global.get $SQL_TAIL_MYSQL) (global.get $SQL_TAIL_MYSQL_LEN))))
    ;; args: [limit, cursor, limit], the tokens copied from the input
    (call $emit (local.get $l) (i32.sub (local.get $le) (local.get $l)))
    (call $emit (global.get $S_COMMA) (i32.const 1))
    (call $emit (local.get $c) (i32.sub (local.get $ce) (local.get $c)))
    (call $emit (global.get $S_COMMA) (i32.const 1))
    (call $emit (local.get $l) (i32.sub (local.get $le) (local.get $l)))
    (call $emit (global.get $S_END) (global.get $S_END_LEN))
    (local.set $st (call $db_query (global.get $REQ) (i32.sub (global.get $w) (global.get $REQ))))
    (if (i32.lt_s (local.get $st) (i32.const 0)) (then (return (i32.const 2))))
    (if (i32.gt_u (local.get $st) (i32.const 0x40000)) (then (return (i32.const 2))))
    (drop (call $result_read (global.get $RESP) (local.get $st)))
    (local.set $r (call $find (global.get $RESP) (i32.add (global.get $RESP) (local.get $st)) (global.get $K_ROWS) (global.get $K_ROWS_LEN)))
    (if (i32.lt_s (local.get $r) (i32.const 0))
      (then
        (call $log (i32.const 3) (global.get $RESP) (local.get $st))
        (return (i32.const 3))))
    (global.set $w (global.get $OUT))
    (if (i32.lt_s (call $unhex (local.get $r) (i32.add (global.get $RESP) (local.get $st)) (i32.const 34)) (i32.const 0))
      (then (return (i32.const 4))))
    (if (i32.ne (call $output_set (global.get $OUT) (i32.sub (global.get $w) (global.get $OUT))) (i32.const 0))
      (then (return (i32.const 5))))
    (i32.const 0))

  ;; verify_hash: the examples' "sha256$<salt>$<hex of sha256(salt +
  ;; password)>"; any other format fails the call (the module does not know
  ;; it). It first checks that db_query answers -4 here, and fails if not.
  (func (export "verify_hash") (result i32)
    (local $end i32) (local $h i32) (local $he i32) (local $s i32) (local $se i32)
    (local $p i32) (local $n i32) (local $i i32) (local $ok i32)
    (if (i32.ne (call $db_query (global.get $S_DUMMYQ) (global.get $S_DUMMYQ_LEN)) (i32.const -4))
      (then (return (i32.const 9))))
    (local.set $end (call $read_input))
    (if (i32.lt_s (local.get $end) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $h (call $find (global.get $INPUT) (local.get $end) (global.get $K_HASH) (global.get $K_HASH_LEN)))
    (local.set $p (call $find (global.get $INPUT) (local.get $end) (global.get $K_PW) (global.get $K_PW_LEN)))
    (if (i32.or (i32.lt_s (local.get $h) (i32.const 0)) (i32.lt_s (local.get $p) (i32.const 0)))
      (then (return (i32.const 1))))
    (local.set $he (call $upto (local.get $h) (local.get $end) (i32.const 34)))
    (if (i32.lt_s (local.get $he) (i32.const 0)) (then (return (i32.const 1))))
    ;; "sha256$" salt "$" 64 hex digits
    (if (i32.lt_u (i32.sub (local.get $he) (local.get $h)) (i32.add (global.get $S_SHA256P_LEN) (i32.const 65)))
      (then (return (i32.const 6))))
    (if (i32.eqz (call $memeq (local.get $h) (global.get $S_SHA256P) (global.get $S_SHA256P_LEN)))
      (then (return (i32.const 6))))
    (local.set $s (i32.add (local.get $h) (global.get $S_SHA256P_LEN)))
    (local.set $se (i32.sub (local.get $he) (i32.const 65)))
    (if (i32.ne (i32.load8_u (local.get $se)) (i32.const 36)) (then (return (i32.const 6))))
    ;; DATA = salt + password
    (global.set $w (global.get $DATA))
    (call $emit (local.get $s) (i32.sub (local.get $se) (local.get $s)))
    (if (i32.lt_s (call $unquote (local.get $p) (local.get $end)) (i32.const 0)) (then (return (i32.const 1))))
    (local.set $n (call $digest (global.get $S_SHA256) (global.get $S_SHA256_LEN) (global.get $DATA) (i32.sub (global.get $w) (global.get $DATA))))
    (if (i32.ne (local.get $n) (i32.const 32)) (then (return (i32.const 7))))
    (drop (call $result_read (global.get $DIG) (i32.const 32)))
    ;; decode the stored hex next to the digest and compare
    (global.set $w (i32.add (global.get $DIG) (i32.const 32)))
    (if (i32.lt_s (call $unhex (i32.add (local.get $se) (i32.const 1)) (i32.add (local.get $he) (i32.const 1)) (i32.const 34)) (i32.const 0))
      (then (return (i32.const 6))))
    (local.set $ok (call $memeq (global.get $DIG) (i32.add (global.get $DIG) (i32.const 32)) (i32.const 32)))
    (if (local.get $ok)
      (then (drop (call $output_set (global.get $OUT_TRUE) (global.get $OUT_TRUE_LEN))))
      (else (drop (call $output_set (global.get $OUT_FALSE) (global.get $OUT_FALSE_LEN)))))
    (i32.const 0))

  ;; login and get_user know nobody: this module only drains.
  (func (export "login") (result i32)
    (drop (call $output_set (global.get $OUT_NULL) (global.get $OUT_NULL_LEN)))
    (i32.const 0))
  (func (export "get_user") (result i32)
    (drop (call $output_set (global.get $OUT_NULL) (global.get $OUT_NULL_LEN)))
    (i32.const 0)))
