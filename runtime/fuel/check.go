package fuel

import "fmt"

// The element and data sections pass through Instrument unchanged; they are
// read only to refuse vectors that declare more entries than they have
// bytes, which wazero would allocate before finding out.

// checkElements reads the element section.
func checkElements(b []byte) error {
	r := reader{b: b}
	n, err := r.vec(1)
	for i := uint32(0); i < n && err == nil; i++ {
		if err = checkElement(&r); err != nil {
			err = fmt.Errorf("element segment %d: %w", i, err)
		}
	}
	if err != nil {
		return err
	}
	return trailing(&r)
}

func checkElement(r *reader) error {
	flags, err := r.u32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return fmt.Errorf("unsupported flags %d", flags)
	}
	if flags&2 != 0 && flags&1 == 0 { // explicit table index
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	if flags&1 == 0 { // active: offset expression
		if err := skipConstExpr(r); err != nil {
			return err
		}
	}
	if flags&3 != 0 { // element kind or reference type
		if _, err := r.byte(); err != nil {
			return err
		}
	}
	if flags&4 == 0 { // function indices
		n, err := r.vec(1)
		for i := uint32(0); i < n && err == nil; i++ {
			_, err = r.u32()
		}
		return err
	}
	n, err := r.vec(2) // expressions
	for i := uint32(0); i < n && err == nil; i++ {
		err = skipConstExpr(r)
	}
	return err
}

// checkCode reads the function bodies' local declarations, refusing more
// than maxLocals in one function: wazero allocates one byte per declared
// local while decoding.
func checkCode(b []byte) error {
	r := reader{b: b}
	n, err := r.vec(1)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		size, err := r.vec(1)
		if err != nil {
			return fmt.Errorf("body %d: %w", i, err)
		}
		body := reader{b: r.b[r.pos : r.pos+int(size)]}
		r.pos += int(size)
		decls, err := body.vec(2)
		if err != nil {
			return fmt.Errorf("body %d: %w", i, err)
		}
		var sum uint64
		for j := uint32(0); j < decls; j++ {
			k, err := body.u32()
			if err != nil {
				return fmt.Errorf("body %d: %w", i, err)
			}
			if sum += uint64(k); sum > maxLocals {
				return fmt.Errorf("%w: body %d declares more than %d locals", errImplausible, i, maxLocals)
			}
			if _, err := body.byte(); err != nil {
				return fmt.Errorf("body %d: %w", i, err)
			}
		}
	}
	return trailing(&r)
}

// checkData reads the data section.
func checkData(b []byte) error {
	r := reader{b: b}
	n, err := r.vec(1)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		flags, err := r.u32()
		if err != nil {
			return err
		}
		switch flags {
		case 0:
			err = skipConstExpr(&r)
		case 1:
		case 2:
			if _, err = r.u32(); err == nil {
				err = skipConstExpr(&r)
			}
		default:
			err = fmt.Errorf("unsupported flags %d", flags)
		}
		if err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
		size, err := r.vec(1)
		if err != nil {
			return fmt.Errorf("data segment %d: %w", i, err)
		}
		r.pos += int(size)
	}
	return trailing(&r)
}

// skipConstExpr skips a constant expression of the WebAssembly 2.0 core,
// up to and including its end.
func skipConstExpr(r *reader) error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case opEnd:
			return nil
		case opI32Const:
			err = r.sleb(5)
		case opI64Const:
			err = r.sleb(10)
		case opF32Const:
			err = r.skip(4)
		case opF64Const:
			err = r.skip(8)
		case opGlobalGet, opRefFunc:
			_, err = r.u32()
		case opRefNull:
			_, err = r.byte()
		case opPrefixSIMD:
			var sub byte
			if sub, err = r.byte(); err == nil && sub != 0x0c {
				err = fmt.Errorf("unsupported constant instruction 0xfd 0x%02x", sub)
			}
			if err == nil {
				err = r.skip(16)
			}
		default:
			err = fmt.Errorf("unsupported constant instruction 0x%02x", op)
		}
		if err != nil {
			return err
		}
	}
}
