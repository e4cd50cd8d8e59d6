// Package webui holds what the server's HTML pages (the console and the
// hosted sign-in pages) share: their security headers and the check of a
// form's CSRF token.
package webui

import (
	"crypto/subtle"
	"net/http"
)

// CSRFField is the name of the hidden form field that carries the CSRF
// token.
const CSRFField = "csrf"

// HeaderNames are the headers SetHeaders sets.
var HeaderNames = []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control", "X-Frame-Options"}

// SetHeaders sets the headers of every HTML page: the page's
// Content-Security-Policy csp (which must forbid framing), no sniffing, no
// referrer, no caching and, for old browsers, no framing.
func SetHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
}

// CheckCSRF reports, in constant time, whether the posted form's CSRF field
// equals want; an empty want or field never matches. The form must have
// been parsed or be parseable (r.PostFormValue).
func CheckCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue(CSRFField)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
