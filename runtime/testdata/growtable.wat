;; growtable has a table without a maximum and grows it by 2^30 entries in
;; login, answering {"user":null} when the grow fails (as it must: the
;; runtime caps tables). Build: wat2wasm growtable.wat -o growtable.wasm
(module
  (import "wasmauth" "output_set" (func $output_set (param i32 i32) (result i32)))
  (table $t 1 funcref)
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"user\":null}")
  (func (export "login") (result i32)
    (if (i32.ne (table.grow $t (ref.null func) (i32.const 0x40000000)) (i32.const -1))
      (then (return (i32.const 1))))
    (drop (call $output_set (i32.const 0) (i32.const 13)))
    (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
