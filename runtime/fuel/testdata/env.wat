;; env: provides the globals and the memory imports.wat imports.
(module
  (global (export "base") i64 (i64.const 40))
  (global (export "counter") (mut i64) (i64.const 2))
  (memory (export "memory") 1))
