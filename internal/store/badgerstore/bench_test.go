package badgerstore_test

import (
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

func BenchmarkInMemory(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) auth.Store { return openInMemory(b) })
}

// BenchmarkOnDisk measures with SyncWrites on: every write waits for fsync.
func BenchmarkOnDisk(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) auth.Store {
		opts := testOptions()
		opts.MemTableSize = 0 // the production default
		return openOnDisk(b, b.TempDir(), opts)
	})
}

// BenchmarkBackup backs up and restores 10,000 users on disk with the
// production options (every commit synced).
func BenchmarkBackup(b *testing.B) {
	storetest.BenchBackup(b, func(b *testing.B) auth.Store {
		opts := testOptions()
		opts.MemTableSize = 0
		return openOnDisk(b, b.TempDir(), opts)
	})
}
