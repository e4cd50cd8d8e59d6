package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/console"
)

// routes registers every route of the contract. Route lists the routes for
// the OpenAPI check.
func (s *Server) routes() {
	app := s.app
	app.Use(s.withEdge, s.withBody, s.withRequestID, s.withMetrics, s.withRecover, s.withAccessLog)

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	if s.cfg.Metrics != nil && s.cfg.MetricsPublic {
		app.Get("/metrics", s.cfg.Metrics)
	} else if s.cfg.Metrics != nil {
		app.Get("/metrics", s.withAdminAuth, s.operatorOnly, s.cfg.Metrics)
	}
	app.Get("/openapi.json", s.openapi)
	s.console = console.New(s.svc, console.Options{Status: StatusOf, MaxModuleSize: int64(s.cfg.MaxModuleSize), Log: s.log})
	app.Use("/console", s.console.Fiber(meta))

	admin := app.Group("/admin/v1", s.withAdminAuth)
	admin.Get("/backup", s.operatorOnly, s.backup)
	admin.Post("/tenants", s.operatorOnly, s.createTenant)
	admin.Get("/tenants", s.operatorOnly, s.listTenants)
	admin.Get("/tenants/:tenant", s.operatorOnly, s.getTenant)
	admin.Delete("/tenants/:tenant", s.operatorOnly, s.deleteTenant)
	admin.Post("/tenants/:tenant/api-keys", s.operatorOnly, s.rotateAPIKey)

	ta := admin.Group("/tenants/:tenant", s.tenantAccess)
	ta.Put("/script", s.uploadScript)
	ta.Get("/script", s.listScripts)
	ta.Post("/script/versions/:version/activate", s.activateScript)
	ta.Delete("/script/versions/:version", s.deleteScript)
	ta.Post("/script/test", s.testScript)
	ta.Put("/connection", s.putConnection)
	ta.Get("/connection", s.getConnection)
	ta.Delete("/connection", s.deleteConnection)
	ta.Patch("/connection", s.patchConnection)
	ta.Put("/migration", s.putMigration)
	ta.Get("/migration", s.getMigration)
	ta.Post("/migration/drain", s.startDrain)
	ta.Get("/migration/drain", s.getDrain)
	ta.Delete("/migration/drain", s.stopDrain)
	ta.Post("/users/import", s.importUsers)
	ta.Get("/users", s.listUsers)
	ta.Get("/users/:id", s.getUser)
	ta.Delete("/users/:id", s.deleteUser)
	ta.Get("/audit", s.listAudit)
	ta.Get("/logs", s.listLogs)
	ta.Post("/clients", s.createClient)
	ta.Get("/clients", s.listClients)
	ta.Get("/clients/:id", s.getClient)
	ta.Put("/clients/:id", s.updateClient)
	ta.Delete("/clients/:id", s.deleteClient)
	ta.Post("/clients/:id/secret", s.rotateClientSecret)
	ta.Post("/keys/rotate", s.rotateKeys)
	ta.Put("/branding", s.putBranding)
	ta.Get("/branding", s.getBranding)
	ta.Put("/settings", s.putSettings)
	ta.Get("/settings", s.getSettings)

	pub := app.Group("/t/:tenant")
	pub.Post("/register", s.register)
	pub.Post("/login", s.login)
	pub.Post("/oauth/token", s.token)
	pub.Post("/oauth/revoke", s.revoke)
	pub.Get("/userinfo", s.userinfo)
	pub.Post("/userinfo", s.userinfo)
	pub.Post("/password", s.changePassword)
	pub.Post("/password/forgot", s.forgotPassword)
	pub.Get("/password/forgot", s.forgotPage)
	pub.Post("/password/reset", s.resetPassword)
	pub.Get("/password/reset", s.resetPage)
	pub.Get("/.well-known/openid-configuration", s.discovery)
	pub.Get("/.well-known/jwks.json", s.jwks)
	s.oidcRoutes(pub)
}

// Routes returns "METHOD path" for every route the app registered, with
// Fiber's ":param" spelled "{param}" as in OpenAPI.
func (s *Server) Routes() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Method == "USE" {
			continue
		}
		key := r.Method + " " + openAPIPath(r.Path)
		if !seen[key] {
			seen[key] = true
			out = append(out, key)
		}
	}
	return out
}

// openAPIPath turns /t/:tenant into /t/{tenant}.
func openAPIPath(p string) string {
	b := []byte{}
	for i := 0; i < len(p); i++ {
		if p[i] == ':' {
			j := i + 1
			for j < len(p) && p[j] != '/' {
				j++
			}
			b = append(b, '{')
			b = append(b, p[i+1:j]...)
			b = append(b, '}')
			i = j - 1
			continue
		}
		b = append(b, p[i])
	}
	return string(b)
}
