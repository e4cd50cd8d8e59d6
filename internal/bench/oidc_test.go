package bench

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
)

// BenchmarkOIDCRows makes make bench's OpenID Provider rows alone, with
// the real argon2id parameters and the Go example, on a fresh server:
//
//	go test ./internal/bench/ -run '^$' -bench OIDCRows -benchtime 1x
func BenchmarkOIDCRows(b *testing.B) {
	for range b.N {
		for _, row := range oidcRows(b, password.DefaultParams, DefaultBudget()) {
			b.Logf("%s: %s (%s)", row.Name, row.Result, row.Verdict)
		}
	}
}

func oidcRows(t testing.TB, hash password.Params, b Budget) []Row {
	ctx := context.Background()
	s, err := startServer(ctx, t.TempDir(), hash, 2*goruntime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.stop() })
	if err := setUpTenants(ctx, s, examples.GoLegacy, 0); err != nil {
		t.Fatal(err)
	}
	var rows []Row
	addOIDCRows(ctx, s, b, moduleLabel(examples.GoLegacy), func(name string) { fmt.Fprintln(os.Stderr, name) },
		func(r Row, err error) {
			if err != nil {
				r.Verdict, r.Result = Failed, "failed: "+err.Error()
			}
			rows = append(rows, r)
		})
	return rows
}

// BenchmarkCodeRoundTripOnly makes the round trip row alone with a tiny
// hash, for a profile:
//
//	go test ./internal/bench/ -run '^$' -bench CodeRoundTripOnly -benchtime 1x -cpuprofile cpu.prof
func BenchmarkCodeRoundTripOnly(b *testing.B) {
	ctx := context.Background()
	s := quietServer(b, tinyHash)
	row, err := measureCodeRoundTrip(ctx, s, s.slots, 2, DefaultBudget().Window)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %s (%s)", row.Name, row.Result, row.Verdict)
}
