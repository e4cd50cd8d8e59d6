package argon2x

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

// rfcVectors are the test vectors of RFC 9106, section 5: m = 32 KiB, t = 3,
// p = 4, a 32-byte password of 0x01, a 16-byte salt of 0x02, an 8-byte
// secret of 0x03 and 12 bytes of associated data of 0x04.
var rfcVectors = []struct {
	y   mode
	tag string
}{
	{modeD, "51 2b 39 1b 6f 11 62 97 53 71 d3 09 19 73 42 94 f8 68 e3 be 39 84 f3 c1 a1 3a 4d b9 fa be 4a cb"},
	{modeI, "c8 14 d9 d1 dc 7f 37 aa 13 f0 d7 7f 24 94 bd a1 c8 de 6b 01 6d d3 88 d2 99 52 a4 c4 67 2b 6c e8"},
	{modeID, "0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9 d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59"},
}

// decodeTag decodes a tag of rfcVectors.
func decodeTag(tag string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(tag, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// forEachImpl runs f once for every compression function this CPU supports,
// the portable one first.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := compress
	defer func() { compress = saved }()
	for _, impl := range implementations() {
		compress = impl.f
		t.Run(impl.name, f)
	}
}

func TestRFC9106(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		pool := NewPool(1)
		for _, v := range rfcVectors {
			want := decodeTag(v.tag)
			for range 2 { // the second run reuses the pool's memory
				got := pool.derive(v.y, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
					bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
				if !bytes.Equal(got, want) {
					t.Errorf("type %d: got %x, want %x", v.y, got, want)
				}
			}
		}
	})
}

// checkEqual compares both types, and IDKeyYield, with x/crypto for one
// input, and counts IDKeyYield's calls of yield: one between each two
// segments.
func checkEqual(t *testing.T, pool *Pool, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) {
	t.Helper()
	want := argon2.IDKey(password, salt, time, memory, threads, keyLen)
	if got := pool.IDKey(password, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
		t.Fatalf("IDKey(%x, %x, t=%d, m=%d, p=%d, T=%d) = %x, x/crypto %x", password, salt, time, memory, threads, keyLen, got, want)
	}
	yields := 0
	if got := pool.IDKeyYield(password, salt, time, memory, threads, keyLen, func() { yields++ }); !bytes.Equal(got, want) || yields != int(time)*syncPoints-1 {
		t.Fatalf("IDKeyYield(%x, %x, t=%d, m=%d, p=%d, T=%d) = %x after %d yields, want x/crypto's %x after %d", password, salt, time, memory, threads, keyLen, got, yields, want, int(time)*syncPoints-1)
	}
	if got, want := pool.Key(password, salt, time, memory, threads, keyLen), argon2.Key(password, salt, time, memory, threads, keyLen); !bytes.Equal(got, want) {
		t.Fatalf("Key(%x, %x, t=%d, m=%d, p=%d, T=%d) = %x, x/crypto %x", password, salt, time, memory, threads, keyLen, got, want)
	}
}

func TestEqualXCrypto(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		pool := NewPool(2)
		for range 40 {
			password := make([]byte, rng.IntN(40))
			salt := make([]byte, rng.IntN(40))
			for _, b := range [][]byte{password, salt} {
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
			}
			// Memory up to 600 KiB crosses the 128-address boundary of the
			// data-independent passes; key lengths cross the 64-byte step of H'.
			checkEqual(t, pool, password, salt, 1+rng.Uint32N(3), rng.Uint32N(600), uint8(1+rng.IntN(5)), 4+rng.Uint32N(200))
		}
		// The server's parameters: m = 19 MiB, t = 2, p = 1.
		checkEqual(t, pool, []byte("password"), []byte("0123456789abcdef"), 2, 19*1024, 1, 32)
	})
}

// FuzzEqualXCrypto checks that IDKey and Key return what x/crypto returns,
// with every compression function this CPU supports.
func FuzzEqualXCrypto(f *testing.F) {
	f.Add([]byte("password"), []byte("somesalt"), uint8(1), uint16(64), uint8(1), uint8(32))
	f.Add([]byte{}, []byte{}, uint8(3), uint16(300), uint8(4), uint8(100))
	pool := NewPool(1)
	saved := compress
	defer func() { compress = saved }()
	f.Fuzz(func(t *testing.T, password, salt []byte, time uint8, memory uint16, threads uint8, keyLen uint8) {
		for _, impl := range implementations() {
			compress = impl.f
			checkEqual(t, pool, password, salt, 1+uint32(time%4), uint32(memory%2048), 1+threads%8, 4+uint32(keyLen))
		}
	})
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"time":    func() { IDKey(nil, nil, 0, 64, 1, 32) },
		"threads": func() { Key(nil, nil, 1, 64, 0, 32) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestPoolReuse checks that a Pool hands back the memory of a finished hash,
// keeps no more buffers than its size, and gives concurrent hashes distinct
// buffers (run with -race).
func TestPoolReuse(t *testing.T) {
	pool := NewPool(2)
	b := pool.get(64)
	pool.put(b)
	if c := pool.get(32); &c[0] != &b[0] {
		t.Error("the pool did not reuse a large enough buffer")
	} else {
		pool.put(c)
	}
	if c := pool.get(128); &c[0] == &b[0] {
		t.Error("the pool returned a buffer too small")
	}
	for range 5 {
		pool.put(make([]block, 8))
	}
	if n := len(pool.free); n != 2 {
		t.Errorf("the pool keeps %d buffers, want 2", n)
	}

	want := argon2.IDKey([]byte("pw"), []byte("saltsalt"), 1, 256, 1, 32)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				if got := pool.IDKey([]byte("pw"), []byte("saltsalt"), 1, 256, 1, 32); !bytes.Equal(got, want) {
					t.Errorf("concurrent IDKey = %x, want %x", got, want)
				}
			}
		}()
	}
	wg.Wait()
}

// TestPoolAllocs checks that hashes with a warm pool do not allocate their
// block memory again.
func TestPoolAllocs(t *testing.T) {
	const memory = 4096 // KiB
	password, salt := []byte("password"), []byte("0123456789abcdef")
	for _, tc := range []struct {
		pool *Pool
		min  uint64 // lower bound on bytes allocated by the hashes
		max  uint64
	}{
		{nil, 5 * memory << 10, 1 << 40},
		{NewPool(1), 0, memory << 10 / 2},
	} {
		tc.pool.IDKey(password, salt, 1, memory, 1, 32)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 5 {
			tc.pool.IDKey(password, salt, 1, memory, 1, 32)
		}
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got < tc.min || got > tc.max {
			t.Errorf("pool %v: five hashes of %d KiB allocated %d bytes, want %d..%d", tc.pool != nil, memory, got, tc.min, tc.max)
		}
	}
}

// TestCompress compares each compression function with the portable one on
// random blocks, with and without xor.
func TestCompress(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, impl := range implementations()[1:] {
		for n := range 200 {
			var x, y, out, want block
			for i := range x {
				x[i], y[i], out[i] = rng.Uint64(), rng.Uint64(), rng.Uint64()
			}
			want = out
			xor := n%2 == 1
			compressGeneric(&want, &x, &y, xor)
			impl.f(&out, &x, &y, xor)
			if out != want {
				t.Fatalf("%s: compress(xor=%v) differs from the portable version", impl.name, xor)
			}
		}
	}
}
