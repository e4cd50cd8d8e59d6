package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/wasmauth/wasmauth/internal/token"
)

// Principal is who an admin request authenticated as.
type Principal struct {
	// Operator is true for the operator token.
	Operator bool
	// Tenant is the tenant whose API key was presented.
	Tenant string
}

// apiKeyPrefix starts every tenant API key; the tenant id follows, then a
// dot and 256 random bits, so a key names its tenant without a lookup table.
const apiKeyPrefix = "wak_"

func newAPIKey(tenant string) (key string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	key = apiKeyPrefix + tenant + "." + base64.RawURLEncoding.EncodeToString(b)
	return key, HashSecret(key)
}

// HashSecret returns the SHA-256 of a high-entropy secret (API key, operator
// token). Such secrets need no slow hash: they cannot be guessed.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// Authenticate checks an admin bearer token sent from m.IP. Wrong tokens
// count per address under the limiter's LimitToken rule; past it, every token
// from that address, right or wrong, is refused until the count decays.
// Returns CodeUnauthorized for a missing or wrong token, CodeRateLimited.
func (s *Service) Authenticate(ctx context.Context, bearer string, m Meta) (Principal, error) {
	if bearer == "" {
		return Principal{}, Errorf(CodeUnauthorized, "an operator token or tenant API key is required")
	}
	limitKey := LimitToken + ":" + m.IP
	if err := s.blocked("too many wrong tokens; try again later", limitKey); err != nil {
		return Principal{}, err
	}
	p, err := s.VerifyToken(ctx, bearer)
	if ErrorCode(err) == CodeUnauthorized {
		s.fail(limitKey)
	}
	return p, err
}

// VerifyToken checks an admin bearer token like Authenticate, but neither
// consults nor counts the rate limit: for deciding how much of a request to
// read before Authenticate runs. Returns CodeUnauthorized.
func (s *Service) VerifyToken(ctx context.Context, bearer string) (Principal, error) {
	if bearer == "" {
		return Principal{}, Errorf(CodeUnauthorized, "an operator token or tenant API key is required")
	}
	sum := HashSecret(bearer)
	if len(s.cfg.OperatorTokenHash) > 0 && subtle.ConstantTimeCompare(sum, s.cfg.OperatorTokenHash) == 1 {
		return Principal{Operator: true}, nil
	}
	if rest, ok := strings.CutPrefix(bearer, apiKeyPrefix); ok {
		if tenant, _, ok := strings.Cut(rest, "."); ok && ValidTenantID(tenant) {
			t, err := s.store.GetTenant(ctx, tenant)
			if err == nil && subtle.ConstantTimeCompare(sum, t.APIKeyHash) == 1 {
				return Principal{Tenant: tenant}, nil
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				return Principal{}, err
			}
		}
	}
	return Principal{}, Errorf(CodeUnauthorized, "the token is not valid")
}

// Authorize checks that p may act on tenant: p is the operator or tenant's
// own API key. Returns CodeForbidden.
func (p Principal) Authorize(tenant string) error {
	if p.Operator || (tenant != "" && p.Tenant == tenant) {
		return nil
	}
	return errForbidden()
}

// AuthorizeOperator checks that p is the operator, for the routes no tenant
// key may use. Returns CodeForbidden.
func (p Principal) AuthorizeOperator() error {
	if p.Operator {
		return nil
	}
	return errForbidden()
}

func errForbidden() error {
	return Errorf(CodeForbidden, "this key may not act on this resource")
}

// Actor names the principal in the audit trail.
func (p Principal) Actor() string {
	if p.Operator {
		return "operator"
	}
	return "tenant_key"
}

// CreateTenant creates a tenant with a fresh API key and signing key and
// returns both. Returns CodeInvalidTenantID, CodeTenantExists.
func (s *Service) CreateTenant(ctx context.Context, id, name string, m Meta) (*Tenant, string, error) {
	if !ValidTenantID(id) {
		return nil, "", Errorf(CodeInvalidTenantID, "a tenant id must match ^[a-z0-9][a-z0-9-]{1,62}$")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = id
	}
	if len(name) > 200 {
		return nil, "", Errorf(CodeInvalidRequest, "name must be at most 200 bytes")
	}
	key, err := token.GenerateKey(s.cfg.SigningAlgorithm)
	if err != nil {
		return nil, "", err
	}
	apiKey, apiKeyHash := newAPIKey(id)
	t := &Tenant{
		ID:         id,
		Name:       name,
		CreatedAt:  s.now().UTC(),
		APIKeyHash: apiKeyHash,
		SigningKeys: []SigningKey{{
			ID: key.ID, Algorithm: key.Algorithm, Private: key.Private, CreatedAt: key.CreatedAt,
		}},
	}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		if errors.Is(err, ErrTenantExists) {
			return nil, "", Errorf(CodeTenantExists, "tenant %q exists", id)
		}
		return nil, "", err
	}
	s.audit(id, EventTenantCreated, m, id, nil)
	return t, apiKey, nil
}

// RotateAPIKey gives a tenant a new API key; the old one stops working.
func (s *Service) RotateAPIKey(ctx context.Context, tenant string, m Meta) (string, error) {
	apiKey, hash := newAPIKey(tenant)
	_, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		t.APIKeyHash = hash
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return "", Errorf(CodeTenantNotFound, "tenant %q does not exist", tenant)
	}
	if err != nil {
		return "", err
	}
	s.audit(tenant, EventAPIKeyRotated, m, tenant, nil)
	return apiKey, nil
}

// ListTenants returns every tenant.
func (s *Service) ListTenants(ctx context.Context) ([]*Tenant, error) {
	return s.store.ListTenants(ctx)
}

// DeleteTenant removes a tenant with its users, scripts, keys and sessions.
func (s *Service) DeleteTenant(ctx context.Context, tenant string) error {
	if err := s.store.DeleteTenant(ctx, tenant); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeTenantNotFound, "tenant %q does not exist", tenant)
		}
		return err
	}
	s.ForgetTenant(tenant)
	return nil
}

// ForgetTenant drops what this server keeps in memory of a tenant: its
// modules' instances and hashes, its legacy pool, its timing and metrics.
// The server that deletes a tenant calls it; the others, sharing the store,
// call it when they hear of the deletion, or to drop what may be stale.
func (s *Service) ForgetTenant(tenant string) {
	if s.scripts != nil {
		s.scripts.Forget(tenant)
	}
	s.timing.forget(tenant)
	s.legacyCounts.forget(tenant)
	s.observe.ForgetTenant(tenant)
}

// signingKeys converts a tenant's keys for the token package.
func signingKeys(t *Tenant) []token.Key {
	keys := make([]token.Key, len(t.SigningKeys))
	for i, k := range t.SigningKeys {
		keys[i] = token.Key{ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt}
	}
	return keys
}

// JWKS returns the tenant's public signing keys as a JWK set.
func (s *Service) JWKS(ctx context.Context, tenant string) ([]byte, error) {
	// Tenants made before ID tokens existed get their RS256 key here.
	if _, err := s.IDTokenKeys(ctx, tenant); err != nil {
		return nil, err
	}
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return token.JWKS(signingKeys(t))
}
