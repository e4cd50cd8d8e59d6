package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// patchConnection changes the config or limits of a tenant's connection
// without its DSN, as a JSON merge patch (RFC 7396): each key of "config"
// and "limits" replaces that key, a null removes it (a removed limit is the
// server's default), keys not named are kept.
func (s *Server) patchConnection(c *fiber.Ctx) error {
	var in struct {
		Driver json.RawMessage            `json:"driver"`
		DSN    json.RawMessage            `json:"dsn"`
		Config map[string]any             `json:"config"`
		Limits map[string]json.RawMessage `json:"limits"`
	}
	if err := s.decode(c, &in); err != nil {
		return err
	}
	if in.Driver != nil || in.DSN != nil {
		return auth.Errorf(auth.CodeInvalidRequest, "the driver and the DSN change with PUT /connection only")
	}
	if in.Config == nil && in.Limits == nil {
		return auth.Errorf(auth.CodeInvalidRequest, `nothing to change: give "config" or "limits"`)
	}
	edit := func(conn *auth.Connection) error {
		for k, v := range in.Config {
			if v == nil {
				delete(conn.Config, k)
			} else {
				conn.Config[k] = v
			}
		}
		if in.Limits != nil {
			return mergeLimits(&conn.Limits, in.Limits)
		}
		return nil
	}
	conn, err := s.svc.UpdateConnection(c.UserContext(), tenantParam(c), edit, adminMeta(c))
	if err != nil {
		return err
	}
	return c.JSON(connectionJSON{Driver: conn.Driver, DSNSet: conn.DSN != "", Config: conn.Config, Limits: conn.Limits})
}

// mergeLimits applies a merge patch to l: each field named replaces l's, a
// null resets it to the server's default, and a name that is not a limit is
// invalid_request.
func mergeLimits(l *auth.Limits, patch map[string]json.RawMessage) error {
	cur, err := json.Marshal(l)
	if err != nil {
		return err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(cur, &fields); err != nil {
		return err
	}
	for k, v := range patch {
		if bytes.Equal(v, []byte("null")) {
			delete(fields, k)
		} else {
			fields[k] = v
		}
	}
	merged, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	var out auth.Limits
	if err := dec.Decode(&out); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return auth.Errorf(auth.CodeInvalidRequest, "limits: %s is not a limit", name)
		}
		return auth.Errorf(auth.CodeInvalidRequest, "limits: %s", jsonProblem(err))
	}
	*l = out
	return nil
}
