package host_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/host"
)

// FuzzHostRanges calls the host functions through the probe module with
// arbitrary (pointer, length) pairs: they must never panic or touch memory
// outside a valid range, and must answer exactly as the ABI says.
func FuzzHostRanges(f *testing.F) {
	for _, h := range hostile {
		f.Add(uint32(h.ptr), uint32(h.len), uint32(0), uint32(3))
	}
	f.Add(uint32(0), uint32(10), uint32(100), uint32(5))
	f.Add(uint32(memSize-1), uint32(1), uint32(memSize), uint32(0))
	const input = `{"identifier":"alice"}`
	p := newProbe(f, nil, host.Limits{MaxOutput: 1000}, host.Config{}, input)
	p.write(100, []byte("sha256"))
	valid := func(ptr, n uint32) bool {
		return int32(n) >= 0 && uint64(ptr)+uint64(n) <= memSize
	}
	f.Fuzz(func(t *testing.T, ptr, n, ptr2, n2 uint32) {
		p.t = t
		want := int32(host.StatusBadMemory)
		if valid(ptr, n) {
			want = int32(min(int(n), len(input)))
		}
		if got := p.invoke("input_read", uint64(ptr), uint64(n)); got != want {
			t.Fatalf("input_read(%d, %d) = %d, want %d", ptr, n, got, want)
		}
		want = host.StatusBadMemory
		if valid(ptr, n) {
			want = 0
			if n > 1000 {
				want = host.StatusTooLarge
			}
		}
		if got := p.invoke("output_set", uint64(ptr), uint64(n)); got != want {
			t.Fatalf("output_set(%d, %d) = %d, want %d", ptr, n, got, want)
		}
		p.invoke("log", uint64(n2%5), uint64(ptr), uint64(n))
		want = host.StatusBadMemory
		if valid(ptr, n) {
			want = host.StatusNoConnection
		}
		if got := p.invoke("db_query", uint64(ptr), uint64(n)); got != want {
			t.Fatalf("db_query(%d, %d) = %d, want %d", ptr, n, got, want)
		}
		got := p.invoke("digest", uint64(ptr2), uint64(n2), uint64(ptr), uint64(n))
		switch {
		case !valid(ptr2, n2) || !valid(ptr, n):
			if got != host.StatusBadMemory {
				t.Fatalf("digest with a bad range = %d", got)
			}
		case got != host.StatusUnknownHash && got != host.StatusTooLarge && got <= 0:
			t.Fatalf("digest = %d", got)
		}
		if got := p.invoke("result_read", uint64(ptr), uint64(n)); valid(ptr, n) != (got >= 0) {
			t.Fatalf("result_read(%d, %d) = %d", ptr, n, got)
		}
		got = p.invoke("verify_password", uint64(ptr), uint64(n), uint64(ptr2), uint64(n2))
		if (!valid(ptr, n) || !valid(ptr2, n2)) != (got == host.StatusBadMemory) {
			t.Fatalf("verify_password(%d, %d, %d, %d) = %d", ptr, n, ptr2, n2, got)
		}
	})
}
