package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/oidc"
)

// oidcRoutes registers the OpenID Provider's paths of contract v2 (OIDC.md)
// that are not v1's: authorization, the hosted pages and logout. The token
// endpoint and discovery are v1's paths; token and discovery hand them over.
func (s *Server) oidcRoutes(pub fiber.Router) {
	for _, p := range []string{"/authorize", "/signin", "/signup", "/logout", "/logout/confirm"} {
		pub.Get(p, s.oidcHandler)
		pub.Post(p, s.oidcHandler)
	}
	pub.Get("/authorize/callback", s.oidcHandler)
	pub.Get("/signed-out", s.oidcHandler)
}

// oidcHandler passes the request to the tenant's OpenID Provider, a
// net/http handler, through Fiber's adaptor, with the request's auth.Meta
// (client address as the proxy rules read it, request id) in its context.
// A POST (the hosted pages' forms, /authorize and /logout by form, the
// token endpoint) must be form-encoded.
func (s *Server) oidcHandler(c *fiber.Ctx) error {
	if s.cfg.OIDC == nil {
		return auth.Errorf(auth.CodeNotFound, "the OpenID Provider is not enabled")
	}
	if c.Method() == fiber.MethodPost {
		if err := checkMediaType(c, mediaForm); err != nil {
			return err
		}
	}
	h, err := s.cfg.OIDC.Handler(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	c.Locals(oidc.MetaKey, meta(c))
	err = adaptor.HTTPHandler(h)(c)
	// The adaptor adds the handler's headers to those withEdge set, and
	// the hosted pages set the same ones: keep one of each.
	c.Response().Header.Del(fiber.HeaderXContentTypeOptions)
	c.Response().Header.Del(fiber.HeaderReferrerPolicy)
	setSecurityHeaders(c)
	return err
}

// isOIDCGrant reports whether a token request is the OpenID Provider's: an
// authorization code, or a refresh token issued to a client. v1's refresh
// tokens (from JSON /login) have no prefix and stay with v1's grant.
func isOIDCGrant(c *fiber.Ctx) bool {
	switch formValue(c, "grant_type") {
	case "authorization_code":
		return true
	case "refresh_token":
		return strings.HasPrefix(formValue(c, "refresh_token"), auth.ClientRefreshPrefix)
	}
	return false
}
