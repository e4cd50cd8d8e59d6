package auth

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/wasmauth/wasmauth/internal/password"
)

// RegisterInput is a self-service registration.
type RegisterInput struct {
	Email    string
	Username string
	Password string
	Profile  map[string]any
}

// errInvalidCredentials is the one answer for an unknown user and a wrong
// password: same code, same message.
func errInvalidCredentials() error {
	return Errorf(CodeInvalidCredentials, "user does not exist or password is incorrect")
}

// hashErr maps a password hashing failure to a client error.
func hashErr(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &Error{Code: CodeOverloaded, Message: "the server is busy; try again shortly", RetryAfter: password.RetryAfter(err), Err: err}
	}
	return err
}

// policyErr maps a password policy failure to CodeWeakPassword.
func policyErr(err error) error {
	if errors.Is(err, password.ErrWeak) {
		return Wrap(err, CodeWeakPassword, weakPasswordMessage(err))
	}
	return err
}

func weakPasswordMessage(err error) string {
	switch {
	case errors.Is(err, password.ErrTooShort):
		return "the password must be at least 8 characters"
	case errors.Is(err, password.ErrTooLong):
		return "the password must be at most 256 characters"
	case errors.Is(err, password.ErrCommon):
		return "the password is too common"
	}
	return "the password is too weak"
}

// migrationOn reports whether the tenant's module is called for unknown users.
func (s *Service) migrationOn(t *Tenant) bool {
	return s.scripts != nil && t.MigrationEnabled && t.ActiveScript > 0 && t.Connection != nil
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

// callScript runs a module call, records its logs and outcome, and maps a
// failure to CodeLegacyUnavailable.
func (s *Service) callScript(ctx context.Context, c ScriptCall) (*ScriptResult, error) {
	res, err := s.scripts.Call(ctx, c)
	outcome := "ok"
	var se *ScriptError
	if errors.As(err, &se) {
		outcome = se.Kind
	} else if err != nil {
		outcome = "unavailable"
	}
	if res != nil {
		s.events.Logs(c.Tenant.ID, res.Logs)
		s.observe.ScriptCall(c.Tenant.ID, c.Op, outcome, res.Duration, res.FuelUsed)
	} else {
		s.observe.ScriptCall(c.Tenant.ID, c.Op, outcome, 0, 0)
	}
	if err != nil {
		if c.Op == OpLogin {
			s.observe.Login(OutcomeLegacyError)
			s.countLegacy(c.Tenant.ID, LegacyError)
		}
		s.log.Warn("tenant script failed", "tenant", c.Tenant.ID, "op", c.Op, "err", err)
		return res, Wrap(err, CodeLegacyUnavailable, "the legacy user store is unavailable; try again later")
	}
	return res, nil
}

func (s *Service) countLegacy(tenant string, o LegacyOutcome) {
	// The count must not be lost because the client went away.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.CountLegacyOutcome(ctx, tenant, o); err != nil {
		s.log.Error("counting legacy outcome", "tenant", tenant, "err", err)
	}
}

// TokenSet is what a successful login or refresh returns.
type TokenSet struct {
	AccessToken  string
	ExpiresIn    int
	RefreshToken string
	User         *User
}

