package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

const principalKey = "principal"

// bearer returns the token of an "Authorization: Bearer" header, copied.
func bearer(c *fiber.Ctx) string {
	return parseBearer(c.Get(fiber.HeaderAuthorization))
}

// parseBearer returns the token of an Authorization header value, copied.
func parseBearer(h string) string {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return clone(strings.TrimSpace(tok))
}

// withAdminAuth authenticates the operator token or a tenant API key.
func (s *Server) withAdminAuth(c *fiber.Ctx) error {
	p, err := s.svc.Authenticate(c.UserContext(), bearer(c), meta(c))
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wasmauth"`)
		return err
	}
	c.Locals(principalKey, p)
	return c.Next()
}

func principal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(principalKey).(auth.Principal)
	return p
}

func (s *Server) operatorOnly(c *fiber.Ctx) error {
	if err := principal(c).AuthorizeOperator(); err != nil {
		return err
	}
	return c.Next()
}

// tenantAccess lets the operator and the tenant's own key through.
func (s *Server) tenantAccess(c *fiber.Ctx) error {
	if err := principal(c).Authorize(c.Params("tenant")); err != nil {
		return err
	}
	return c.Next()
}

func adminMeta(c *fiber.Ctx) auth.Meta {
	m := meta(c)
	m.Actor = principal(c).Actor()
	return m
}

func tenantParam(c *fiber.Ctx) string { return clone(c.Params("tenant")) }

func (s *Server) createTenant(c *fiber.Ctx) error {
	var in struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	t, key, err := s.svc.CreateTenant(c.UserContext(), in.ID, in.Name, adminMeta(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"id": t.ID, "name": t.Name, "created_at": t.CreatedAt, "api_key": key,
	})
}

func (s *Server) listTenants(c *fiber.Ctx) error {
	list, err := s.svc.ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]tenantJSON, len(list))
	for i, t := range list {
		out[i] = toTenant(t)
	}
	return c.JSON(fiber.Map{"tenants": out})
}

