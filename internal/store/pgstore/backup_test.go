package pgstore_test

import (
	"log/slog"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/store/storetest"
)

// TestRoundTripBadger restores a backup of a Badger store into PostgreSQL
// and one of PostgreSQL into Badger: each exports exactly the lines of the
// other's backup, times to the nanosecond.
func TestRoundTripBadger(t *testing.T) {
	s := &schemas{base: scratch(t)}
	pg := func(t *testing.T) auth.Store { return s.open(t) }
	badger := func(t *testing.T) auth.Store {
		st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{
			Logger: slog.New(slog.DiscardHandler), MemTableSize: 8 << 20, GCInterval: -1,
		})
		if err != nil {
			t.Fatalf("badgerstore.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Run("BadgerToPostgres", func(t *testing.T) { storetest.RoundTrip(t, badger, pg) })
	t.Run("PostgresToBadger", func(t *testing.T) { storetest.RoundTrip(t, pg, badger) })
}
