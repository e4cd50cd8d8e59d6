package cli

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// frames builds a backup stream of payloads, each behind its length.
func frames(payloads ...string) []byte {
	var b bytes.Buffer
	for _, p := range payloads {
		var h [8]byte
		binary.LittleEndian.PutUint64(h[:], uint64(len(p)))
		b.Write(h[:])
		b.WriteString(p)
	}
	return b.Bytes()
}

func TestFrameReader(t *testing.T) {
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	tests := []struct {
		name    string
		in      []byte
		max     int64
		wantErr string
	}{
		{"empty", nil, 100, ""},
		{"frames", frames("hello", "", "world!"), 100, ""},
		{"frame at the limit", frames(strings.Repeat("x", 100)), 100, ""},
		{"frame over the limit", frames(strings.Repeat("x", 101)), 100, "a frame of 101 bytes"},
		{"absurd length", huge, 1 << 30, "is malformed"},
		{"cut in a header", frames("hello")[:5], 100, "inside a frame header"},
		{"cut in a payload", frames("hello")[:10], 100, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time, to cross every boundary.
			got, err := io.ReadAll(newFrameReader(iotest.OneByteReader(bytes.NewReader(tt.in)), tt.max))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !bytes.Equal(got, tt.in) {
					t.Fatalf("passed %q, want %q", got, tt.in)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzFrameReader checks that a whole stream passes unchanged, that the
// reader never hands out a header announcing more than the limit, and that
// it never panics.
func FuzzFrameReader(f *testing.F) {
	f.Add(frames("hello", "world"), uint16(64))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint16(64))
	f.Add(frames("x")[:5], uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, max uint16) {
		got, err := io.ReadAll(newFrameReader(bytes.NewReader(in), int64(max)))
		if !bytes.HasPrefix(in, got) {
			t.Fatalf("passed bytes that are not a prefix of the input")
		}
		// Walk the frames that were handed out: each header is within max.
		rest := got
		for len(rest) >= 8 {
			n := binary.LittleEndian.Uint64(rest[:8])
			if n > uint64(max) {
				t.Fatalf("handed out a header of %d bytes over the limit %d", n, max)
			}
			if uint64(len(rest)-8) < n {
				break
			}
			rest = rest[8+n:]
		}
		if err == nil && !bytes.Equal(got, in) {
			t.Fatalf("no error but only %d of %d bytes passed", len(got), len(in))
		}
	})
}
