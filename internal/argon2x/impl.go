package argon2x

// impl is one compression function, for tests and benchmarks.
type impl struct {
	name string
	f    func(out, x, y *block, xor bool)
}
