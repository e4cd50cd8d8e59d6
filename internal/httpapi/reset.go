package httpapi

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/oidc"
	"github.com/wasmauth/wasmauth/internal/pages"
	"github.com/wasmauth/wasmauth/internal/webui"
)

// forgotJSON is the one answer of POST /password/forgot, whoever asks.
type forgotJSON struct {
	Message string `json:"message"`
}

// forgotPassword is POST /t/{tenant}/password/forgot: JSON for the API, a
// form for the hosted page. The answer is 202 and the same body whether
// or not anyone has the identifier.
func (s *Server) forgotPassword(c *fiber.Ctx) error {
	if isForm(c) {
		return s.passwordPage(c, s.passwordPages().ServeForgot)
	}
	var in struct {
		Identifier string `json:"identifier"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	if err := s.svc.ForgotPassword(c.UserContext(), tenantParam(c), in.Identifier, meta(c)); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(forgotJSON{
		Message: "if an account has this email or username, a reset link is on its way to its email",
	})
}

// resetPassword is POST /t/{tenant}/password/reset: JSON for the API, a
// form for the hosted page.
func (s *Server) resetPassword(c *fiber.Ctx) error {
	if isForm(c) {
		return s.passwordPage(c, s.passwordPages().ServeReset)
	}
	var in struct {
		Token       string `json:"token"`
		NewPassword string `json:"new_password"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	if err := s.svc.ResetPassword(c.UserContext(), tenantParam(c), in.Token, in.NewPassword, meta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) forgotPage(c *fiber.Ctx) error {
	return s.passwordPage(c, s.passwordPages().ServeForgot)
}

func (s *Server) resetPage(c *fiber.Ctx) error {
	return s.passwordPage(c, s.passwordPages().ServeReset)
}

// isForm reports whether a POST is a hosted page's form.
func isForm(c *fiber.Ctx) bool {
	return checkMediaType(c, mediaForm) == nil
}

// passwordPages serves the hosted password pages.
func (s *Server) passwordPages() *pages.Password {
	return &pages.Password{Svc: s.svc, Meta: func(r *http.Request) auth.Meta {
		m, _ := r.Context().Value(oidc.MetaKey).(auth.Meta)
		return m
	}}
}

// passwordPage runs a hosted password page (net/http) for the request's
// tenant, with its auth.Meta, as oidcHandler runs the sign-in pages.
func (s *Server) passwordPage(c *fiber.Ctx, serve func(http.ResponseWriter, *http.Request, string)) error {
	tenant := tenantParam(c)
	if _, err := s.svc.Tenant(c.UserContext(), tenant); err != nil {
		return err
	}
	c.Locals(oidc.MetaKey, meta(c))
	err := adaptor.HTTPHandler(webui.Detach(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, tenant)
	})))(c)
	c.Response().Header.Del(fiber.HeaderXContentTypeOptions)
	c.Response().Header.Del(fiber.HeaderReferrerPolicy)
	setSecurityHeaders(c)
	return err
}
