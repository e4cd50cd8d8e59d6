;; nomemory does not export its memory. Build: wat2wasm nomemory.wat -o nomemory.wasm
(module
  (memory 1)
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
