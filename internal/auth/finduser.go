package auth

import (
	"context"
	"errors"
)

// FindUser returns the user whose email or username is identifier (as a
// login would find it). Returns CodeNotFound.
func (s *Service) FindUser(ctx context.Context, tenant, identifier string) (*User, error) {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	u, err := s.store.FindUser(ctx, tenant, NormalizeIdentifier(identifier))
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "no user has this email or username")
	}
	return u, err
}