// Login checks credentials: locally for a user stored locally, else through
// the tenant's module when migration is on, copying the user on success.
// Returns CodeInvalidRequest, CodeInvalidCredentials, CodeRateLimited,
// CodeOverloaded, CodeLegacyUnavailable and CodeMigrationConflict.
func (s *Service) Login(ctx context.Context, tenant, identifier, pw string, m Meta) (*TokenSet, error) {
	start := s.now()
	ctx = password.WithTenant(ctx, tenant)
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	id := NormalizeIdentifier(identifier)
	if id == "" || pw == "" {
		return nil, Errorf(CodeInvalidRequest, "identifier and password are required")
	}
	if len(pw) > 4096 || len(id) > 1024 {
		return nil, s.reject(ctx, t, id, m, start, false, "too_long")
	}
	// Failures count per (identifier, address) — the key that blocks an
	// attacker — and, with higher limits, per address and per identifier;
	// once the account is known (see accountKeys), per (account, address)
	// and per account too, so that spelling variants share one budget. The
	// real user is not locked out from another address; a success resets
	// the (identifier, address) and (account, address) keys only.
	limitKeys := loginKeys(tenant, m.IP, id)
	if err := s.loginBlocked(limitKeys...); err != nil {
		return nil, err
	}
	u, err := s.store.FindUser(ctx, tenant, id)
	switch {
	case err == nil:
		return s.loginLocal(ctx, t, u, pw, m, start, limitKeys)
	case !errors.Is(err, ErrNotFound):
		return nil, err
	case s.migrationOn(t):
		return s.loginLegacy(ctx, t, TrimNFC(identifier), id, pw, m, start, limitKeys)
	}
	// Unknown user, no migration: spend what a wrong password costs.
	if err := s.hasher.VerifyDummy(ctx, normalizePassword(pw)); err != nil {
		return nil, hashErr(err)
	}
	return nil, s.reject(ctx, t, id, m, start, false, "not_found", limitKeys...)
}

// normalizePassword NFC-normalises a password, as registration does before
// it hashes one, so that the same characters typed on another keyboard match.
func normalizePassword(pw string) string {
	return norm.NFC.String(pw)
}

// loginBlocked returns CodeRateLimited, counted as such, when one of keys is
// blocked.
func (s *Service) loginBlocked(keys ...string) error {
	err := s.blocked("too many failed logins; try again later", keys...)
	if err != nil {
		s.observe.Login(OutcomeRateLimited)
	}
	return err
}

// reject counts a failed login, pads its time and returns the one answer.
func (s *Service) reject(ctx context.Context, t *Tenant, id string, m Meta, start time.Time, legacy bool, reason string, limitKeys ...string) error {
	s.fail(limitKeys...)
	s.observe.Login(OutcomeRejected)
	s.audit(t.ID, EventLoginFailed, m, id, map[string]any{"reason": reason})
	s.timing.pad(ctx, t.ID, legacy || s.migrationOn(t) || s.hasImported(ctx, t.ID), start)
	return errInvalidCredentials()
}

func (s *Service) loginLocal(ctx context.Context, t *Tenant, u *User, pw string, m Meta, start time.Time, limitKeys []string) (*TokenSet, error) {
	if u.Imported && u.PasswordHash == "" {
		return s.loginImported(ctx, t, u, pw, m, start, limitKeys)
	}
	acctKeys := accountKeys(t.ID, m.IP, accountOf(u))
	if err := s.loginBlocked(acctKeys...); err != nil {
		return nil, err
	}
	ok, rehash, err := s.hasher.Verify(ctx, u.PasswordHash, normalizePassword(pw))
	if err != nil {
		return nil, hashErr(err)
	}
	s.timing.observe(ctx, t.ID, false, start)
	if !ok {
		return nil, s.reject(ctx, t, u.ID, m, start, false, "wrong_password", slices.Concat(limitKeys, acctKeys)...)
	}
	if rehash {
		s.rehash(ctx, u, pw)
	}
	s.succeed(limitKeys[0], acctKeys[0])
	s.audit(t.ID, EventLoginSucceeded, m, u.ID, map[string]any{"source": string(u.Source)})
	s.observe.Login(OutcomeLocalOK)
	return s.issue(ctx, t, u)
}

// rehash stores the password under the current hash parameters. A failure is
// logged, not returned: the login itself succeeded.
func (s *Service) rehash(ctx context.Context, u *User, pw string) {
	hash, err := s.hasher.Hash(ctx, normalizePassword(pw))
	if err != nil {
		s.log.Warn("re-hashing password", "tenant", u.Tenant, "user", u.ID, "err", err)
		return
	}
	_, err = s.store.UpdateUser(ctx, u.Tenant, u.ID, func(x *User) error {
		if x.PasswordHash == u.PasswordHash {
			x.PasswordHash = hash
			x.UpdatedAt = s.now().UTC()
		}
		return nil
	})
	if err != nil {
		s.log.Warn("storing re-hashed password", "tenant", u.Tenant, "user", u.ID, "err", err)
	}
}
