package wasmbin

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestU32(t *testing.T) {
	tests := []struct {
		in      []byte
		want    uint32
		wantErr string
	}{
		{in: []byte{0}, want: 0},
		{in: []byte{0x7f}, want: 127},
		{in: []byte{0x80, 0x01}, want: 128},
		{in: []byte{0x80, 0x00}, want: 0}, // padded: allowed
		{in: []byte{0xe5, 0x8e, 0x26}, want: 624485},
		{in: []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, want: math.MaxUint32},
		{in: []byte{0xff, 0xff, 0xff, 0xff, 0x1f}, wantErr: "overflows 32 bits"},
		{in: []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, wantErr: "longer than 5 bytes"},
		{in: []byte{0x80, 0x80}, wantErr: ErrTruncated.Error()},
		{in: nil, wantErr: ErrTruncated.Error()},
	}
	for _, tt := range tests {
		r := NewReader(tt.in)
		got, err := r.U32()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("U32(% x) = %d, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || !r.EOF() {
			t.Errorf("U32(% x) = %d, %v at %d; want %d at the end", tt.in, got, err, r.Pos(), tt.want)
		}
	}
}

func TestS33(t *testing.T) {
	tests := []struct {
		in      []byte
		want    int64
		wantErr bool
	}{
		{in: []byte{0x40}, want: -64}, // the empty block type
		{in: []byte{0x7f}, want: -1},  // i32
		{in: []byte{0x00}, want: 0},   // type index 0
		{in: []byte{0x80, 0x01}, want: 128},
		{in: []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, want: 1<<32 - 1},
		{in: []byte{0x80, 0x80, 0x80, 0x80, 0x70}, want: -(1 << 32)},
		{in: []byte{0x80, 0x80, 0x80, 0x80, 0x10}, wantErr: true}, // 2^32
		{in: []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, wantErr: true},
		{in: []byte{0x80}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := NewReader(tt.in).S33()
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("S33(% x) = %d, %v; want %d, error %t", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSkipSigned(t *testing.T) {
	long := func(n int) []byte {
		b := make([]byte, n)
		for i := range b[:n-1] {
			b[i] = 0x80
		}
		return b
	}
	if r := NewReader(long(5)); r.SkipS32() != nil || !r.EOF() {
		t.Error("SkipS32 refuses 5 bytes")
	}
	if NewReader(long(6)).SkipS32() == nil {
		t.Error("SkipS32 accepts 6 bytes")
	}
	if r := NewReader(long(10)); r.SkipS64() != nil || !r.EOF() {
		t.Error("SkipS64 refuses 10 bytes")
	}
	if NewReader(long(11)).SkipS64() == nil {
		t.Error("SkipS64 accepts 11 bytes")
	}
	if !errors.Is(NewReader([]byte{0x80}).SkipS64(), ErrTruncated) {
		t.Error("SkipS64 of a truncated integer is not ErrTruncated")
	}
}

func TestAppendRoundTrip(t *testing.T) {
	for _, v := range []uint32{0, 1, 63, 64, 127, 128, 1 << 14, 1<<21 - 1, 1 << 28, math.MaxUint32} {
		b := AppendU32(nil, v)
		r := NewReader(b)
		if got, err := r.U32(); err != nil || got != v || !r.EOF() {
			t.Errorf("U32(AppendU32(%d) = % x) = %d, %v", v, b, got, err)
		}
	}
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 1<<32 - 1, -(1 << 32)} {
		b := AppendS64(nil, v)
		r := NewReader(b)
		if got, err := r.S33(); err != nil || got != v || !r.EOF() {
			t.Errorf("S33(AppendS64(%d) = % x) = %d, %v", v, b, got, err)
		}
	}
	for _, v := range []int64{math.MinInt64, math.MaxInt64} {
		if r := NewReader(AppendS64(nil, v)); r.SkipS64() != nil || !r.EOF() {
			t.Errorf("AppendS64(%d) is not one 10-byte integer", v)
		}
	}
}

func TestCount(t *testing.T) {
	r := NewReader([]byte{3, 1, 2, 3, 4, 5, 6})
	if n, err := r.Count("pairs", 2); err != nil || n != 3 {
		t.Errorf("Count = %d, %v; want 3", n, err)
	}
	r = NewReader([]byte{4, 1, 2, 3, 4, 5, 6})
	_, err := r.Count("pairs", 2)
	if !errors.Is(err, ErrImplausible) || !strings.Contains(err.Error(), "pairs count 4 is larger than its section: 4 entries declared in 6 bytes") {
		t.Errorf("Count of 4 pairs in 6 bytes: %v", err)
	}
	r = NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	if _, err := r.Count("things", 1); !errors.Is(err, ErrImplausible) {
		t.Errorf("Count of 2^32-1 in nothing: %v", err)
	}
}

func TestName(t *testing.T) {
	r := NewReader([]byte{2, 'h', 'i', 'x'})
	if b, err := r.Name("n"); err != nil || string(b) != "hi" || r.Len() != 1 {
		t.Errorf("Name = %q, %v", b, err)
	}
	if _, err := NewReader([]byte{3, 'h', 'i'}).Name("n"); !errors.Is(err, ErrImplausible) {
		t.Errorf("Name longer than the input: %v", err)
	}
	// wazero refuses names that are not UTF-8 (a function name in the
	// name section, here): so must the reader, or the fuel rewriter,
	// which drops names of undeclared functions, would make such a
	// module valid.
	if _, err := NewReader([]byte{3, '0', '0', 0xe8}).Name("n"); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("Name of bytes that are not UTF-8: %v", err)
	}
}

func TestSection(t *testing.T) {
	r := NewReader([]byte{1, 2, 0xaa, 0xbb, 0, 0})
	id, payload, err := r.Section()
	if err != nil || id != 1 || string(payload) != "\xaa\xbb" {
		t.Fatalf("Section = %d, % x, %v", id, payload, err)
	}
	if id, payload, err = r.Section(); err != nil || id != 0 || len(payload) != 0 || !r.EOF() {
		t.Fatalf("empty Section = %d, % x, %v", id, payload, err)
	}
	_, _, err = NewReader([]byte{1, 10, 1}).Section()
	if err == nil || !strings.Contains(err.Error(), "larger than the module") {
		t.Errorf("section past the end: %v", err)
	}
	if got := AppendSection(nil, 11, []byte{7}); string(got) != "\x0b\x01\x07" {
		t.Errorf("AppendSection = % x", got)
	}
}

func TestCheckHeader(t *testing.T) {
	if err := CheckHeader(AppendHeader(nil)); err != nil {
		t.Error(err)
	}
	for _, b := range [][]byte{nil, []byte("\x00asm"), []byte("(module)"), []byte("\x00asm\x02\x00\x00\x00")} {
		if CheckHeader(b) == nil {
			t.Errorf("CheckHeader(%q) accepts", b)
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		in   []byte
		want Limits
		ok   bool
	}{
		{in: []byte{0, 5}, want: Limits{Min: 5}, ok: true},
		{in: []byte{1, 1, 2}, want: Limits{Min: 1, Max: 2, HasMax: true}, ok: true},
		{in: []byte{3, 1, 2}, want: Limits{Min: 1, Max: 2, HasMax: true, Shared: true}, ok: true},
		{in: []byte{4, 1}},
		{in: []byte{1, 1}},
	}
	for _, tt := range tests {
		got, err := NewReader(tt.in).Limits()
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("Limits(% x) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestLocals(t *testing.T) {
	r := NewReader([]byte{2, 3, I32, 4, F64, 0x0b})
	if groups, n, err := r.Locals(); err != nil || groups != 2 || n != 7 || r.Len() != 1 {
		t.Errorf("Locals = %d, %d, %v", groups, n, err)
	}
	_, _, err := NewReader([]byte{2, 0xff, 0xff, 0xff, 0xff, 0x0f, I32, 1, I32}).Locals()
	if !errors.Is(err, ErrImplausible) || !strings.Contains(err.Error(), "more than 50000 locals") {
		t.Errorf("four billion locals: %v", err)
	}
	if _, _, err := NewReader([]byte{1, 1, 0x40}).Locals(); err == nil {
		t.Error("a local of type 0x40 is accepted")
	}
}

// TestCheckCustom pins the one rule for the name section: every subsection
// is exactly as long as it declares, and nothing runs past the section.
func TestCheckCustom(t *testing.T) {
	name := func(rest ...byte) []byte { return append([]byte{4, 'n', 'a', 'm', 'e'}, rest...) }
	tests := []struct {
		name    string
		payload []byte
		wantErr string
	}{
		{name: "other section, any content", payload: []byte{2, 'x', 'y', 0xff, 0xff}},
		{name: "empty name section", payload: name()},
		{name: "module name", payload: name(0, 3, 2, 'm', 'n')},
		{name: "function names", payload: name(1, 6, 2, 0, 1, 'f', 1, 0)},
		{name: "local names", payload: name(2, 6, 1, 0, 1, 0, 1, 'x')},
		{name: "unknown subsection skipped", payload: name(9, 2, 0xff, 0xff)},
		{name: "custom name past the section", payload: []byte{5, 'n'}, wantErr: "custom section name of 5 bytes"},
		{name: "subsection longer than declared", payload: name(0, 1, 2, 'm', 'n'), wantErr: "subsection 0 is 3 bytes, not the 1 it declares"},
		{name: "subsection shorter than declared", payload: name(1, 5, 0, 0xaa, 0xbb, 0xcc, 0xdd), wantErr: "subsection 1 is 1 bytes, not the 5 it declares"},
		{name: "unknown subsection past the section", payload: name(9, 5, 0xff), wantErr: ErrTruncated.Error()},
		{name: "billions of function names", payload: name(1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), wantErr: "names count 4294967295 is larger than its section"},
		{name: "billions of local maps", payload: name(2, 5, 0xff, 0xff, 0xff, 0xff, 0x0f), wantErr: "local name maps count"},
		{name: "function name past the section", payload: name(1, 4, 1, 0, 9, 'f'), wantErr: "name of 9 bytes"},
		{name: "bad subsection size", payload: name(1, 0xff, 0xff, 0xff, 0xff, 0xff), wantErr: "subsection 1 size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckCustom(tt.payload)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
