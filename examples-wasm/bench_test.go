package examples_test

import (
	"context"
	"encoding/json"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/runtime"
)

func benchLanguages() []string { return append(examples.Languages(), "wat-trivial") }

// benchCall runs op for each language on the committed legacy.db, reporting the fuel of
// one call; with cold set, each call first evicts the tenant's instances, so it pays for
// a new instance and its _initialize.
func benchCall(b *testing.B, op, identifier, password string, cold bool) {
	engine, infos := sharedEngine(b)
	for _, lang := range benchLanguages() {
		b.Run(lang, func(b *testing.B) {
			be := openSQLiteCopy(b)
			input, err := json.Marshal(map[string]any{
				"identifier": identifier, "password": password, "tenant": "bench",
				"config": map[string]string{"dialect": "sqlite"},
			})
			if err != nil {
				b.Fatal(err)
			}
			tenant := "bench-" + lang
			req := runtime.CallRequest{Tenant: tenant, Version: 1, SHA256: infos[lang].SHA256, Op: op, Input: input, DB: be}
			ctx := context.Background()
			var fuel int64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if cold {
					engine.Evict(tenant)
				}
				res, err := engine.Call(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				fuel = res.FuelUsed
			}
			b.ReportMetric(float64(fuel), "fuel/call")
		})
	}
}

// BenchmarkWarmGetUser measures a get_user on a pooled instance: the host's overhead,
// one SQLite query and the script's JSON work.
func BenchmarkWarmGetUser(b *testing.B) { benchCall(b, runtime.OpGetUser, "alice", "", false) }

// BenchmarkColdGetUser is BenchmarkWarmGetUser on a new instance each time.
func BenchmarkColdGetUser(b *testing.B) { benchCall(b, runtime.OpGetUser, "alice", "", true) }

// BenchmarkWarmLoginSHA256 measures a login whose hash (salted SHA-256 through digest)
// costs next to nothing, so the script's own work shows; bcrypt or argon2id would
// dominate it.
func BenchmarkWarmLoginSHA256(b *testing.B) {
	benchCall(b, runtime.OpLogin, "dave", `s3cret "quoted" \ & <tag> zoë`, false)
}
