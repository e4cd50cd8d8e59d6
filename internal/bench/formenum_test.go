package bench

import (
	"context"
	goruntime "runtime"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/password"
)

// BenchmarkFormEnumeration makes make bench's "hosted form enumeration gap"
// row alone, with the real argon2id parameters and the Go example, on a
// fresh server whose migrating tenant has first verified cheap legacy
// hashes, as in make bench, where the first-login row's salted SHA-256
// users come before it: the tenant's padding is then calibrated below
// bcrypt when the row's known user (bcrypt) shows up.
//
//	go test ./internal/bench/ -run '^$' -bench FormEnumeration -benchtime 1x
func BenchmarkFormEnumeration(b *testing.B) {
	const firstLogins = 10
	label := moduleLabel(examples.GoLegacy)
	for range b.N {
		ctx := context.Background()
		s, err := startServer(ctx, b.TempDir(), password.DefaultParams, 2*goruntime.GOMAXPROCS(0))
		if err != nil {
			b.Fatal(err)
		}
		if err := setUpTenants(ctx, s, examples.GoLegacy, firstLogins); err != nil {
			b.Fatal(err)
		}
		if _, err := measureFirstVsLater(ctx, s, firstLogins, label); err != nil {
			b.Fatal(err)
		}
		load, _ := LoadAverage()
		row, err := measureFormEnumeration(ctx, s, label, DefaultBudget().OIDCTries)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %s (%s), load average %v", row.Name, row.Result, row.Verdict, load)
		if err := s.stop(); err != nil {
			b.Fatal(err)
		}
	}
}