func (s *Server) getTenant(c *fiber.Ctx) error {
	t, err := s.svc.Tenant(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	return c.JSON(toTenant(t))
}

func (s *Server) deleteTenant(c *fiber.Ctx) error {
	if err := s.svc.DeleteTenant(c.UserContext(), tenantParam(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) rotateAPIKey(c *fiber.Ctx) error {
	key, err := s.svc.RotateAPIKey(c.UserContext(), tenantParam(c), adminMeta(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"api_key": key})
}

func (s *Server) uploadScript(c *fiber.Ctx) error {
	// The body's size was checked before it was read (see bodyLimit).
	preset := c.Query("preset")
	if preset != "" && len(c.Body()) > 0 {
		return auth.Errorf(auth.CodeInvalidRequest, "an upload with ?preset= has no body")
	}
	if err := checkMediaType(c, mediaWasm); preset == "" && err != nil {
		return err
	}
	activate := true
	if v := c.Query("activate"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return auth.Errorf(auth.CodeInvalidRequest, "activate must be true or false")
		}
		activate = b
	}
	var sc *auth.Script
	var err error
	if preset != "" {
		sc, err = s.svc.UploadPreset(c.UserContext(), tenantParam(c), preset, activate, adminMeta(c))
	} else {
		sc, err = s.svc.UploadScript(c.UserContext(), tenantParam(c), append([]byte(nil), c.Body()...), activate, adminMeta(c))
	}
	if err != nil {
		return err
	}
	out := toScript(sc)
	out.Active = &activate
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) listScripts(c *fiber.Ctx) error {
	list, active, err := s.svc.Scripts(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	out := make([]scriptJSON, len(list))
	for i, sc := range list {
		out[i] = toScript(sc)
	}
	var activeVersion any
	if active > 0 {
		activeVersion = active
	}
	return c.JSON(fiber.Map{"active_version": activeVersion, "versions": out})
}

func (s *Server) activateScript(c *fiber.Ctx) error {
	v, err := strconv.Atoi(c.Params("version"))
	if err != nil || v <= 0 {
		return auth.Errorf(auth.CodeNotFound, "no such script version")
	}
	sc, err := s.svc.ActivateScript(c.UserContext(), tenantParam(c), v, adminMeta(c))
	if err != nil {
		return err
	}
	out := toScript(sc)
	active := true
	out.Active = &active
	return c.JSON(out)
}

func (s *Server) deleteScript(c *fiber.Ctx) error {
	v, err := strconv.Atoi(c.Params("version"))
	if err != nil || v <= 0 {
		return auth.Errorf(auth.CodeNotFound, "no such script version")
	}
	if err := s.svc.DeleteScript(c.UserContext(), tenantParam(c), v, adminMeta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) testScript(c *fiber.Ctx) error {
	var in struct {
		Op         string `json:"op"`
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
		Version    int    `json:"version"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	res, failure, err := s.svc.TestScript(c.UserContext(), tenantParam(c), auth.ScriptTest{
		Op: in.Op, Identifier: in.Identifier, Password: in.Password, Version: in.Version,
	})
	if err != nil {
		return err
	}
	logs := make([]testLogJSON, len(res.Logs))
	for i, l := range res.Logs {
		logs[i] = testLogJSON{Level: l.Level, Message: l.Message}
	}
	out := fiber.Map{
		"ok":          failure == nil,
		"logs":        logs,
		"duration_ms": float64(res.Duration.Microseconds()) / 1000,
		"fuel_used":   res.FuelUsed,
	}
	if failure != nil {
		out["error"] = fiber.Map{"code": failure.Kind, "message": failure.Message}
	} else {
		out["result"] = res.Output
	}
	return c.JSON(out)
}

func (s *Server) putConnection(c *fiber.Ctx) error {
	var in struct {
		Driver string         `json:"driver"`
		DSN    string         `json:"dsn"`
		Config map[string]any `json:"config"`
		Limits auth.Limits    `json:"limits"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	conn := &auth.Connection{Driver: in.Driver, DSN: in.DSN, Config: in.Config, Limits: in.Limits}
	if conn.Config == nil {
		conn.Config = map[string]any{}
	}
	if err := s.svc.SetConnection(c.UserContext(), tenantParam(c), conn, adminMeta(c)); err != nil {
		return err
	}
	return c.JSON(connectionJSON{Driver: conn.Driver, DSNSet: true, Config: conn.Config, Limits: conn.Limits})
}

func (s *Server) getConnection(c *fiber.Ctx) error {
	conn, err := s.svc.Connection(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	if conn == nil {
		return c.JSON(connectionJSON{Config: map[string]any{}})
	}
	cfg := conn.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	return c.JSON(connectionJSON{Driver: conn.Driver, DSNSet: conn.DSN != "", Config: cfg, Limits: conn.Limits})
}

func (s *Server) deleteConnection(c *fiber.Ctx) error {
	if err := s.svc.DeleteConnection(c.UserContext(), tenantParam(c), adminMeta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) putMigration(c *fiber.Ctx) error {
	var in struct {
		Enabled             *bool   `json:"enabled"`
		WeakLegacyPasswords *string `json:"weak_legacy_passwords"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	if in.Enabled == nil && in.WeakLegacyPasswords == nil {
		return auth.Errorf(auth.CodeInvalidRequest, "enabled is required")
	}
	var st *auth.MigrationStatus
	var err error
	if in.WeakLegacyPasswords != nil {
		if st, err = s.svc.SetWeakLegacyPasswords(c.UserContext(), tenantParam(c), *in.WeakLegacyPasswords, adminMeta(c)); err != nil {
			return err
		}
	}
	if in.Enabled != nil {
		if st, err = s.svc.SetMigration(c.UserContext(), tenantParam(c), *in.Enabled, adminMeta(c)); err != nil {
			return err
		}
	}
	return c.JSON(toMigration(st))
}

func (s *Server) getMigration(c *fiber.Ctx) error {
	st, err := s.svc.MigrationStatus(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	return c.JSON(toMigration(st))
}

func queryLimit(c *fiber.Ctx, def int) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, auth.Errorf(auth.CodeInvalidRequest, "limit must be a positive integer")
	}
	return min(n, 1000), nil
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	limit, err := queryLimit(c, 50)
	if err != nil {
		return err
	}
	users, next, err := s.svc.ListUsers(c.UserContext(), tenantParam(c), auth.UserQuery{
		Source: auth.Source(clone(c.Query("source"))), Limit: limit, Cursor: clone(c.Query("cursor")),
	})
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUser(u)
	}
	return c.JSON(fiber.Map{"users": out, "next_cursor": optional(next)})
}

func (s *Server) getUser(c *fiber.Ctx) error {
	u, err := s.svc.GetUser(c.UserContext(), tenantParam(c), clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(toUser(u))
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	if err := s.svc.DeleteUser(c.UserContext(), tenantParam(c), clone(c.Params("id")), adminMeta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listAudit(c *fiber.Ctx) error {
	limit, err := queryLimit(c, 100)
	if err != nil {
		return err
	}
	events, next, err := s.svc.Audit(c.UserContext(), tenantParam(c), limit, clone(c.Query("cursor")))
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(events))
	for i, e := range events {
		detail := e.Detail
		if detail == nil {
			detail = map[string]any{}
		}
		out[i] = auditJSON{Time: e.Time, Type: e.Type, Actor: e.Actor, Subject: e.Subject, IP: e.IP, Detail: detail}
	}
	return c.JSON(fiber.Map{"events": out, "next_cursor": optional(next)})
}

func (s *Server) listLogs(c *fiber.Ctx) error {
	limit, err := queryLimit(c, 100)
	if err != nil {
		return err
	}
	logs, err := s.svc.Logs(c.UserContext(), tenantParam(c), limit)
	if err != nil {
		return err
	}
	out := make([]logJSON, len(logs))
	for i, l := range logs {
		out[i] = logJSON{Time: l.Time.UTC().Truncate(time.Microsecond), Level: l.Level, Op: l.Op, Message: l.Message}
	}
	return c.JSON(fiber.Map{"logs": out})
}
