package auth

import (
	"context"
	"slices"

	"github.com/wasmauth/wasmauth/internal/password"
)

// ChangePassword sets a new password for the access token's user and revokes
// the user's other sessions. Returns CodeUnauthorized,
// CodeInvalidCredentials (wrong current password), CodeRateLimited and
// CodeWeakPassword.
func (s *Service) ChangePassword(ctx context.Context, tenant, bearer, current, next string, m Meta) error {
	ctx = password.WithTenant(ctx, tenant)
	a, err := s.Authorize(ctx, tenant, bearer)
	if err != nil {
		return err
	}
	if current == "" || next == "" {
		return Errorf(CodeInvalidRequest, "current_password and new_password are required")
	}
	// A wrong current password counts as a wrong login of the account, so
	// a stolen session cannot guess it faster than a login could.
	acctKeys := accountKeys(tenant, m.IP, accountOf(a.User))
	limitKeys := slices.Concat(acctKeys, []string{addressKey(tenant, m.IP)})
	if err := s.blocked("too many wrong passwords; try again later", limitKeys...); err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, a.User.PasswordHash, normalizePassword(current))
	if err != nil {
		return hashErr(err)
	}
	if !ok {
		s.fail(limitKeys...)
		return Errorf(CodeInvalidCredentials, "the current password is incorrect")
	}
	s.succeed(acctKeys[0])
	pw, err := password.Validate(next)
	if err != nil {
		return policyErr(err)
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return hashErr(err)
	}
	now := s.now().UTC()
	if _, err := s.store.UpdateUser(ctx, tenant, a.User.ID, func(u *User) error {
		u.PasswordHash = hash
		u.PasswordChangeRequired = false
		u.UpdatedAt = now
		return nil
	}); err != nil {
		return err
	}
	if err := s.store.RevokeUserSessions(ctx, tenant, a.User.ID, a.Session.ID, now); err != nil {
		return err
	}
	m.Actor = a.User.ID
	s.audit(tenant, EventPasswordChanged, m, a.User.ID, nil)
	return nil
}
