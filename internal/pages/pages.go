// Package pages renders the hosted pages of a tenant's OpenID Provider
// (sign-in, registration, error, sign-out) from html/template files
// embedded in the binary. The pages need no JavaScript; the only outside
// resource is the tenant's logo, when it has one.
package pages

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"

	"github.com/wasmauth/wasmauth/internal/webui"
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
	// LogoURL is the tenant's https logo, shown above the heading.
	LogoURL string
	// Accent is the buttons' colour, "#rrggbb"; empty for the default.
	Accent string
}

// logo returns the page's logo URL, for the Content-Security-Policy.
func (p Page) logo() string { return p.LogoURL }

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
	// ForgotURL links to the "forgot password" page.
	ForgotURL string
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
	// To and MAC are where to go next and its authentication, sent back
	// with the form.
	To, MAC string
}

// SetHeaders sets the security headers of every page: no framing, no
// scripts, no outside resources but the logo's origin (logoURL, when set),
// no sniffing, no referrer, no caching. Forms may post to the server and be
// redirected on to the app's redirect URI (https, or http on loopback).
func SetHeaders(h http.Header, logoURL string) {
	img := "'none'"
	if u, err := url.Parse(logoURL); err == nil && u.Scheme == "https" && u.Host != "" {
		img = "https://" + u.Host
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	webui.SetHeaders(h, "default-src 'none'; style-src 'unsafe-inline'; img-src "+img+"; form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'")
}

// Render writes the page name ("signin", "signup", "message", "confirm",
// "forgot" or "reset") with data
// and status.
func Render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name+".html", data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var logo string
	if p, ok := data.(interface{ logo() string }); ok {
		logo = p.logo()
	}
	SetHeaders(w.Header(), logo)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
