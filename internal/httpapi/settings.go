package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// settingsJSON is a tenant's adjustable policies. GET shows the effective
// values; in a PUT, 0 or an omitted field is the default.
type settingsJSON struct {
	BrowserSessionSeconds int64 `json:"browser_session_seconds"`
}

func toSettings(st auth.Settings) settingsJSON {
	t := auth.Tenant{Settings: st}
	return settingsJSON{BrowserSessionSeconds: int64(t.BrowserSessionTTL() / time.Second)}
}

func (s *Server) putSettings(c *fiber.Ctx) error {
	var in settingsJSON
	if err := s.decode(c, &in); err != nil {
		return err
	}
	if in.BrowserSessionSeconds < 0 || in.BrowserSessionSeconds > int64(auth.MaxBrowserSessionTTL/time.Second) {
		in.BrowserSessionSeconds = -1 // refused by SetSettings without overflowing
	}
	st, err := s.svc.SetSettings(c.UserContext(), tenantParam(c), auth.Settings{
		BrowserSessionTTL: time.Duration(in.BrowserSessionSeconds) * time.Second,
	}, adminMeta(c))
	if err != nil {
		return err
	}
	return c.JSON(toSettings(*st))
}

func (s *Server) getSettings(c *fiber.Ctx) error {
	t, err := s.svc.Tenant(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	return c.JSON(toSettings(t.Settings))
}
