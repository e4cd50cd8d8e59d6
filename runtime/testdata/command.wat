;; command is a WASI command: it exports only _start. Build: wat2wasm command.wat -o command.wasm
(module
  (memory (export "memory") 1)
  (func (export "_start")))
