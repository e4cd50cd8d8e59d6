package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"
)

// Console session lifetimes: a session ends after ConsoleIdleTimeout
// without a request, and ConsoleMaxLifetime after it started whatever
// happens.
const (
	ConsoleIdleTimeout = time.Hour
	ConsoleMaxLifetime = 12 * time.Hour
	// consoleTouchEvery is how stale a session's idle deadline may get
	// before a request writes a later one: most requests only read.
	consoleTouchEvery = time.Minute
)

// ConsoleSession is a signed-in web console administrator. The store keeps
// it by IDHash, the SHA-256 of the cookie value, never the value itself,
// so that every node of a cluster finds it and a copy of the store gives
// no usable cookie.
type ConsoleSession struct {
	IDHash    []byte
	Principal Principal
	// KeyHash is the SHA-256 of the token signed in with; a tenant's
	// session ends when its API key is rotated.
	KeyHash   []byte
	CSRF      string
	CreatedAt time.Time
	// ExpiresAt is the earlier of the idle deadline and the end of
	// ConsoleMaxLifetime; the store answers ErrNotFound from then on.
	ExpiresAt time.Time
}

// ConsoleSessionStore keeps console sessions; part of Store.
type ConsoleSessionStore interface {
	// CreateConsoleSession stores s (and may drop sessions expired at
	// s.CreatedAt).
	CreateConsoleSession(ctx context.Context, s *ConsoleSession) error
	// GetConsoleSession returns the session with idHash unless it expired
	// at now. Returns ErrNotFound.
	GetConsoleSession(ctx context.Context, idHash []byte, now time.Time) (*ConsoleSession, error)
	// ExtendConsoleSession sets the session's ExpiresAt to expiresAt.
	// Returns ErrNotFound when it is gone.
	ExtendConsoleSession(ctx context.Context, idHash []byte, expiresAt time.Time) error
	// DeleteConsoleSession removes the session; absent is not an error.
	DeleteConsoleSession(ctx context.Context, idHash []byte) error
}

// consoleIDHash is the stored key of a console session's cookie value.
func consoleIDHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// StartConsoleSession stores a new console session for p, signed in at
// now with the token whose SHA-256 is keyHash, and returns its cookie
// value and the session.
func (s *Service) StartConsoleSession(ctx context.Context, p Principal, keyHash []byte, now time.Time) (string, *ConsoleSession, error) {
	id := randomToken()
	cs := &ConsoleSession{
		IDHash: consoleIDHash(id), Principal: p, KeyHash: keyHash, CSRF: randomToken(),
		CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(ConsoleIdleTimeout),
	}
	if err := s.store.CreateConsoleSession(ctx, cs); err != nil {
		return "", nil, err
	}
	return id, cs, nil
}

// ConsoleSession returns the live session of cookie value id at now, and
// keeps it alive for another ConsoleIdleTimeout (within
// ConsoleMaxLifetime). A tenant's session ends when its key was rotated or
// the tenant deleted. Returns ErrNotFound.
func (s *Service) ConsoleSession(ctx context.Context, id string, now time.Time) (*ConsoleSession, error) {
	if id == "" || len(id) > 256 {
		return nil, ErrNotFound
	}
	h := consoleIDHash(id)
	cs, err := s.store.GetConsoleSession(ctx, h, now)
	if err != nil {
		return nil, err
	}
	if cs.Principal.Operator {
		// The operator token changed since (a restart with another).
		if subtle.ConstantTimeCompare(s.cfg.OperatorTokenHash, cs.KeyHash) != 1 {
			_ = s.store.DeleteConsoleSession(ctx, h)
			return nil, ErrNotFound
		}
	} else {
		t, err := s.Tenant(ctx, cs.Principal.Tenant)
		if err != nil || subtle.ConstantTimeCompare(t.APIKeyHash, cs.KeyHash) != 1 {
			if err == nil || ErrorCode(err) == CodeTenantNotFound {
				_ = s.store.DeleteConsoleSession(ctx, h)
				return nil, ErrNotFound
			}
			return nil, err
		}
	}
	idle := now.Add(ConsoleIdleTimeout)
	if end := cs.CreatedAt.Add(ConsoleMaxLifetime); end.Before(idle) {
		idle = end
	}
	if idle.Sub(cs.ExpiresAt) >= consoleTouchEvery {
		err := s.store.ExtendConsoleSession(ctx, h, idle)
		if errors.Is(err, ErrNotFound) {
			return nil, err // signed out meanwhile
		}
		if err != nil {
			s.log.Warn("extending a console session", "err", err)
		} else {
			cs.ExpiresAt = idle
		}
	}
	return cs, nil
}

// EndConsoleSession removes the session of cookie value id.
func (s *Service) EndConsoleSession(ctx context.Context, id string) error {
	return s.store.DeleteConsoleSession(ctx, consoleIDHash(id))
}
