package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// withMetrics reports every answered request to Config.Observe with its
// route template, never the raw path, so the number of series stays bounded.
func (s *Server) withMetrics(c *fiber.Ctx) error {
	if s.cfg.Observe == nil {
		return c.Next()
	}
	start := time.Now()
	if err := c.Next(); err != nil {
		// Only a recovered panic gets here (the access log writes the other
		// errors); write it now so the status is the one the client sees.
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	s.cfg.Observe(methodLabel(c.Method()), routeLabel(c.Route()), c.Response().StatusCode(), time.Since(start))
	return nil
}

// routeLabel is the template of the route that answered, never the raw
// path. When no endpoint answered, it is the template of the last middleware
// that ran: "/admin/v1" for a failed admin authentication, "/" for a request
// no route matched.
func routeLabel(r *fiber.Route) string {
	if r.Path == "" {
		return "/"
	}
	return r.Path
}

// methodLabel returns Fiber's constant for each method Fiber routes, so the
// label never points into Fiber's reused request buffer; any other method
// is "OTHER".
func methodLabel(m string) string {
	for _, known := range [...]string{
		fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
		fiber.MethodDelete, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace,
	} {
		if m == known {
			return known
		}
	}
	return "OTHER"
}
