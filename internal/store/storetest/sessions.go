package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// sessionClock is the real clock, cut to milliseconds: a backend may drop
// expired sessions by wall time, so their times must be current.
func sessionClock() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func mustSession(t *testing.T, s auth.Store, tenant, id, user string, now time.Time, refresh string) *auth.Session {
	t.Helper()
	sess := &auth.Session{ID: id, Tenant: tenant, UserID: user, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(t.Context(), sess, hash(refresh)); err != nil {
		t.Fatalf("CreateSession(%s): %v", id, err)
	}
	return sess
}

func sessionState(t *testing.T, s auth.Store, tenant, id string) *auth.Session {
	t.Helper()
	sess, err := s.GetSession(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("GetSession(%s): %v", id, err)
	}
	return sess
}

func testSessions(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	now := sessionClock()
	mustTenant(t, s, "acme")
	mustUser(t, s, newUser("acme", "u-1", "one@example.com", ""))
	mustUser(t, s, newUser("acme", "u-2", "two@example.com", ""))

	s1 := mustSession(t, s, "acme", "s-1", "u-1", now, "a0")
	same(t, "GetSession", sessionState(t, s, "acme", "s-1"), s1)

	t.Run("Rotation", func(t *testing.T) {
		steps := []struct {
			name     string
			old, new string
			at       time.Time
			want     error
		}{
			{"first rotation", "a0", "a1", now.Add(time.Minute), nil},
			{"second rotation", "a1", "a2", now.Add(2 * time.Minute), nil},
			{"unknown token", "zz", "a9", now.Add(2 * time.Minute), auth.ErrNotFound},
			{"reuse of a rotated token", "a0", "a3", now.Add(3 * time.Minute), auth.ErrRefreshReused},
			{"current token after reuse", "a2", "a4", now.Add(4 * time.Minute), auth.ErrSessionEnded},
			{"reuse again", "a1", "a5", now.Add(5 * time.Minute), auth.ErrRefreshReused},
		}
		for _, st := range steps {
			got, err := s.RotateRefreshToken(ctx, "acme", hash(st.old), hash(st.new), st.at)
			wantErr(t, st.name, err, st.want)
			if st.want == nil && (got == nil || got.ID != "s-1" || got.UserID != "u-1" || got.Tenant != "acme") {
				t.Fatalf("%s: returned session %+v", st.name, got)
			}
		}
		sess := sessionState(t, s, "acme", "s-1")
		if !sess.RevokedAt.Equal(now.Add(3 * time.Minute)) {
			t.Fatalf("reuse did not revoke the session at the reuse time: %+v", sess)
		}
		if !sess.ExpiresAt.Equal(s1.ExpiresAt) {
			t.Fatalf("rotation changed the expiry: %v, want %v", sess.ExpiresAt, s1.ExpiresAt)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		mustSession(t, s, "acme", "s-2", "u-1", now, "b0")
		_, err := s.RotateRefreshToken(ctx, "acme", hash("b0"), hash("b1"), now.Add(59*time.Minute))
		wantErr(t, "rotation before expiry", err, nil)
		_, err = s.RotateRefreshToken(ctx, "acme", hash("b1"), hash("b2"), now.Add(time.Hour))
		wantErr(t, "rotation at expiry", err, auth.ErrSessionEnded)
		_, err = s.RotateRefreshToken(ctx, "acme", hash("b1"), hash("b2"), now.Add(2*time.Hour))
		wantErr(t, "rotation after expiry", err, auth.ErrSessionEnded)
	})
	t.Run("RevokeRefreshToken", func(t *testing.T) {
		mustSession(t, s, "acme", "s-3", "u-1", now, "c0")
		wantErr(t, "revoke unknown token", s.RevokeRefreshToken(ctx, "acme", hash("nope"), now), nil)
		wantErr(t, "revoke", s.RevokeRefreshToken(ctx, "acme", hash("c0"), now.Add(time.Minute)), nil)
		if sess := sessionState(t, s, "acme", "s-3"); !sess.RevokedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("revoked session: %+v", sess)
		}
		_, err := s.RotateRefreshToken(ctx, "acme", hash("c0"), hash("c1"), now.Add(2*time.Minute))
		wantErr(t, "rotate a revoked token", err, auth.ErrSessionEnded)
	})
	t.Run("RevokeSession", func(t *testing.T) {
		mustSession(t, s, "acme", "s-4", "u-1", now, "d0")
		wantErr(t, "RevokeSession", s.RevokeSession(ctx, "acme", "s-4", now.Add(time.Minute)), nil)
		wantErr(t, "RevokeSession again", s.RevokeSession(ctx, "acme", "s-4", now.Add(2*time.Minute)), nil)
		if sess := sessionState(t, s, "acme", "s-4"); !sess.RevokedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("RevokedAt = %v, want the first revocation %v", sess.RevokedAt, now.Add(time.Minute))
		}
		if sess := sessionState(t, s, "acme", "s-4"); sess.Active(now) {
			t.Fatal("revoked session is active")
		}
		_, err := s.RotateRefreshToken(ctx, "acme", hash("d0"), hash("d1"), now.Add(3*time.Minute))
		wantErr(t, "rotate in a revoked session", err, auth.ErrSessionEnded)
		wantErr(t, "RevokeSession missing", s.RevokeSession(ctx, "acme", "s-404", now), auth.ErrNotFound)
	})
	t.Run("RevokeUserSessions", func(t *testing.T) {
		for i := range 3 {
			mustSession(t, s, "acme", fmt.Sprintf("k-%d", i), "u-2", now, fmt.Sprintf("k%d", i))
		}
		mustSession(t, s, "acme", "keep-other-user", "u-1", now, "o0")
		wantErr(t, "RevokeUserSessions", s.RevokeUserSessions(ctx, "acme", "u-2", "k-1", now.Add(time.Minute)), nil)
		cases := []struct {
			id     string
			active bool
		}{
			{"k-0", false}, {"k-1", true}, {"k-2", false}, {"keep-other-user", true},
		}
		for _, tc := range cases {
			if got := sessionState(t, s, "acme", tc.id).Active(now.Add(2 * time.Minute)); got != tc.active {
				t.Fatalf("session %s active = %v, want %v", tc.id, got, tc.active)
			}
		}
		_, err := s.RotateRefreshToken(ctx, "acme", hash("k1"), hash("k1b"), now.Add(2*time.Minute))
		wantErr(t, "rotate the kept session", err, nil)
		_, err = s.RotateRefreshToken(ctx, "acme", hash("k0"), hash("k0b"), now.Add(2*time.Minute))
		wantErr(t, "rotate a revoked session", err, auth.ErrSessionEnded)
		wantErr(t, "RevokeUserSessions without keep", s.RevokeUserSessions(ctx, "acme", "u-2", "", now.Add(3*time.Minute)), nil)
		if sessionState(t, s, "acme", "k-1").Active(now.Add(4 * time.Minute)) {
			t.Fatal("RevokeUserSessions with no keep left a session active")
		}
		wantErr(t, "RevokeUserSessions of a user without sessions", s.RevokeUserSessions(ctx, "acme", "u-404", "", now), nil)
	})
	t.Run("NotFound", func(t *testing.T) {
		_, err := s.GetSession(ctx, "acme", "s-404")
		wantErr(t, "GetSession missing", err, auth.ErrNotFound)
		err = s.CreateSession(ctx, &auth.Session{ID: "s-x", Tenant: "acme", UserID: "u-404", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, hash("x0"))
		wantErr(t, "CreateSession for an unknown user", err, auth.ErrNotFound)
		err = s.CreateSession(ctx, &auth.Session{ID: "s-x", Tenant: "nope", UserID: "u-1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, hash("x0"))
		wantErr(t, "CreateSession for an unknown tenant", err, auth.ErrNotFound)
		_, err = s.RotateRefreshToken(ctx, "acme", hash("x0"), hash("x1"), now)
		wantErr(t, "token of a failed CreateSession", err, auth.ErrNotFound)
	})
}

func testConcurrentRotation(t *testing.T, newStore NewStore) {
	s := newStore(t)
	ctx := t.Context()
	now := sessionClock()
	mustTenant(t, s, "acme")
	mustUser(t, s, newUser("acme", "u-1", "one@example.com", ""))
	mustSession(t, s, "acme", "s-1", "u-1", now, "r0")
	const n = 10
	errs := runConcurrently(n, func(i int) error {
		_, err := s.RotateRefreshToken(ctx, "acme", hash("r0"), hash(fmt.Sprintf("r1-%d", i)), now)
		return err
	})
	ok, reused := count(errs, nil), count(errs, auth.ErrRefreshReused)
	if ok != 1 || reused != n-1 {
		t.Fatalf("%d concurrent rotations of one token: %d succeeded, %d reused; errors %v", n, ok, reused, errs)
	}
	// The losers presented a rotated token: the session is revoked.
	if sessionState(t, s, "acme", "s-1").Active(now) {
		t.Fatal("session still active after concurrent reuse")
	}
	for i := range n {
		_, err := s.RotateRefreshToken(ctx, "acme", hash(fmt.Sprintf("r1-%d", i)), hash(fmt.Sprintf("r2-%d", i)), now)
		if err == nil {
			t.Fatalf("token r1-%d still rotates after the session was revoked", i)
		}
	}
}
