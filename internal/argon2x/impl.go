package argon2x

// impl is one compression function, for tests and benchmarks.
type impl struct {
	name string
	f    func(out, x, y *block, xor bool)
}

// Implementation names the block compression in use: "avx512", "avx2" or
// "generic".
func Implementation() string {
	impls := implementations()
	return impls[len(impls)-1].name
}
