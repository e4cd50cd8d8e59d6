package fuel

import (
	"errors"
	"fmt"
)

// errTruncated reports input that ends in the middle of a value.
var errTruncated = errors.New("unexpected end of input")

// reader walks a byte slice. Every method checks bounds, so a malformed
// module yields an error and never a panic.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) skip(n int) error {
	if n < 0 || n > len(r.b)-r.pos {
		return errTruncated
	}
	r.pos += n
	return nil
}

// u32 reads an unsigned LEB128 value of at most 5 bytes, with the same
// overflow rule as wazero's decoder.
func (r *reader) u32() (uint32, error) {
	var v uint32
	var shift uint
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if c < 0x80 {
			if i == 4 && c&0xf0 != 0 {
				return 0, errors.New("u32 overflows 32 bits")
			}
			return v | uint32(c)<<shift, nil
		}
		v |= uint32(c&0x7f) << shift
		shift += 7
	}
	return 0, errors.New("u32 longer than 5 bytes")
}

// sleb skips a signed LEB128 value of at most maxLen bytes; the value itself
// is never needed by the instrumenter, only its length.
func (r *reader) sleb(maxLen int) error {
	for i := 0; i < maxLen; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		if c < 0x80 {
			return nil
		}
	}
	return fmt.Errorf("signed integer longer than %d bytes", maxLen)
}

// s33 reads a signed 33-bit LEB128 value (a block type).
func (r *reader) s33() (int64, error) {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			if v < -(1<<32) || v >= 1<<32 {
				return 0, errors.New("block type overflows 33 bits")
			}
			return v, nil
		}
	}
	return 0, errors.New("block type longer than 5 bytes")
}

// name reads a length-prefixed UTF-8 name and returns it.
func (r *reader) name() (string, error) {
	n, err := r.vec(1)
	if err != nil {
		return "", err
	}
	start := r.pos
	r.pos += int(n)
	return string(r.b[start:r.pos]), nil
}

// vec reads the length of a vector whose entries take at least minSize
// bytes each, and refuses a length that cannot fit in what is left as
// implausible: wazero sizes allocations by such lengths before reading the
// entries.
func (r *reader) vec(minSize int) (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if left := len(r.b) - r.pos; uint64(n)*uint64(minSize) > uint64(left) {
		return 0, fmt.Errorf("%w: %d entries declared in %d bytes", errImplausible, n, left)
	}
	return n, nil
}

// appendU32 appends v as unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendS64 appends v as signed LEB128.
func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
