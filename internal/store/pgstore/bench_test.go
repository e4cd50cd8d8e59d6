package pgstore_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

// BenchmarkPostgres measures the hot paths against the local PostgreSQL,
// each in a fresh schema of one scratch database.
func BenchmarkPostgres(b *testing.B) {
	s := &schemas{base: scratch(b)}
	storetest.Bench(b, func(b *testing.B) auth.Store { return s.open(b) })
}

// BenchmarkBackup measures a backup and a restore of 10,000 users with a
// session each against the local PostgreSQL (storetest.BenchBackup).
func BenchmarkBackup(b *testing.B) {
	s := &schemas{base: scratch(b)}
	storetest.BenchBackup(b, func(b *testing.B) auth.Store { return s.open(b) })
}
