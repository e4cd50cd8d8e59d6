package e2e

import (
	"net/http"
	"testing"

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
// The target is a login/raw ratio of at least 0.90.

// BenchmarkLocalLogin measures POST /t/{tenant}/login of a local user over
// real HTTP against an in-process server: JSON, the rate limiter, the
// store lookup, one argon2id verification, a new session and a signed
// access token.
func BenchmarkLocalLogin(b *testing.B) {
	e := start(b, withDefaultHash)
	e.createTenant("acme")
	e.register("acme", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	body := mustJSON(b, map[string]string{"identifier": "alice@example.com", "password": "correct horse"})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.Cleanup(client.CloseIdleConnections)
	// Warm up the connections and the server's caches.
	for range 2 {
		if r, err := sendTo(client, e.base, http.MethodPost, "/t/acme/login", "", "application/json", body); err != nil || r.Status != http.StatusOK {
			b.Fatalf("warm-up login: %v %v", r, err)
		}
	}

	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := sendTo(client, e.base, http.MethodPost, "/t/acme/login", "", "application/json", body)
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkRawArgon2id measures bare argon2id with the default parameters,
// the ceiling for BenchmarkLocalLogin.
func BenchmarkRawArgon2id(b *testing.B) {
	p := password.DefaultParams
	salt := make([]byte, p.SaltLen)
	pw := []byte("correct horse")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			argon2.IDKey(pw, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
