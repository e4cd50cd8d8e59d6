// Package pages renders the hosted pages of a tenant's OpenID Provider
// (sign-in, error, sign-out) from html/template files embedded in the
// binary. The pages need no JavaScript and no outside resources.
package pages

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates/*.html
var files embed.FS

var tmpl = template.Must(template.ParseFS(files, "templates/*.html"))

// Page is what every page shows.
type Page struct {
	// Tenant is the tenant's display name.
	Tenant string
	// Title is the page's heading.
	Title string
	// Message is a sentence under the heading (an error, for example).
	Message string
}

// SignIn is the sign-in form.
type SignIn struct {
	Page
	// Action is the URL the form posts to.
	Action string
	// RequestID names the authorization request the sign-in completes.
	RequestID string
	// CSRF is the browser's CSRF token, repeated in a hidden field.
	CSRF string
	// Identifier prefills the email or username field.
	Identifier string
	// SignUpURL links to the registration page.
	SignUpURL string
}

// SignUp is the registration form.
type SignUp struct {
	Page
	Action    string
	RequestID string
	CSRF      string
	// Email and Username prefill the form after an error.
	Email, Username string
	// SignInURL links back to the sign-in page.
	SignInURL string
}

// Confirm asks the person to confirm an action (signing out) with a form.
type Confirm struct {
	Page
	Action string
	CSRF   string
	Button string
}

// SetHeaders sets the security headers of every page: no framing, no
// scripts or outside resources, no sniffing, no referrer, no caching.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
}

// Render writes the page name ("signin", "signup", "message" or "confirm") with data
// and status.
func Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name+".html", data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	SetHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
