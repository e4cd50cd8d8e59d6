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
	benchInput(b, op, benchLanguages(), map[string]any{
		"identifier": identifier, "password": password, "tenant": "bench",
		"config": map[string]string{"dialect": "sqlite"},
	}, cold)
}

// benchInput is benchCall with any input, for the languages given.
func benchInput(b *testing.B, op string, langs []string, in map[string]any, cold bool) {
	engine, infos := sharedEngine(b)
	for _, lang := range langs {
		b.Run(lang, func(b *testing.B) {
			be := openSQLiteCopy(b)
			input, err := json.Marshal(in)
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

// BenchmarkWarmListUsers measures a list_users page of the nine sample users (ABI v1.1).
func BenchmarkWarmListUsers(b *testing.B) {
	benchInput(b, runtime.OpListUsers, examples.Languages(), map[string]any{
		"op": runtime.OpListUsers, "cursor": nil, "limit": 100, "config": map[string]string{"dialect": "sqlite"}, "driver": "sqlite",
	}, false)
}

// BenchmarkWarmVerifyHash measures verify_hash of dave's salted SHA-256 hash (ABI v1.1).
func BenchmarkWarmVerifyHash(b *testing.B) {
	benchInput(b, runtime.OpVerifyHash, examples.Languages(), map[string]any{
		"op": runtime.OpVerifyHash, "password": `s3cret "quoted" \ & <tag> zoë`, "config": map[string]string{},
		"password_hash": "sha256$52611b022924d51b$746ee64af04761394c988e32f50020403c2116e46f37635287206f44ae743fd8",
	}, false)
}
