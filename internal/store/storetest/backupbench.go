package storetest

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// benchUsers is the number of users (each with one session) of the tenant
// BenchBackup backs up and restores.
const benchUsers = 10_000

// BenchBackup measures a backup (WriteBackup) and a restore (RestoreBackup
// into a new store) of one tenant with benchUsers users, each with a
// session. It reports users/s besides the bytes of the backup per second.
// newStore makes a fresh, empty store and arranges its closing.
func BenchBackup(b *testing.B, newStore func(b *testing.B) auth.Store) {
	src := newStore(b)
	if err := src.Import(b.Context(), benchRecords()); err != nil {
		b.Fatalf("Import: %v", err)
	}
	var file bytes.Buffer
	if err := auth.WriteBackup(b.Context(), src, &file, time.Now()); err != nil {
		b.Fatalf("WriteBackup: %v", err)
	}
	perSecond := func(b *testing.B) {
		b.ReportMetric(float64(benchUsers)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
	}
	b.Run("Backup", func(b *testing.B) {
		b.SetBytes(int64(file.Len()))
		for b.Loop() {
			if err := auth.WriteBackup(b.Context(), src, io.Discard, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
	b.Run("Restore", func(b *testing.B) {
		b.SetBytes(int64(file.Len()))
		for range b.N {
			b.StopTimer()
			dst := newStore(b)
			b.StartTimer()
			if err := auth.RestoreBackup(b.Context(), dst, bytes.NewReader(file.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
}

// benchRecords yields a tenant with benchUsers users and a session each.
func benchRecords() iter.Seq2[*auth.BackupRecord, error] {
	return func(yield func(*auth.BackupRecord, error) bool) {
		now := time.Now().UTC()
		if !yield(&auth.BackupRecord{Tenant: &auth.Tenant{ID: "bench", CreatedAt: base}}, nil) {
			return
		}
		for i := range benchUsers {
			u := newUser("bench", fmt.Sprintf("u-%09d", i), fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("user%d", i))
			u.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
			if !yield(&auth.BackupRecord{User: u}, nil) {
				return
			}
		}
		for i := range benchUsers {
			s := auth.Session{ID: fmt.Sprintf("s-%09d", i), Tenant: "bench", UserID: fmt.Sprintf("u-%09d", i), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			rec := &auth.SessionBackup{Session: s, RefreshTokens: []auth.RefreshToken{{Hash: hash(fmt.Sprint(i))}}}
			if !yield(&auth.BackupRecord{Session: rec}, nil) {
				return
			}
		}
	}
}
