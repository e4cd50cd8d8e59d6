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

// methodLabel returns a constant for each method Fiber routes, so the label
// never points into Fiber's reused request buffer.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	case fiber.MethodConnect:
		return fiber.MethodConnect
	case fiber.MethodTrace:
		return fiber.MethodTrace
	}
	return "OTHER"
}
