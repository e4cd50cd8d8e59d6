// Package wasmbin reads the WebAssembly binary format: LEB128 integers,
// vectors, names, sections, segments and instructions, with one table of
// every instruction's immediates (instr.go). It is the one reader behind the
// three walks of an uploaded module: validation and the compile-cost
// estimate (package runtime) and the fuel rewriter (package runtime/fuel), so
// a new opcode is added here once.
//
// It reads untrusted bytes. Every read checks bounds and returns an error,
// never panics, and a count is refused before anything is sized by it when
// the bytes left cannot back it (Reader.Count). It reads instructions as
// wazero v1.12 does, so that what its users measure and rewrite is what the
// engine will compile.
package wasmbin

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrTruncated reports input that ends in the middle of a value.
var ErrTruncated = errors.New("unexpected end of input")

// ErrImplausible marks a declaration that cannot be right, such as a vector
// declaring more entries than it has bytes. wazero v1.12 sizes allocations by
// the counts a module declares before it reads the entries, so a few bytes
// declaring four billion of something cost it seconds and gigabytes before
// it finds the module invalid; such declarations are refused first.
var ErrImplausible = errors.New("implausible module")

// implausible is an error that matches ErrImplausible.
type implausible string

func (e implausible) Error() string        { return string(e) }
func (e implausible) Is(target error) bool { return target == ErrImplausible }

func implausiblef(format string, args ...any) error {
	return implausible(fmt.Sprintf(format, args...))
}

// Reader reads the binary format from a byte slice.
type Reader struct {
	b   []byte
	pos int
}

// NewReader returns a Reader at the start of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Reset makes r read b from its start.
func (r *Reader) Reset(b []byte) { r.b, r.pos = b, 0 }

// Pos returns the offset of the next byte to read.
func (r *Reader) Pos() int { return r.pos }

// Len returns the number of bytes left.
func (r *Reader) Len() int { return len(r.b) - r.pos }

// EOF reports whether every byte has been read.
func (r *Reader) EOF() bool { return r.pos >= len(r.b) }

// Done returns an error when bytes are left.
func (r *Reader) Done() error {
	if n := r.Len(); n > 0 {
		return fmt.Errorf("%d bytes left over at the end", n)
	}
	return nil
}

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, ErrTruncated
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// Skip skips n bytes.
func (r *Reader) Skip(n uint32) error {
	if uint64(n) > uint64(r.Len()) {
		return ErrTruncated
	}
	r.pos += int(n)
	return nil
}

// Bytes reads the next n bytes; the result aliases the input.
func (r *Reader) Bytes(n uint32) ([]byte, error) {
	start := r.pos
	if err := r.Skip(n); err != nil {
		return nil, err
	}
	return r.b[start:r.pos:r.pos], nil
}

// U32 reads an unsigned LEB128 integer of at most 32 bits (5 bytes, the
// last using at most 4 bits), the rule of wazero's decoder.
func (r *Reader) U32() (uint32, error) {
	if r.pos < len(r.b) {
		if c := r.b[r.pos]; c < 0x80 { // one byte, the most common
			r.pos++
			return uint32(c), nil
		}
	}
	return r.u32()
}

func (r *Reader) u32() (uint32, error) {
	var v uint32
	var shift uint
	for i := 0; i < 5; i++ {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		if c < 0x80 {
			if i == 4 && c&0xf0 != 0 {
				return 0, errors.New("integer overflows 32 bits")
			}
			return v | uint32(c)<<shift, nil
		}
		v |= uint32(c&0x7f) << shift
		shift += 7
	}
	return 0, errors.New("integer longer than 5 bytes")
}

// S33 reads a signed LEB128 integer of at most 33 bits (a block type).
func (r *Reader) S33() (int64, error) {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			if v < -(1<<32) || v >= 1<<32 {
				return 0, errors.New("integer overflows 33 bits")
			}
			return v, nil
		}
	}
	return 0, errors.New("integer longer than 5 bytes")
}

// SkipS32 skips a signed LEB128 integer of at most 5 bytes (i32.const);
// its value is never needed, only its length.
func (r *Reader) SkipS32() error { return r.skipSigned(5) }

// SkipS64 skips a signed LEB128 integer of at most 10 bytes (i64.const).
func (r *Reader) SkipS64() error { return r.skipSigned(10) }

func (r *Reader) skipSigned(maxLen int) error {
	for i := 0; i < maxLen; i++ {
		c, err := r.Byte()
		if err != nil {
			return err
		}
		if c < 0x80 {
			return nil
		}
	}
	return fmt.Errorf("integer longer than %d bytes", maxLen)
}

// Count reads the length of a vector whose entries take at least minSize
// bytes each, and refuses, as implausible, a length the bytes left cannot
// hold. what names the entries in errors.
func (r *Reader) Count(what string, minSize int) (uint32, error) {
	n, err := r.U32()
	if err != nil {
		return 0, fmt.Errorf("%s count: %w", what, err)
	}
	if left := r.Len(); uint64(n)*uint64(minSize) > uint64(left) {
		return 0, implausiblef("%s count %d is larger than its section: %d entries declared in %d bytes", what, n, n, left)
	}
	return n, nil
}

// Name reads a length-prefixed name, which must be UTF-8 as every name in
// a module must; the result aliases the input. what
// names it in errors.
func (r *Reader) Name(what string) ([]byte, error) {
	n, err := r.U32()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	b, err := r.Bytes(n)
	if err != nil {
		return nil, implausiblef("%s of %d bytes is larger than its section", what, n)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%s is not valid UTF-8", what)
	}
	return b, nil
}

// AppendU32 appends v as unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// AppendS64 appends v as signed LEB128.
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
