package auth

import (
	"context"
	"slices"
	"time"
)

// loginImported checks the password of a user a drain or an import stored,
// at its first login: against its legacy hash, in the server (the
// verifiers and legacy hash pool of the ABI's verify_password), else with
// the active module's verify_hash — never the legacy database. On success
// the legacy hash is replaced with the server's own.
func (s *Service) loginImported(ctx context.Context, t *Tenant, u *User, pw string, m Meta, start time.Time, limitKeys []string) (*User, error) {
	acctKeys := accountKeys(t.ID, m.IP, accountOf(u))
	if err := s.loginBlocked(acctKeys...); err != nil {
		return nil, err
	}
	ok, err := s.verifyImported(ctx, t, u, pw)
	if err != nil {
		return nil, err
	}
	s.timing.observe(ctx, t.ID, true, start)
	if !ok {
		return nil, s.reject(ctx, t, u.ID, m, start, true, "wrong_password", slices.Concat(limitKeys, acctKeys)...)
	}
	u, err = s.finishImport(ctx, t, u, pw)
	if err != nil {
		return nil, err
	}
	s.succeed(limitKeys[0], acctKeys[0])
	s.audit(t.ID, EventLoginSucceeded, m, u.ID, map[string]any{"source": string(u.Source), "imported": true})
	s.observe.Login(OutcomeLegacyMigrated)
	return u, nil
}

// finishImport gives an imported user pw, verified, as its password: its
// legacy hash is replaced with the server's own, once, also under
// concurrent first logins.
func (s *Service) finishImport(ctx context.Context, t *Tenant, u *User, pw string) (*User, error) {
	hash, err := s.hasher.Hash(ctx, normalizePassword(pw))
	if err != nil {
		return nil, hashErr(err)
	}
	legacy := u.LegacyHash
	return s.store.UpdateUser(ctx, u.Tenant, u.ID, func(x *User) error {
		if x.Imported && x.PasswordHash == "" && x.LegacyHash == legacy {
			x.PasswordHash = hash
			x.LegacyHash = ""
			x.Imported = false
			x.PasswordChangeRequired = weakLegacyPassword(t, pw)
			x.UpdatedAt = s.now().UTC()
		}
		return nil
	})
}

// legacyVerifyTimeout bounds the wait for a slot of the legacy hash pool
// and the hash itself; a hash that cannot finish within it is refused
// before it starts.
const legacyVerifyTimeout = 5 * time.Second

// verifyImported checks pw against an imported user's legacy hash. A user
// without a hash anyone can verify spends what a wrong password costs.
func (s *Service) verifyImported(ctx context.Context, t *Tenant, u *User, pw string) (bool, error) {
	if u.LegacyHash != "" && s.scripts != nil {
		if s.scripts.CheckLegacyHash(u.LegacyHash) == nil {
			vctx, cancel := context.WithTimeout(ctx, legacyVerifyTimeout)
			defer cancel()
			ok, err := s.scripts.VerifyLegacyHash(vctx, t.ID, u.LegacyHash, pw)
			if err != nil && ctx.Err() == nil {
				return false, &Error{Code: CodeOverloaded, Message: "the server is busy; try again shortly", RetryAfter: time.Second, Err: err}
			}
			return ok, err
		}
		if ok, err := s.exports(ctx, t, OpVerifyHash); err != nil {
			return false, err
		} else if ok {
			res, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpVerifyHash, PasswordHash: u.LegacyHash, Password: pw})
			if err != nil {
				return false, err
			}
			return res.OK, nil
		}
	}
	if err := s.hasher.VerifyDummy(ctx, normalizePassword(pw)); err != nil {
		return false, hashErr(err)
	}
	return false, nil
}

// hasImported reports whether the tenant has imported users that have not
// logged in: their rejections are legacy ones, and so every rejection of
// the tenant is padded as one.
func (s *Service) hasImported(ctx context.Context, tenant string) bool {
	st, err := s.store.MigrationStats(ctx, tenant)
	return err == nil && st.UsersImported > 0
}
