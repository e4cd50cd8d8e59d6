;; badexport exports login with parameters. Build: wat2wasm badexport.wat -o badexport.wasm
(module
  (memory (export "memory") 1)
  (func (export "login") (param i32) (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
