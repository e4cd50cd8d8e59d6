package pgstore_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
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

// TestRestoreNamesLine restores a backup whose fourth line repeats an
// email: the refusal, which the database finds when the batch is sent,
// names that line, and nothing is stored.
func TestRestoreNamesLine(t *testing.T) {
	s := &schemas{base: scratch(t)}
	st := s.open(t)
	lines := []string{
		`{"format":"wasmauth-backup","version":1}`,
		`{"kind":"tenant","id":"acme"}`,
		`{"kind":"user","tenant":"acme","id":"u-1","email":"one@example.com","source":"local"}`,
		`{"kind":"user","tenant":"acme","id":"u-2","email":"one@example.com","source":"local"}`,
	}
	for i := 3; i < 10; i++ {
		lines = append(lines, fmt.Sprintf(`{"kind":"user","tenant":"acme","id":"u-%d","email":"%d@example.com","source":"local"}`, i, i))
	}
	lines = append(lines, fmt.Sprintf(`{"kind":"end","records":%d}`, len(lines)-1))
	err := auth.RestoreBackup(t.Context(), st, strings.NewReader(strings.Join(lines, "\n")+"\n"))
	if !errors.Is(err, auth.ErrEmailTaken) || !strings.HasPrefix(err.Error(), "line 4: ") {
		t.Fatalf("RestoreBackup: %v, want line 4 and ErrEmailTaken", err)
	}
	if tenants, err := st.ListTenants(t.Context()); err != nil || len(tenants) != 0 {
		t.Fatalf("a failed restore stored %d tenants (%v)", len(tenants), err)
	}
}
