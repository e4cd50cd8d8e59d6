package bench

import (
	"context"
	goruntime "runtime"
	"testing"

	"github.com/wasmauth/wasmauth/internal/password"
)

// overloadRows measures the rows about overload alone (the concurrent
// logins and the login storm) on a new server with hash parameters hash and
// the budget's sizes.
func overloadRows(t testing.TB, hash password.Params, b Budget) []Row {
	ctx := context.Background()
	s, err := startServer(ctx, t.TempDir(), hash, 2*goruntime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.stop() })
	if err := s.createTenant(ctx, quietTenant); err != nil {
		t.Fatal(err)
	}
	if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for _, m := range []func() (Row, error){
		func() (Row, error) { return measureConcurrent(ctx, s, b.Concurrent) },
		func() (Row, error) { return measureStorm(ctx, s, b.NoisyClients, 2, 2*b.Window) },
	} {
		row, err := m()
		if err != nil {
			t.Errorf("row %q: %v", row.Name, err)
			continue
		}
		t.Logf("%s: %s (target %s: %s)", row.Name, row.Result, row.Target, row.Verdict)
		rows = append(rows, row)
	}
	return rows
}

// TestOverloadRows checks that the overload rows are measured, small: the
// numbers are not checked.
func TestOverloadRows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	for _, r := range overloadRows(t, cheapHash, quickBudget) {
		if r.Result == "" || r.Bound == "" || r.Target == "" {
			t.Errorf("row %q lacks a result, bound or target: %+v", r.Name, r)
		}
	}
}

// BenchmarkOverloadRows measures the overload rows as make bench does
// (default hash parameters and budget) without the other rows:
//
//	go test -run '^$' -bench OverloadRows -benchtime 1x ./internal/bench/
func BenchmarkOverloadRows(b *testing.B) {
	for b.Loop() {
		overloadRows(b, password.DefaultParams, DefaultBudget())
	}
}

// BenchmarkConcurrentLogins measures the concurrent logins row alone, as
// make bench does (default hash parameters, 2 x GOMAXPROCS hash slots), for
// a trace or profile of the burst:
//
//	go test -run '^$' -bench ConcurrentLogins -benchtime 1x -trace burst.trace ./internal/bench/
func BenchmarkConcurrentLogins(b *testing.B) {
	ctx := context.Background()
	s := quietServer(b, password.DefaultParams)
	for b.Loop() {
		row, err := measureConcurrent(ctx, s, DefaultBudget().Concurrent)
		if err != nil {
			b.Fatal(err)
		}

		b.Logf("%s: %s (target %s: %s)", row.Name, row.Result, row.Target, row.Verdict)
	}
}

// BenchmarkStormAndThroughput measures the local login vs raw argon2id row
// and the login storm row in one run, on one server, as make bench does
// (default hash parameters and budget):
//
//	go test -run '^$' -bench StormAndThroughput -benchtime 1x ./internal/bench/
func BenchmarkStormAndThroughput(b *testing.B) {
	ctx := context.Background()
	s := quietServer(b, password.DefaultParams)
	bud := DefaultBudget()
	for b.Loop() {
		for _, m := range []func() (Row, error){
			func() (Row, error) { return measureLoginVsRaw(ctx, s, bud.Rounds, bud.Window/2) },
			func() (Row, error) { return measureStorm(ctx, s, bud.NoisyClients, 2, 2*bud.Window) },
		} {
			load, _ := LoadAverage()
			row, err := m()
			if err != nil {
				b.Fatalf("row %q: %v", row.Name, err)
			}
			b.Logf("%s: %s (target %s: %s; load average before %v)", row.Name, row.Result, row.Target, row.Verdict, load)
		}
	}
}

// quietServer starts a server with hash parameters p and 2 x GOMAXPROCS
// hash slots, as make bench does, with the quiet tenant and its local user,
// for a row run alone.
func quietServer(b *testing.B, p password.Params) *benchServer {
	ctx := context.Background()
	s, err := startServer(ctx, b.TempDir(), p, 2*goruntime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.stop() })
	if err := s.createTenant(ctx, quietTenant); err != nil {
		b.Fatal(err)
	}
	if err := s.register(ctx, quietTenant, localEmail, localPassword); err != nil {
		b.Fatal(err)
	}
	return s
}
