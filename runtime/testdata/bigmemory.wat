;; bigmemory starts with 300 MiB of memory (4800 pages). Build: wat2wasm bigmemory.wat -o bigmemory.wasm
(module
  (memory (export "memory") 4800)
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
