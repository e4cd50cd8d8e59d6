package auth

import (
	"context"
	"errors"
)

// ListUsers returns a page of the tenant's users.
func (s *Service) ListUsers(ctx context.Context, tenant string, q UserQuery) ([]*User, string, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, "", err
	}
	if q.Source != "" && q.Source != SourceLocal && q.Source != SourceLegacy {
		return nil, "", Errorf(CodeInvalidRequest, `source must be "local" or "legacy"`)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 1000)
	return s.store.ListUsers(ctx, tenant, q)
}

// GetUser returns one user. Returns CodeNotFound.
func (s *Service) GetUser(ctx context.Context, tenant, id string) (*User, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	u, err := s.storeUser(ctx, tenant, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "user %q does not exist", id)
	}
	return u, err
}

// DeleteUser removes a user and its sessions. Returns CodeNotFound.
func (s *Service) DeleteUser(ctx context.Context, tenant, id string, m Meta) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, tenant, id); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Errorf(CodeNotFound, "user %q does not exist", id)
		}
		return err
	}
	s.audit(tenant, EventUserDeleted, m, id, nil)
	return nil
}
