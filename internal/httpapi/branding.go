package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// brandingJSON is how a tenant's hosted pages look.
type brandingJSON struct {
	DisplayName string `json:"display_name"`
	LogoURL     string `json:"logo_url"`
	AccentColor string `json:"accent_color"`
}

func toBranding(b *auth.Branding) brandingJSON {
	if b == nil {
		return brandingJSON{}
	}
	return brandingJSON{DisplayName: b.DisplayName, LogoURL: b.LogoURL, AccentColor: b.AccentColor}
}

func (s *Server) putBranding(c *fiber.Ctx) error {
	var in brandingJSON
	if err := s.decode(c, &in); err != nil {
		return err
	}
	b, err := s.svc.SetBranding(c.UserContext(), tenantParam(c), auth.Branding(in), adminMeta(c))
	if err != nil {
		return err
	}
	return c.JSON(toBranding(b))
}

func (s *Server) getBranding(c *fiber.Ctx) error {
	t, err := s.svc.Tenant(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	return c.JSON(toBranding(t.Branding))
}
