package adversarial_test

// A minimal WebAssembly binary writer for the modules the tests generate:
// too large by one byte, or built to be slow to compile.

// uleb appends v as an unsigned LEB128.
func uleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// section appends a section with its id and size.
func section(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = uleb(b, uint64(len(body)))
	return append(b, body...)
}

func name(b []byte, s string) []byte {
	b = uleb(b, uint64(len(s)))
	return append(b, s...)
}

// genModule returns a valid module whose login and get_user are bodies[0]
// and bodies[1] and whose other functions are bodies[2:]; each body is the
// instructions of a function () -> i32 without locals, without its end. A
// custom section of pad bytes (0: none) follows.
func genModule(bodies [][]byte, locals int, pad int) []byte {
	b := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	b = section(b, 1, []byte{0x01, 0x60, 0x00, 0x01, 0x7f}) // one type: () -> i32
	fs := uleb(nil, uint64(len(bodies)))
	for range bodies {
		fs = append(fs, 0x00)
	}
	b = section(b, 3, fs)
	b = section(b, 5, []byte{0x01, 0x00, 0x01}) // one memory, 1 page
	ex := []byte{0x03}
	ex = append(name(ex, "memory"), 0x02, 0x00)
	ex = append(name(ex, "login"), 0x00, 0x00)
	ex = append(name(ex, "get_user"), 0x00, 0x01)
	b = section(b, 7, ex)
	code := uleb(nil, uint64(len(bodies)))
	for _, body := range bodies {
		fn := []byte{}
		if locals > 0 {
			fn = append(fn, 0x01)
			fn = uleb(fn, uint64(locals))
			fn = append(fn, 0x7f)
		} else {
			fn = append(fn, 0x00)
		}
		fn = append(fn, body...)
		fn = append(fn, 0x0b)
		code = uleb(code, uint64(len(fn)))
		code = append(code, fn...)
	}
	b = section(b, 10, code)
	if pad > 0 {
		// id, size, name "pad", bytes: size the section so the module ends
		// up exactly pad bytes longer.
		body := name(nil, "pad")
		n := pad - 1 - len(body)
		// The size LEB takes a few bytes of the pad too.
		for k := 1; k <= 5; k++ {
			if len(uleb(nil, uint64(len(body)+n-k))) == k {
				n -= k
				break
			}
		}
		body = append(body, make([]byte, n)...)
		b = section(b, 0, body)
	}
	return b
}

// returnZero is the body "i32.const 0".
var returnZero = []byte{0x41, 0x00}

// sizedModule returns a valid module of exactly size bytes.
func sizedModule(size int) []byte {
	base := genModule([][]byte{returnZero, returnZero}, 0, 0)
	return genModule([][]byte{returnZero, returnZero}, 0, size-len(base))
}

// slowBody returns a function body that keeps n values live at once: it
// pushes local.get of n different locals and adds them all, which makes an
// optimising compiler's register allocation work hard.
func slowBody(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, 0x20) // local.get
		b = uleb(b, uint64(i))
	}
	for i := 1; i < n; i++ {
		b = append(b, 0x6a) // i32.add
	}
	return b
}

// nestedBody returns a body of depth nested loops whose innermost block reads
// n locals: an SSA-building compiler needs a value for every local at every
// loop header, depth x n of them, from a body of a few bytes per local.
func nestedBody(depth, n int) []byte {
	var b []byte
	for range depth {
		b = append(b, 0x03, 0x40) // loop (empty block type)
	}
	for i := 0; i < n; i++ {
		b = append(b, 0x20) // local.get
		b = uleb(b, uint64(i))
		b = append(b, 0x1a) // drop
	}
	for range depth {
		b = append(b, 0x0b) // end
	}
	return append(b, 0x41, 0x00)
}

// brTableBody returns a body of depth nested blocks whose innermost block
// reads n locals and then branches with a br_table of targets entries spread
// over the enclosing blocks: every entry is an edge that carries the live
// locals.
func brTableBody(depth, n, targets int) []byte {
	var b []byte
	for range depth {
		b = append(b, 0x02, 0x40) // block
	}
	for i := 0; i < n; i++ {
		b = append(b, 0x20)
		b = uleb(b, uint64(i))
		b = append(b, 0x21) // local.set: keep every local defined here
		b = uleb(b, uint64((i+1)%n))
	}
	b = append(b, 0x41, 0x00, 0x0e) // i32.const 0, br_table
	b = uleb(b, uint64(targets))
	for i := 0; i <= targets; i++ {
		b = uleb(b, uint64(i%depth))
	}
	for range depth {
		b = append(b, 0x20, 0x00, 0x1a, 0x0b) // local.get 0, drop, end
	}
	return append(b, 0x41, 0x00)
}
