package pages

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/webui"
)

// Forgot is the "forgot password" form.
type Forgot struct {
	Page
	Action     string
	CSRF       string
	Identifier string
}

// Reset is the "choose a new password" form of a mailed link.
type Reset struct {
	Page
	Action string
	CSRF   string
	Token  string
}

// Password serves a tenant's hosted password pages, "forgot password" and
// "choose a new password" (the mailed link), with the same use cases as
// the JSON API (auth.Service.ForgotPassword and ResetPassword).
type Password struct {
	Svc *auth.Service
	// Meta returns a request's auth.Meta (client address, request id).
	Meta func(r *http.Request) auth.Meta
}

// The hosted password pages' paths under /t/{tenant}.
const (
	ForgotPath = "/password/forgot"
	ResetPath  = auth.ResetPath
)

// csrfCookie holds the password pages' CSRF token (double submit).
const csrfCookie = "wasmauth_pw_csrf"

// maxFormBody bounds the forms' bodies.
const maxFormBody = 16 << 10

// ServeForgot serves GET and POST of the tenant's "forgot password" page.
func (p *Password) ServeForgot(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		p.renderForgot(w, r, tenant, http.StatusOK, "", "")
		return
	}
	if !p.parse(w, r, tenant) {
		return
	}
	identifier := r.PostFormValue("identifier")
	err := p.Svc.ForgotPassword(r.Context(), tenant, identifier, p.Meta(r))
	switch auth.ErrorCode(err) {
	case "":
		p.message(w, r, tenant, http.StatusAccepted, "Check your mail",
			"If an account has this email or username, a link to choose a new password is on its way to the account's email. It is valid for 30 minutes.")
	case auth.CodeInvalidRequest:
		p.renderForgot(w, r, tenant, http.StatusBadRequest, identifier, "Enter the email or username of your account.")
	default:
		p.failed(w, r, tenant, err)
	}
}

// ServeReset serves GET and POST of the tenant's "choose a new password"
// page, which the mailed link opens with ?token=.
func (p *Password) ServeReset(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		tok := r.URL.Query().Get("token")
		if tok == "" {
			p.message(w, r, tenant, http.StatusBadRequest, "Link incomplete", "Open the link from the mail as it is, or ask for a new one.")
			return
		}
		p.renderReset(w, r, tenant, http.StatusOK, tok, "")
		return
	}
	if !p.parse(w, r, tenant) {
		return
	}
	tok := r.PostFormValue("token")
	err := p.Svc.ResetPassword(r.Context(), tenant, tok, r.PostFormValue("new_password"), p.Meta(r))
	switch auth.ErrorCode(err) {
	case "":
		p.message(w, r, tenant, http.StatusOK, "Password changed", "Your new password is set, and you were signed out everywhere. Sign in with the new password.")
	case auth.CodeWeakPassword:
		p.renderReset(w, r, tenant, http.StatusUnprocessableEntity, tok, errMessage(err))
	case auth.CodeInvalidToken:
		p.message(w, r, tenant, http.StatusBadRequest, "Link no longer valid",
			"This link was used already, has expired or is not one we sent. Ask for a new one on the \u201cforgot password\u201d page.")
	default:
		p.failed(w, r, tenant, err)
	}
}

// errMessage is a domain error's message, safe to show.
func errMessage(err error) string {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Message
	}
	return "That did not work."
}

// parse reads a posted form and checks its CSRF token, or answers 403.
func (p *Password) parse(w http.ResponseWriter, r *http.Request, tenant string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	c, cerr := r.Cookie(csrfCookie)
	if err := r.ParseForm(); err != nil || cerr != nil || !webui.CheckCSRF(r, c.Value) {
		p.message(w, r, tenant, http.StatusForbidden, "Request refused", "This form was not sent from this browser's page. Open the page again and retry.")
		return false
	}
	return true
}

// failed answers an error other than the form's own.
func (p *Password) failed(w http.ResponseWriter, r *http.Request, tenant string, err error) {
	switch auth.ErrorCode(err) {
	case auth.CodeTenantNotFound:
		p.message(w, r, tenant, http.StatusNotFound, "Not found", "There is no page here.")
	case auth.CodeRateLimited, auth.CodeOverloaded:
		p.message(w, r, tenant, http.StatusTooManyRequests, "Too many tries", "Wait a while, then try again.")
	case auth.CodeMigrationConflict:
		p.message(w, r, tenant, http.StatusConflict, "Account conflict", "This account conflicts with an existing account; contact support.")
	default:
		p.message(w, r, tenant, http.StatusInternalServerError, "Something went wrong", "This is not available right now. Try again later.")
	}
}

func (p *Password) renderForgot(w http.ResponseWriter, r *http.Request, tenant string, status int, identifier, msg string) {
	Render(w, status, "forgot", Forgot{
		Page:   p.page(r.Context(), tenant, "Forgot your password?", msg),
		Action: p.path(tenant, ForgotPath), CSRF: p.csrf(w, r, tenant), Identifier: identifier,
	})
}

func (p *Password) renderReset(w http.ResponseWriter, r *http.Request, tenant string, status int, tok, msg string) {
	Render(w, status, "reset", Reset{
		Page:   p.page(r.Context(), tenant, "Choose a new password", msg),
		Action: p.path(tenant, ResetPath), CSRF: p.csrf(w, r, tenant), Token: tok,
	})
}

func (p *Password) message(w http.ResponseWriter, r *http.Request, tenant string, status int, title, msg string) {
	Render(w, status, "message", p.page(r.Context(), tenant, title, msg))
}

// path is the URL of one of the tenant's pages.
func (p *Password) path(tenant, page string) string { return p.Svc.Issuer(tenant) + page }

// page is what every page shows: the tenant's name, or its branding.
func (p *Password) page(ctx context.Context, tenant, title, msg string) Page {
	pg := Page{Tenant: tenant, Title: title, Message: msg}
	t, err := p.Svc.Tenant(ctx, tenant)
	if err != nil {
		return pg
	}
	if t.Name != "" {
		pg.Tenant = t.Name
	}
	if b := t.Branding; b != nil {
		if b.DisplayName != "" {
			pg.Tenant = b.DisplayName
		}
		pg.LogoURL, pg.Accent = b.LogoURL, b.AccentColor
	}
	return pg
}

// csrf returns the browser's CSRF token of the pages, setting a new cookie
// when it has none.
func (p *Password) csrf(w http.ResponseWriter, r *http.Request, tenant string) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		return c.Value
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: tok, Path: "/t/" + tenant + "/password/", MaxAge: int(time.Hour / time.Second),
		HttpOnly: true, Secure: strings.HasPrefix(p.Svc.Issuer(tenant), "https://"), SameSite: http.SameSiteStrictMode,
	})
	return tok
}
