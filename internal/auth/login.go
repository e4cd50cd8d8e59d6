package auth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/wasmauth/wasmauth/internal/password"
)

// errInvalidCredentials is the one answer for an unknown user and a wrong
// password: same code, same message.
func errInvalidCredentials() error {
	return Errorf(CodeInvalidCredentials, "user does not exist or password is incorrect")
}

// TokenSet is what a successful login or refresh returns.
type TokenSet struct {
	AccessToken  string
	ExpiresIn    int
	RefreshToken string
	User         *User
}

// Login checks credentials (see CheckCredentials) and starts a session: v1's
// JSON /login. Returns CheckCredentials's errors.
func (s *Service) Login(ctx context.Context, tenant, identifier, pw string, m Meta) (*TokenSet, error) {
	t, u, err := s.checkCredentials(ctx, tenant, identifier, pw, m)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, t, u)
}

// CheckCredentials checks a password and returns its user, starting no
// session: locally for a user stored locally, else through the tenant's
// module when migration is on, copying the user on success — with the rate
// limits, audit and equal timing of every login. Login and the hosted
// sign-in page (internal/oidc, which keeps its own browser session) share
// it. Returns CodeTenantNotFound, CodeInvalidRequest,
// CodeInvalidCredentials, CodeRateLimited, CodeOverloaded,
// CodeLegacyUnavailable and CodeMigrationConflict.
func (s *Service) CheckCredentials(ctx context.Context, tenant, identifier, pw string, m Meta) (*User, error) {
	_, u, err := s.checkCredentials(ctx, tenant, identifier, pw, m)
	return u, err
}

func (s *Service) checkCredentials(ctx context.Context, tenant, identifier, pw string, m Meta) (*Tenant, *User, error) {
	start := s.now()
	ctx = password.WithWaitMeter(password.WithTenant(ctx, tenant))
	arrived, err := s.admit(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	defer arrived()
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	id := NormalizeIdentifier(identifier)
	if id == "" || pw == "" {
		return nil, nil, Errorf(CodeInvalidRequest, "identifier and password are required")
	}
	if len(pw) > 4096 || len(id) > 1024 {
		arrived() // no hash, and its padding holds no place
		return nil, nil, s.reject(ctx, t, id, m, start, false, "too_long")
	}
	// Failures count per (identifier, address) — the key that blocks an
	// attacker — and, with higher limits, per address and per identifier;
	// once the account is known (see accountKeys), per (account, address)
	// and per account too, so that spelling variants share one budget. The
	// real user is not locked out from another address; a success resets
	// the (identifier, address) and (account, address) keys only.
	limitKeys := loginKeys(tenant, m.IP, id)
	if err := s.loginBlocked(limitKeys...); err != nil {
		return nil, nil, err
	}
	u, err := s.store.FindUser(ctx, tenant, id)
	arrived() // what follows goes to the hasher, or to the module
	switch {
	case err == nil:
		u, err = s.loginLocal(ctx, t, u, pw, m, start, limitKeys)
		return t, u, err
	case !errors.Is(err, ErrNotFound):
		return nil, nil, err
	case s.migrationOn(t):
		u, err = s.loginLegacy(ctx, t, TrimNFC(identifier), id, pw, m, start, limitKeys)
		return t, u, err
	}
	// Unknown user, no migration: spend what a wrong password costs.
	if err := s.hasher.VerifyDummy(ctx, normalizePassword(pw)); err != nil {
		return nil, nil, hashErr(err)
	}
	return nil, nil, s.reject(ctx, t, id, m, start, false, "not_found", limitKeys...)
}

// admit sheds a login at once, with CodeOverloaded and a Retry-After, when
// the hasher would refuse the tenant's next hash (ctx carries the tenant):
// every login that can succeed ends in one (a verification, the hash of a
// migrated or imported user, or a dummy one for an unknown user), and under
// a burst each store read or other step before it costs a turn behind every
// runnable goroutine. So the answer comes before any of them. The tenant's
// logins admitted before this one and still on their way (reading the
// tenant and the user) count as queued before it, so that a burst that
// finds the slots free does not all get in before any of it has asked for
// one. The answer depends on the tenant's place in the hasher's queue,
// which serves tenants in turn, and never on the user: it tells no one
// whether an account exists, and another tenant's storm sheds this
// tenant's logins only when this tenant's own next hash could not be served
// in time. An admitted login calls arrived (more than once is harmless)
// once it is about to ask the hasher, or the module, or is done.
func (s *Service) admit(ctx context.Context, tenant string) (arrived func(), err error) {
	a := &s.admitted
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := s.hasher.Admit(ctx, a.n[tenant]); err != nil {
		return nil, hashErr(err)
	}
	a.n[tenant]++
	var once sync.Once
	return func() { once.Do(func() { a.done(tenant) }) }, nil
}

// admissions counts, per tenant, the logins admitted and not yet arrived.
type admissions struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *admissions) done(tenant string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n[tenant]--; a.n[tenant] <= 0 {
		delete(a.n, tenant)
	}
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

func (s *Service) loginLocal(ctx context.Context, t *Tenant, u *User, pw string, m Meta, start time.Time, limitKeys []string) (*User, error) {
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
	return u, nil
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
