;; othermod imports from a module that is not offered. Build: wat2wasm othermod.wat -o othermod.wasm
(module
  (import "env" "emscripten_memcpy_big" (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
