;; infinite_loop spins forever in login and get_user.
;; Expected: out_of_fuel within about a second; the instance is thrown away.
(module
  (memory (export "memory") 1)
  (func $spin (result i32)
    (loop $forever (br $forever))
    (i32.const 0))
  (func (export "login") (result i32) (call $spin))
  (func (export "get_user") (result i32) (call $spin)))
