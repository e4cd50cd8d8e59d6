package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/webui"
)

// Session lifetimes: a session ends after idleTimeout without a request,
// and after maxLifetime whatever happens.
const (
	idleTimeout = time.Hour
	maxLifetime = 12 * time.Hour
	// maxSessions bounds the sessions held in memory; signing in past it
	// first drops the expired ones, then the oldest.
	maxSessions = 10_000
)

// Cookie names. The session cookie is scoped to /console.
const (
	// SessionCookie holds the session id; ModuleUpload reads it.
	SessionCookie = "wasmauth_console"
	// preCookie carries the sign-in form's CSRF token before a session
	// exists (against login CSRF).
	preCookie = "wasmauth_console_pre"
)

// session is one signed-in administrator.
type session struct {
	principal auth.Principal
	// keyHash is the SHA-256 of the token signed in with; a tenant's
	// session ends when its API key is rotated.
	keyHash []byte
	csrf    string
	created time.Time
	seen    time.Time
}

// sessions holds the sessions in memory, by the SHA-256 of their cookie
// value: a leaked memory dump or log of the map gives no usable cookie.
type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create stores a new session for p and returns its cookie value.
func (s *sessions) create(p auth.Principal, keyHash []byte, now time.Time) string {
	id := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[[32]byte]*session{}
	}
	if len(s.m) >= maxSessions {
		var oldest [32]byte
		var oldestAt time.Time
		for k, v := range s.m {
			if !v.live(now) {
				delete(s.m, k)
			} else if oldestAt.IsZero() || v.created.Before(oldestAt) {
				oldest, oldestAt = k, v.created
			}
		}
		if len(s.m) >= maxSessions {
			delete(s.m, oldest)
		}
	}
	s.m[sha256.Sum256([]byte(id))] = &session{principal: p, keyHash: keyHash, csrf: randomToken(), created: now, seen: now}
	return id
}

func (v *session) live(now time.Time) bool {
	return now.Sub(v.seen) < idleTimeout && now.Sub(v.created) < maxLifetime
}

// get returns the live session of a cookie value and marks it seen, or nil.
func (s *sessions) get(id string, now time.Time) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.m[k]
	if v == nil {
		return nil
	}
	if !v.live(now) {
		delete(s.m, k)
		return nil
	}
	v.seen = now
	cp := *v
	return &cp
}

// end removes the session of a cookie value.
func (s *sessions) end(id string) {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

// setCookie sets an HttpOnly, SameSite=Strict cookie scoped to /console,
// Secure when the request came over TLS. maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/console", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// securityHeaders are on every console answer. The pages load only their
// own stylesheet; forms post only to the console; no page may be framed.
func securityHeaders(h http.Header) {
	webui.SetHeaders(h, "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}
