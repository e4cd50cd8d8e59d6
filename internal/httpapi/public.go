package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// decode reads a JSON body into v (its size was checked before it was read;
// see bodyLimit). Returns CodeUnsupportedMedia and CodeInvalidRequest.
func (s *Server) decode(c *fiber.Ctx, v any) error {
	if err := checkMediaType(c, mediaJSON); err != nil {
		return err
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return auth.Errorf(auth.CodeInvalidRequest, "a JSON body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return auth.Errorf(auth.CodeInvalidRequest, "the body is not valid JSON for this request: %s", jsonProblem(err))
	}
	if dec.More() {
		return auth.Errorf(auth.CodeInvalidRequest, "the body has data after its JSON value")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
		}
		return fmt.Sprintf("expected %s", typ.Type)
	}
	return "malformed JSON"
}

func (s *Server) register(c *fiber.Ctx) error {
	var in struct {
		Email    string         `json:"email"`
		Username string         `json:"username"`
		Password string         `json:"password"`
		Profile  map[string]any `json:"profile"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	u, err := s.svc.Register(c.UserContext(), tenantParam(c), auth.RegisterInput{
		Email: in.Email, Username: in.Username, Password: in.Password, Profile: in.Profile,
	}, meta(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": toUser(u)})
}

func (s *Server) login(c *fiber.Ctx) error {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	ts, err := s.svc.Login(c.UserContext(), tenantParam(c), in.Identifier, in.Password, meta(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(toTokens(ts, true))
}

// formValue reads a form field of an application/x-www-form-urlencoded body.
func formValue(c *fiber.Ctx, key string) string {
	return clone(c.FormValue(key))
}

func (s *Server) token(c *fiber.Ctx) error {
	if err := checkMediaType(c, mediaForm); err != nil {
		return err
	}
	tenant := tenantParam(c)
	if s.cfg.OIDC != nil && isOIDCGrant(c) {
		return s.oidcHandler(c)
	}
	if grant := formValue(c, "grant_type"); grant != "refresh_token" {
		// An unknown tenant is 404 before any complaint about the grant.
		// Refresh looks the tenant up itself, so the refresh grant does not
		// read it twice.
		if _, err := s.svc.Tenant(c.UserContext(), tenant); err != nil {
			return err
		}
		if grant == "" {
			return auth.Errorf(auth.CodeInvalidRequest, "grant_type is required")
		}
		return auth.Errorf(auth.CodeUnsupportedGrant, "only the refresh_token grant is supported")
	}
	ts, err := s.svc.Refresh(c.UserContext(), tenant, formValue(c, "refresh_token"), meta(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
	return c.JSON(toTokens(ts, false))
}

func (s *Server) revoke(c *fiber.Ctx) error {
	if err := checkMediaType(c, mediaForm); err != nil {
		return err
	}
	if err := s.svc.Revoke(c.UserContext(), tenantParam(c), formValue(c, "token")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

func (s *Server) userinfo(c *fiber.Ctx) error {
	claims, err := s.svc.UserInfo(c.UserContext(), tenantParam(c), bearer(c))
	if err != nil {
		if auth.ErrorCode(err) == auth.CodeUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
		}
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(claims)
}

func (s *Server) changePassword(c *fiber.Ctx) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	tok := bearer(c)
	if tok == "" {
		// An unknown tenant is 404 on every path, even without a token.
		if _, err := s.svc.Tenant(c.UserContext(), tenantParam(c)); err != nil {
			return err
		}
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
		return auth.Errorf(auth.CodeUnauthorized, "an access token is required")
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	if err := s.svc.ChangePassword(c.UserContext(), tenantParam(c), tok, in.Current, in.New, meta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) discovery(c *fiber.Ctx) error {
	tenant := tenantParam(c)
	if s.cfg.OIDC != nil {
		d, err := s.cfg.OIDC.Discovery(c.UserContext(), tenant)
		if err != nil {
			return err
		}
		return c.JSON(d)
	}
	if _, err := s.svc.Tenant(c.UserContext(), tenant); err != nil {
		return err
	}
	iss := s.svc.Issuer(tenant)
	return c.JSON(fiber.Map{
		"issuer":                                     iss,
		"jwks_uri":                                   iss + "/.well-known/jwks.json",
		"token_endpoint":                             iss + "/oauth/token",
		"userinfo_endpoint":                          iss + "/userinfo",
		"revocation_endpoint":                        iss + "/oauth/revoke",
		"grant_types_supported":                      []string{"refresh_token"},
		"response_types_supported":                   []string{"token"},
		"subject_types_supported":                    []string{"public"},
		"id_token_signing_alg_values_supported":      []string{"ES256", "EdDSA"},
		"token_endpoint_auth_methods_supported":      []string{"none"},
		"revocation_endpoint_auth_methods_supported": []string{"none"},
		"scopes_supported":                           []string{"openid", "profile", "email"},
		"claims_supported":                           []string{"sub", "email", "email_verified", "preferred_username", "name", "updated_at"},
	})
}

func (s *Server) jwks(c *fiber.Ctx) error {
	set, err := s.svc.JWKS(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(set)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.UserContext()); err != nil {
			s.log.Warn("not ready", "err", err)
			return auth.Errorf(auth.CodeServiceUnavailable, "the store is not available")
		}
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func (s *Server) openapi(c *fiber.Ctx) error {
	if len(s.cfg.OpenAPI) == 0 {
		return auth.Errorf(auth.CodeNotFound, "no OpenAPI document")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(s.cfg.OpenAPI)
}
