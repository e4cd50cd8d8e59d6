package auth

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/password"
)

// RegisterInput is a self-service registration.
type RegisterInput struct {
	Email    string
	Username string
	Password string
	Profile  map[string]any
}

// Register creates a local user. Returns CodeRateLimited (too many
// registrations from the client's address), CodeInvalidRequest,
// CodeWeakPassword, CodeUserExists (taken locally or, while migration is
// on, in the legacy database) and CodeLegacyUnavailable.
func (s *Service) Register(ctx context.Context, tenant string, in RegisterInput, m Meta) (*User, error) {
	ctx = password.WithTenant(ctx, tenant)
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	email, username := NormalizeIdentifier(in.Email), NormalizeIdentifier(in.Username)
	if email == "" && username == "" {
		return nil, Errorf(CodeInvalidRequest, "an email or a username is required")
	}
	if email != "" {
		if err := validateEmail(email); err != nil {
			return nil, err
		}
	}
	if username != "" {
		if err := validateUsername(username); err != nil {
			return nil, err
		}
	}
	if err := validateProfile(in.Profile); err != nil {
		return nil, err
	}
	if in.Password == "" {
		return nil, Errorf(CodeInvalidRequest, "password is required")
	}
	pw, err := password.Validate(in.Password)
	if err != nil {
		return nil, policyErr(err)
	}
	// Every well-formed attempt counts, refused ones too: each costs store
	// lookups and maybe module calls, and a 409 tells that an account
	// exists. Malformed ones cost nothing and do not count.
	if s.limiter != nil {
		if wait, ok := s.limiter.Take(s.now(), registrationKey(m.IP)); !ok {
			return nil, &Error{Code: CodeRateLimited, Message: "too many registrations from this address; try again later", RetryAfter: wait}
		}
	}
	if err := s.checkLocalFree(ctx, tenant, email, username); err != nil {
		return nil, err
	}
	if s.migrationOn(t) {
		for _, id := range []string{TrimNFC(in.Email), TrimNFC(in.Username)} {
			if id == "" {
				continue
			}
			if err := s.checkLegacyFree(ctx, t, id); err != nil {
				return nil, err
			}
		}
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return nil, hashErr(err)
	}
	now := s.now().UTC()
	u := &User{
		ID:        uuid.Must(uuid.NewV7()).String(),
		Tenant:    tenant,
		Email:     email,
		Username:  username,
		Profile:   in.Profile,
		CreatedAt: now,
		UpdatedAt: now,
		Source:    SourceLocal,
	}
	u.PasswordHash = hash
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrEmailTaken) || errors.Is(err, ErrUsernameTaken) {
			return nil, Errorf(CodeUserExists, "a user with this email or username exists")
		}
		return nil, err
	}
	s.audit(tenant, EventUserRegistered, m, u.ID, nil)
	return u, nil
}

func (s *Service) checkLocalFree(ctx context.Context, tenant string, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		_, err := s.store.FindUser(ctx, tenant, id)
		if err == nil {
			return Errorf(CodeUserExists, "a user with this email or username exists")
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// checkLegacyFree asks the tenant's module whether identifier exists in the
// legacy database.
func (s *Service) checkLegacyFree(ctx context.Context, t *Tenant, identifier string) error {
	res, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpGetUser, Identifier: identifier})
	if err != nil {
		return err
	}
	if res.User != nil {
		return Errorf(CodeUserExists, "a user with this email or username exists")
	}
	return nil
}
