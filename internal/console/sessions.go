package console

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/wasmauth/wasmauth/internal/webui"
)

// Cookie names. The session cookie is scoped to /console.
const (
	// SessionCookie holds the session id; ModuleUpload reads it.
	SessionCookie = "wasmauth_console"
	// preCookie carries the sign-in form's CSRF token before a session
	// exists (against login CSRF).
	preCookie = "wasmauth_console_pre"
)

// Sessions are auth.ConsoleSession, kept in the store by the SHA-256 of
// their cookie value (auth.Service.StartConsoleSession): every node of a
// cluster finds them, and a copy of the store gives no usable cookie.

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
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
