package e2e

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/wasmauth/wasmauth/internal/password"
)

// The two benchmarks below run at the same concurrency (b.RunParallel,
// GOMAXPROCS goroutines) with the same argon2id parameters (the defaults),
// and report ops/s, so that one run shows how much of the raw hashing
// throughput a full local login over HTTP keeps:
//
//	go test -run '^$' -bench 'LocalLogin|RawArgon2' ./internal/e2e/
//
// The target is a login/raw ratio of at least 0.90. Both also report
// ops/cpu-s, operations per second of this process's CPU time (the
// in-process server's and the HTTP client's alike), which other load on the
// machine does not skew the way it skews wall-clock ops/s.

// BenchmarkLocalLogin measures POST /t/{tenant}/login of a local user over
// real HTTP against an in-process server: JSON, the rate limiter, the
// store lookup, one argon2id verification, a new session and a signed
// access token.
func BenchmarkLocalLogin(b *testing.B) {
	e := start(b, withDefaultHash)
	e.CreateTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	body := mustJSON(b, map[string]string{"identifier": "alice@example.com", "password": "correct horse"})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.Cleanup(client.CloseIdleConnections)
	// Warm up the connections and the server's caches.
	for range 2 {
		if r, err := sendTo(client, e.Base, http.MethodPost, "/t/acme/login", "", "application/json", body); err != nil || r.Status != http.StatusOK {
			b.Fatalf("warm-up login: %v %v", r, err)
		}
	}

	b.ResetTimer()
	cpu := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := sendTo(client, e.Base, http.MethodPost, "/t/acme/login", "", "application/json", body)
			if err != nil {
				b.Error(err)
				return
			}
			if r.Status != http.StatusOK {
				b.Errorf("login: %s", r)
				return
			}
		}
	})
	reportThroughput(b, cpu)
}

// BenchmarkRawArgon2id measures bare argon2id with the default parameters,
// the ceiling for BenchmarkLocalLogin.
func BenchmarkRawArgon2id(b *testing.B) {
	p := password.DefaultParams
	salt := make([]byte, p.SaltLen)
	pw := []byte("correct horse")
	b.ResetTimer()
	cpu := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			argon2.IDKey(pw, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
		}
	})
	reportThroughput(b, cpu)
}

// cpuTime returns the CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportThroughput reports ops/s of wall-clock time and ops/cpu-s of the
// process's CPU time since cpuStart.
func reportThroughput(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if used := cpuTime(b) - cpuStart; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "ops/cpu-s")
	}
}
