;; argon2_1gib asks verify_password to check a password against an argon2id
;; hash with m = 1 GiB and t = 10, logs which status it got, and answers
;; {"user": null}.
;; Expected: the hash is refused before any work (status -2, too large), so
;; the call answers at once and no memory is taken for it.
(module
  (import "wasmauth" "verify_password" (func $verify (param i32 i32 i32 i32) (result i32)))
  (import "wasmauth" "output_set" (func $output (param i32 i32) (result i32)))
  (import "wasmauth" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"user\":null}")
  (data (i32.const 32) "verify_password: too large (-2)")
  (data (i32.const 80) "verify_password: another result")
  (data (i32.const 128) "correct horse battery staple")
  (data (i32.const 256) "$argon2id$v=19$m=1048576,t=10,p=1$c29tZXNhbHRzb21lc2FsdA$E2UjtrDTCgIx4mfpqQ9GwLzvabuQuVCcwisqBRbSI+4")
  (func $check
    (if (i32.eq (call $verify (i32.const 256) (i32.const 100) (i32.const 128) (i32.const 28)) (i32.const -2))
      (then (call $log (i32.const 1) (i32.const 32) (i32.const 31)))
      (else (call $log (i32.const 1) (i32.const 80) (i32.const 31))))
    (drop (call $output (i32.const 0) (i32.const 13))))
  (func (export "login") (result i32) (call $check) (i32.const 0))
  (func (export "get_user") (result i32) (call $check) (i32.const 0)))
