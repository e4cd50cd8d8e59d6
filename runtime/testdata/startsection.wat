;; startsection has a wasm start function that loops forever: instantiation
;; runs out of the initialisation fuel. Build: wat2wasm startsection.wat -o startsection.wasm
(module
  (memory (export "memory") 1)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "login") (result i32) (i32.const 0))
  (func (export "get_user") (result i32) (i32.const 0)))
