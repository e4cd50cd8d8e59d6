package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// clientJSON is a client as the admin API shows it: never its secret.
type clientJSON struct {
	ClientID               string    `json:"client_id"`
	ClientSecret           string    `json:"client_secret,omitempty"`
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	GrantTypes             []string  `json:"grant_types"`
	IDTokenAlg             string    `json:"id_token_signed_response_alg"`
	CreatedAt              time.Time `json:"created_at"`
	UpdatedAt              time.Time `json:"updated_at"`
}

func toClient(c *auth.Client) clientJSON {
	out := clientJSON{
		ClientID: c.ID, Name: c.Name, Type: c.Type,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		GrantTypes: c.GrantTypes, IDTokenAlg: c.IDTokenAlg,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if out.PostLogoutRedirectURIs == nil {
		out.PostLogoutRedirectURIs = []string{}
	}
	return out
}

// clientBody is the body of POST and PUT /clients.
type clientBody struct {
	Name                   string   `json:"name"`
	Type                   string   `json:"type"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	GrantTypes             []string `json:"grant_types"`
	IDTokenAlg             string   `json:"id_token_signed_response_alg"`
}

func (b clientBody) input() auth.ClientInput {
	return auth.ClientInput{
		Name: b.Name, Type: b.Type, RedirectURIs: b.RedirectURIs,
		PostLogoutRedirectURIs: b.PostLogoutRedirectURIs, GrantTypes: b.GrantTypes, IDTokenAlg: b.IDTokenAlg,
	}
}

func (s *Server) createClient(c *fiber.Ctx) error {
	var in clientBody
	if err := s.decode(c, &in); err != nil {
		return err
	}
	cl, secret, err := s.svc.CreateClient(c.UserContext(), tenantParam(c), in.input(), adminMeta(c))
	if err != nil {
		return err
	}
	out := toClient(cl)
	out.ClientSecret = secret
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) listClients(c *fiber.Ctx) error {
	list, err := s.svc.ListClients(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	out := make([]clientJSON, len(list))
	for i, cl := range list {
		out[i] = toClient(cl)
	}
	return c.JSON(fiber.Map{"clients": out})
}

func (s *Server) getClient(c *fiber.Ctx) error {
	cl, err := s.svc.Client(c.UserContext(), tenantParam(c), clone(c.Params("id")))
	if err != nil {
		return err
	}
	return c.JSON(toClient(cl))
}

func (s *Server) updateClient(c *fiber.Ctx) error {
	var in clientBody
	if err := s.decode(c, &in); err != nil {
		return err
	}
	cl, err := s.svc.UpdateClient(c.UserContext(), tenantParam(c), clone(c.Params("id")), in.input(), adminMeta(c))
	if err != nil {
		return err
	}
	return c.JSON(toClient(cl))
}

func (s *Server) deleteClient(c *fiber.Ctx) error {
	if err := s.svc.DeleteClient(c.UserContext(), tenantParam(c), clone(c.Params("id")), adminMeta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) rotateClientSecret(c *fiber.Ctx) error {
	secret, err := s.svc.RotateClientSecret(c.UserContext(), tenantParam(c), clone(c.Params("id")), adminMeta(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"client_secret": secret})
}

// keyJSON is a signing key as the admin API shows it: never its private part.
type keyJSON struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	Use       string    `json:"use"` // access_token or id_token
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) rotateKeys(c *fiber.Ctx) error {
	t, err := s.svc.RotateKeys(c.UserContext(), tenantParam(c), adminMeta(c))
	if err != nil {
		return err
	}
	out := make([]keyJSON, len(t.SigningKeys))
	for i, k := range t.SigningKeys {
		use := "access_token"
		if k.SignsIDTokens() {
			use = auth.KeyUseIDToken
		}
		out[i] = keyJSON{KID: k.ID, Alg: k.Algorithm, Use: use, CreatedAt: k.CreatedAt}
	}
	return c.JSON(fiber.Map{"keys": out})
}
