package auth

import (
	"context"
	"errors"
	"time"

	"github.com/wasmauth/wasmauth/internal/token"
)

// EventKeysRotated is the audit event of a signing key rotation.
const EventKeysRotated = "keys_rotated"

// IDTokenTTL is the lifetime of ID tokens.
const IDTokenTTL = time.Hour

// RotateKeys gives the tenant new signing keys — one for access tokens (the
// server's algorithm) and one ID token key of each of IDTokenAlgs — which
// sign from now on. A replaced key stays, for verification and in JWKS,
// until every token it signed has expired (the longer of the access and ID
// token lifetimes, plus the verifiers' leeway), and goes with the first
// rotation after that. Returns CodeTenantNotFound.
func (s *Service) RotateKeys(ctx context.Context, tenant string, m Meta) (*Tenant, error) {
	// Made outside UpdateTenant, whose fn may run more than once.
	access, err := token.GenerateKey(s.cfg.SigningAlgorithm)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	access.CreatedAt = now
	ids := make([]SigningKey, 0, len(IDTokenAlgs))
	idKids := map[string]string{}
	for _, alg := range IDTokenAlgs {
		k, err := token.GenerateKey(alg)
		if err != nil {
			return nil, err
		}
		k.CreatedAt = now
		ids = append(ids, idTokenKey(k))
		idKids[alg] = k.ID
	}
	keep := max(s.cfg.AccessTTL, IDTokenTTL) + token.Leeway
	var dropped []string
	t, err := s.store.UpdateTenant(ctx, tenant, func(t *Tenant) error {
		dropped = nil
		// The new access token key goes first: it signs (signAccessFor);
		// ID tokens use the newest key of the client's algorithm.
		keys := append([]SigningKey{fromTokenKey(access)}, t.SigningKeys...)
		keys = append(keys, ids...)
		kept := keys[:0:0]
		for _, k := range keys {
			if retired, ok := retiredAt(keys, k); ok && now.Sub(retired) > keep {
				dropped = append(dropped, k.ID)
				continue
			}
			kept = append(kept, k)
		}
		t.SigningKeys = kept
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeTenantNotFound, "tenant %q does not exist", tenant)
	} else if err != nil {
		return nil, err
	}
	for _, kid := range dropped {
		s.keys.Forget(kid)
	}
	s.audit(tenant, EventKeysRotated, m, tenant, map[string]any{"access_kid": access.ID, "id_token_kids": idKids, "dropped": len(dropped)})
	return t, nil
}

func fromTokenKey(k token.Key) SigningKey {
	return SigningKey{ID: k.ID, Algorithm: k.Algorithm, Private: k.Private, CreatedAt: k.CreatedAt}
}

// keyFamily tells apart the keys that replace one another: the access
// token keys, and the ID token keys of each algorithm.
func keyFamily(k SigningKey) string {
	if k.SignsIDTokens() {
		return KeyUseIDToken + "/" + k.Algorithm
	}
	return "access"
}

// retiredAt returns when k stopped signing: when the next newer key of its
// family was made. ok is false for a family's current key.
func retiredAt(keys []SigningKey, k SigningKey) (time.Time, bool) {
	var at time.Time
	for _, o := range keys {
		if keyFamily(o) == keyFamily(k) && o.CreatedAt.After(k.CreatedAt) && (at.IsZero() || o.CreatedAt.Before(at)) {
			at = o.CreatedAt
		}
	}
	return at, !at.IsZero()
}
