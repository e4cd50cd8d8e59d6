package bench

import (
	"context"
	"os"
	"testing"

	"github.com/wasmauth/wasmauth/internal/password"
)

// TestDrainRows makes only the rows of finishing a migration, for working
// on them without a whole run:
//
//	WASMAUTH_BENCH_DRAIN=1 go test ./internal/bench -run TestDrainRows -v -timeout 20m
func TestDrainRows(t *testing.T) {
	if os.Getenv("WASMAUTH_BENCH_DRAIN") == "" {
		t.Skip("set WASMAUTH_BENCH_DRAIN=1 to measure the drain, the import and imported users' first logins")
	}
	ctx := context.Background()
	b := DefaultBudget()
	s, err := startServer(ctx, t.TempDir(), password.DefaultParams, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	for _, m := range []func() (Row, error){
		func() (Row, error) { return measureDrain(ctx, s, b.DrainUsers/2, b.DrainUsers) },
		func() (Row, error) { return measureImport(ctx, s, b.ImportUsers) },
		func() (Row, error) { return measureImportedLogin(ctx, s, b.ImportedLogins) },
	} {
		row, err := m()
		if err != nil {
			t.Fatalf("%s: %v", row.Name, err)
		}
		t.Logf("%s: %s", row.Name, row.Result)
	}
}
