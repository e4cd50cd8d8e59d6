package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
	"github.com/wasmauth/wasmauth/runtime"
)

// The login benchmarks drive an in-process server over HTTP, as a run
// does, for CPU and memory profiles of the login path:
//
//	go test -run '^$' -bench 'Login' -cpuprofile cpu.prof -memprofile mem.prof ./internal/bench/
//	go tool pprof -top cpu.prof
//
// The tiny-hash variants make argon2id small, so that the rest of the
// path (HTTP, JSON, store, tokens, module) shows in the profile.

// tinyHash makes argon2id nearly free (64 KiB, one pass), so that
// everything else on the login path shows in a profile.
var tinyHash = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// reportCPU reports the process's CPU time per operation since cpu0 (the
// server's and the client's together), which a loaded machine disturbs
// less than wall time.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// benchServerFor starts a server for a benchmark, stopped with it.
func benchServerFor(b *testing.B, hash password.Params) *benchServer {
	b.Helper()
	ctx := context.Background()
	s, err := startServer(ctx, b.TempDir(), hash, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.stop() })
	if err := s.createTenant(ctx, quietTenant); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkLocalLogin measures POST /t/{tenant}/login of a local user, with
// GOMAXPROCS clients at once.
func BenchmarkLocalLogin(b *testing.B) {
	for _, bc := range []struct {
		name string
		hash password.Params
	}{{"tiny-hash", tinyHash}, {"default-hash", password.DefaultParams}} {
		b.Run(bc.name, func(b *testing.B) {
			s := benchServerFor(b, bc.hash)
			ctx := context.Background()
			if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b, processCPU())
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
					if err == nil {
						err = a.Expect(200, "login")
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkFirstLogin measures the first, migrating, login of legacy users
// (a new one each iteration) through the Go example on SQLite, with a
// tiny argon2id for the re-hash.
func BenchmarkFirstLogin(b *testing.B) {
	s := benchServerFor(b, tinyHash)
	ctx := context.Background()
	if err := s.createTenant(ctx, legacyTenant); err != nil {
		b.Fatal(err)
	}
	if err := s.setUpLegacy(ctx, legacyTenant, examples.GoLegacy, b.N+1); err != nil {
		b.Fatal(err)
	}
	pw, err := seedPassword(seedUser)
	if err != nil {
		b.Fatal(err)
	}
	// The first call creates the module's first instance.
	if a, err := login(ctx, s.client, legacyTenant, fmt.Sprint("b", b.N), pw); err != nil || a.Status != 200 {
		b.Fatalf("warm-up login: %v %v", a, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		a, err := login(ctx, s.client, legacyTenant, fmt.Sprint("b", i), pw)
		if err == nil {
			err = a.Expect(200, "first login")
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefresh measures POST /t/{tenant}/oauth/token with a refresh
// token, rotating one session's token.
func BenchmarkRefresh(b *testing.B) {
	s := benchServerFor(b, tinyHash)
	ctx := context.Background()
	if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
		b.Fatal(err)
	}
	a, err := login(ctx, s.client, quietTenant, localEmail, localPassword)
	if err != nil {
		b.Fatal(err)
	}
	var ts struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := a.JSON(&ts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, processCPU())
	for range b.N {
		a, err := s.client.Do(ctx, "POST", "/t/"+quietTenant+"/oauth/token", "", form("grant_type", "refresh_token", "refresh_token", ts.RefreshToken))
		if err == nil {
			err = errors.Join(a.Expect(200, "refresh"), a.JSON(&ts))
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScriptLogin measures a warm login of dave through the engine, as
// the server calls a tenant's module, on the examples' SQLite legacy.db.
func BenchmarkScriptLogin(b *testing.B) {
	ctx := context.Background()
	modules := examples.Legacy()
	modules[trivialName] = examples.WATTrivial
	for _, lang := range []string{trivialName, "c", "go"} {
		b.Run(lang, func(b *testing.B) {
			e, err := runtime.New(ctx, engineConfig(""))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close(ctx) })
			db, err := openLegacyCopy(ctx, b.TempDir(), "bench")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			info, err := e.Compile(ctx, modules[lang])
			if err != nil {
				b.Fatal(err)
			}
			pw, _ := seedPassword(seedUser)
			input, _ := json.Marshal(map[string]any{"identifier": seedUser, "password": pw, "tenant": "bench", "config": map[string]string{"dialect": "sqlite"}})
			req := runtime.CallRequest{Tenant: "bench", Version: 1, SHA256: info.SHA256, Op: runtime.OpLogin, Input: input, DB: db}
			if _, err := e.Call(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := e.Call(ctx, req)
				if err != nil || res.Answer == nil || res.Answer.User == nil {
					b.Fatalf("login: %v %v", res, err)
				}
			}
		})
	}
}
