package auth

import "context"

// SignIn checks a password for the hosted login page by running Login, the
// same code as v1's JSON /login — local first, else the tenant's module and
// a copy of the user, with its rate limits, audit and equal timing — and
// returns the user. The v1 session Login starts is revoked at once: the page
// keeps its own browser session. Returns Login's errors.
func (s *Service) SignIn(ctx context.Context, tenant, identifier, pw string, m Meta) (*User, error) {
	ts, err := s.Login(ctx, tenant, identifier, pw, m)
	if err != nil {
		return nil, err
	}
	if err := s.Revoke(ctx, tenant, ts.RefreshToken); err != nil {
		return nil, err
	}
	return ts.User, nil
}
