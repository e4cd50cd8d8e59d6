package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Bench measures the hot paths of a store: CreateUser (a registration or a
// migration), FindUser (every login) and RotateRefreshToken (every token
// refresh). newStore makes a fresh, empty store and arranges its closing.
func Bench(b *testing.B, newStore func(b *testing.B) auth.Store) {
	b.Run("CreateUser", func(b *testing.B) {
		s := newStore(b)
		benchTenant(b, s)
		i := 0
		for b.Loop() {
			u := newUser("bench", fmt.Sprintf("u-%09d", i), fmt.Sprintf("user%d@example.com", i), "")
			if err := s.CreateUser(b.Context(), u); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("CreateUserParallel", func(b *testing.B) {
		s := newStore(b)
		benchTenant(b, s)
		var next atomicCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.add()
				u := newUser("bench", fmt.Sprintf("u-%09d", i), fmt.Sprintf("user%d@example.com", i), "")
				if err := s.CreateUser(b.Context(), u); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("FindUser", func(b *testing.B) {
		s := newStore(b)
		benchTenant(b, s)
		const users = 1000
		for i := range users {
			u := newUser("bench", fmt.Sprintf("u-%09d", i), fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("user%d", i))
			if err := s.CreateUser(b.Context(), u); err != nil {
				b.Fatal(err)
			}
		}
		i := 0
		for b.Loop() {
			if _, err := s.FindUser(b.Context(), "bench", fmt.Sprintf("user%d", i%users)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("RotateRefreshToken", func(b *testing.B) {
		s := newStore(b)
		benchTenant(b, s)
		if err := s.CreateUser(b.Context(), newUser("bench", "u-1", "one@example.com", "")); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		sess := &auth.Session{ID: "s-1", Tenant: "bench", UserID: "u-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateSession(b.Context(), sess, hash("0")); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			_, err := s.RotateRefreshToken(b.Context(), "bench", hash(fmt.Sprint(i)), hash(fmt.Sprint(i+1)), now)
			if err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func benchTenant(b *testing.B, s auth.Store) {
	b.Helper()
	if err := s.CreateTenant(b.Context(), &auth.Tenant{ID: "bench", CreatedAt: base}); err != nil {
		b.Fatal(err)
	}
}
