;; start_only is a WASI command: it exports _start and nothing else.
;; Expected: 400 invalid_module at upload.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
