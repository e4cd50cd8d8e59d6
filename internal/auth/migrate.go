package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/password"
)

// loginLegacy runs the tenant module's login for a user not stored locally
// and, when it accepts the password, copies the user into the local store.
func (s *Service) loginLegacy(ctx context.Context, t *Tenant, identifier, id, pw string, m Meta, start time.Time, limitKeys []string) (*User, error) {
	res, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpLogin, Identifier: identifier, Password: pw})
	if err != nil {
		return nil, err
	}
	if res.User == nil {
		if res.Reason == "wrong_password" {
			s.timing.observe(ctx, t.ID, true, start)
		}
		s.countLegacy(t.ID, rejectionOutcome(res.Reason))
		keys := limitKeys
		if res.ID != "" {
			// The module named the account (ABI v1.1): its budget counts
			// this failure too, and once it is spent the answer is 429.
			acctKeys := accountKeys(t.ID, m.IP, legacyAccount(res.ID))
			keys = slices.Concat(limitKeys, acctKeys)
			if err := s.loginBlocked(acctKeys...); err != nil {
				s.fail(keys...)
				return nil, err
			}
		}
		reason := "legacy_rejected"
		if res.Reason != "" {
			reason = "legacy_" + res.Reason
		}
		return nil, s.reject(ctx, t, id, m, start, true, reason, keys...)
	}
	s.timing.observe(ctx, t.ID, true, start)
	// A spent account budget refuses even the right password, so that
	// guesses spread over spelling variants gain nothing.
	acctKeys := accountKeys(t.ID, m.IP, legacyAccount(res.User.ID))
	if err := s.loginBlocked(acctKeys...); err != nil {
		return nil, err
	}
	u, err := s.migrateUser(ctx, t, res.User, pw, m)
	if err != nil {
		if ErrorCode(err) == CodeInvalidCredentials {
			// Already migrated, and the password is not its local one.
			s.fail(slices.Concat(limitKeys, acctKeys)...)
		}
		return nil, err
	}
	s.countLegacy(t.ID, LegacyOK)
	s.succeed(limitKeys[0], acctKeys[0])
	s.audit(t.ID, EventLoginSucceeded, m, u.ID, map[string]any{"source": string(SourceLegacy)})
	s.observe.Login(OutcomeLegacyMigrated)
	return u, nil
}

// rejectionOutcome is the counter of a module's rejection with reason.
func rejectionOutcome(reason string) LegacyOutcome {
	switch reason {
	case "inactive":
		return LegacyInactive
	case "locked":
		return LegacyLocked
	}
	return LegacyRejected
}

// migrateUser stores a user the tenant's module accepted. Concurrent first
// logins of one legacy user are serialised here, so one creates the user and
// the others find it; the store's legacy-id index keeps that true across
// processes too. A user found by legacy id is checked against its local
// password: from its first login on, a user is checked locally only.
func (s *Service) migrateUser(ctx context.Context, t *Tenant, lu *LegacyUser, pw string, m Meta) (*User, error) {
	unlock := s.lockLegacyID(t.ID + "\x00" + lu.ID)
	defer unlock()

	if u, err := s.store.FindUserByLegacyID(ctx, t.ID, lu.ID); err == nil {
		return s.checkMigrated(ctx, t, u, pw, m)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, normalizePassword(pw))
	if err != nil {
		return nil, hashErr(err)
	}
	now := s.now().UTC()
	u := &User{
		ID:            uuid.Must(uuid.NewV7()).String(),
		Tenant:        t.ID,
		Email:         NormalizeIdentifier(lu.Email),
		Username:      NormalizeIdentifier(lu.Username),
		EmailVerified: lu.EmailVerified,
		Name:          lu.Name,
		Profile:       lu.Profile,
		PasswordHash:  hash,
		CreatedAt:     now,
		UpdatedAt:     now,
		Source:        SourceLegacy,
		LegacyID:      lu.ID,
		MigratedAt:    now,

		PasswordChangeRequired: weakLegacyPassword(t, pw),
	}
	err = s.store.CreateUser(ctx, u)
	switch {
	case err == nil:
		s.audit(t.ID, EventUserMigrated, m, u.ID, map[string]any{"legacy_id": lu.ID})
		return u, nil
	case errors.Is(err, ErrLegacyIDTaken):
		existing, ferr := s.store.FindUserByLegacyID(ctx, t.ID, lu.ID)
		if ferr != nil {
			return nil, ferr
		}
		return s.checkMigrated(ctx, t, existing, pw, m)
	case errors.Is(err, ErrEmailTaken), errors.Is(err, ErrUsernameTaken):
		field := "email"
		if errors.Is(err, ErrUsernameTaken) {
			field = "username"
		}
		msg := fmt.Sprintf("legacy user %q was not copied: its %s belongs to another local user", lu.ID, field)
		s.events.Logs(t.ID, []LogEntry{{Time: now, Level: "warn", Op: "host", Message: msg}})
		s.audit(t.ID, EventMigrationConflict, m, lu.ID, map[string]any{"field": field})
		s.observe.Login(OutcomeConflict)
		s.countLegacy(t.ID, LegacyConflict)
		return nil, Errorf(CodeMigrationConflict, "this account conflicts with an existing account; contact support")
	default:
		return nil, err
	}
}

// checkMigrated verifies pw against an already migrated user's local hash;
// an imported user without one takes pw, which the module has just accepted.
func (s *Service) checkMigrated(ctx context.Context, t *Tenant, u *User, pw string, m Meta) (*User, error) {
	if u.Imported && u.PasswordHash == "" {
		// Drained or imported, and the module has just accepted pw.
		return s.finishImport(ctx, t, u, pw)
	}
	ok, _, err := s.hasher.Verify(ctx, u.PasswordHash, normalizePassword(pw))
	if err != nil {
		return nil, hashErr(err)
	}
	if !ok {
		s.audit(t.ID, EventLoginFailed, m, u.ID, map[string]any{"reason": "wrong_password"})
		return nil, errInvalidCredentials()
	}
	return u, nil
}

// lockLegacyID takes a process-wide lock on key and returns its release.
func (s *Service) lockLegacyID(key string) func() {
	s.migratingMu.Lock()
	l := s.migrating[key]
	if l == nil {
		l = &keyLock{}
		s.migrating[key] = l
	}
	l.refs++
	s.migratingMu.Unlock()

	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.migratingMu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(s.migrating, key)
		}
		s.migratingMu.Unlock()
	}
}

// keyLock is a mutex shared by the callers holding the same key.
type keyLock struct {
	mu   sync.Mutex
	refs int
}

// weakLegacyPassword reports whether a migrating user must be marked
// PasswordChangeRequired: the tenant flags weak legacy passwords and pw
// fails the password policy registration applies.
func weakLegacyPassword(t *Tenant, pw string) bool {
	if t.WeakLegacyPasswords != WeakFlag {
		return false
	}
	_, err := password.Validate(pw)
	return err != nil
}
