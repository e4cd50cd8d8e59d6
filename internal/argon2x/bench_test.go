package argon2x

import (
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// BenchmarkIDKey measures argon2id at the server's parameters (m = 19 MiB,
// t = 2, p = 1) for x/crypto and for each compression function this CPU
// supports with a Pool, and for the default one without, in one run. Besides ns/op it reports hashes/s and the process CPU
// time per hash (cpu-ms/op), which a loaded machine does not inflate the way
// it inflates wall time. Run it with a fixed count, e.g. -benchtime 40x.
func BenchmarkIDKey(b *testing.B) {
	const memory, iterations, threads, keyLen = 19 * 1024, 2, 1, 32
	password, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	run := func(b *testing.B, f func()) {
		f() // warm the pool
		cpu := cpuTime()
		start := time.Now()
		for b.Loop() {
			f()
		}
		wall := time.Since(start)
		cpu = cpuTime() - cpu
		b.ReportMetric(float64(b.N)/wall.Seconds(), "hashes/s")
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
	b.Run("xcrypto", func(b *testing.B) {
		run(b, func() { argon2.IDKey(password, salt, iterations, memory, threads, keyLen) })
	})
	saved := compress
	defer func() { compress = saved }()
	for _, impl := range implementations() {
		b.Run(impl.name, func(b *testing.B) {
			compress = impl.f
			pool := NewPool(1)
			run(b, func() { pool.IDKey(password, salt, iterations, memory, threads, keyLen) })
		})
	}
	compress = saved
	b.Run("default-nopool", func(b *testing.B) {
		run(b, func() { IDKey(password, salt, iterations, memory, threads, keyLen) })
	})
}

// BenchmarkCompress measures one block compression of each implementation.
func BenchmarkCompress(b *testing.B) {
	var out, x, y block
	for i := range x {
		x[i], y[i] = uint64(i)*0x9e3779b97f4a7c15, uint64(i)
	}
	for _, impl := range implementations() {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(1024)
			for b.Loop() {
				impl.f(&out, &x, &y, true)
			}
		})
	}
}
