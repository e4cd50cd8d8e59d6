;; spin: a tenant module that never answers. login and get_user loop forever,
;; so every call runs until the tenant's fuel limit ends it (out_of_fuel).
;; The noisy-neighbour row of wasmauth-bench uploads it as the noisy tenant.
(module
  (memory (export "memory") 1)
  (func $spin (result i32)
    (local $x i32)
    (loop $l
      (local.set $x (i32.add (local.get $x) (i32.const 1)))
      (br $l))
    (unreachable))
  (export "login" (func $spin))
  (export "get_user" (func $spin)))
