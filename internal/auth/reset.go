package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/wasmauth/wasmauth/internal/password"
)

// Password reset (contract v2, part 3).
const (
	// ResetTokenTTL is how long a reset link is valid.
	ResetTokenTTL = 30 * time.Minute
	// maxResetToken bounds a presented token; real ones are 43 characters.
	maxResetToken = 256
	// forgotQueueSize bounds the reset requests waiting for their lookup;
	// past it a request is answered the same and logged, not mailed.
	forgotQueueSize = 1024
)

// forgotJob is a reset request answered and not yet looked up.
type forgotJob struct {
	tenant, identifier string
	m                  Meta
}

// forgotQueue looks up reset requests after they were answered, one at a
// time, in order.
type forgotQueue struct {
	jobs chan forgotJob
	once sync.Once
	done chan struct{}
	// idle is signalled after each job when nothing waits, for tests.
	mu      sync.Mutex
	pending int
	idle    *sync.Cond
}

func (s *Service) startForgotQueue() {
	q := &forgotQueue{jobs: make(chan forgotJob, forgotQueueSize), done: make(chan struct{})}
	q.idle = sync.NewCond(&q.mu)
	s.forgot = q
	go func() {
		defer close(q.done)
		for j := range q.jobs {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := s.sendResetLink(ctx, j); err != nil {
				s.log.Warn("password reset request", "tenant", j.tenant, "request_id", j.m.RequestID, "err", err)
			}
			cancel()
			q.mu.Lock()
			q.pending--
			if q.pending == 0 {
				q.idle.Broadcast()
			}
			q.mu.Unlock()
		}
	}()
}

// stopForgotQueue handles the requests queued and stops.
func (s *Service) stopForgotQueue() {
	s.forgot.once.Do(func() { close(s.forgot.jobs) })
	<-s.forgot.done
}

// WaitForgotten waits until every reset request answered so far has been
// looked up (and its mail queued), for tests.
func (s *Service) WaitForgotten() {
	q := s.forgot
	q.mu.Lock()
	for q.pending > 0 {
		q.idle.Wait()
	}
	q.mu.Unlock()
}

// ForgotPassword asks for a reset link for the user whose email or
// username is identifier. It answers the same, and before anything about
// the identifier is looked up, whoever has it or not: the lookup, the
// module's get_user for a user not yet migrated, the token and the mail
// happen after the answer (see sendResetLink). Only the rate limits, which
// count every request alike, may refuse it.
func (s *Service) ForgotPassword(ctx context.Context, tenant, identifier string, m Meta) error {
	if _, err := s.Tenant(ctx, tenant); err != nil {
		return err
	}
	typed := TrimNFC(identifier)
	id := NormalizeIdentifier(identifier)
	if id == "" {
		return Errorf(CodeInvalidRequest, "identifier is required")
	}
	if len(id) > 1024 {
		return Errorf(CodeInvalidRequest, "identifier is too long")
	}
	if s.limiter != nil {
		now := s.now()
		for _, k := range []string{LimitForgotAddress + ":" + tenant + ":" + m.IP, LimitForgotIdentifier + ":" + tenant + ":" + id} {
			if wait, ok := s.limiter.Take(now, k); !ok {
				return &Error{Code: CodeRateLimited, Message: "too many password reset requests; try again later", RetryAfter: wait}
			}
		}
	}
	q := s.forgot
	q.mu.Lock()
	q.pending++
	q.mu.Unlock()
	select {
	case q.jobs <- forgotJob{tenant: tenant, identifier: typed, m: m}:
	default:
		q.mu.Lock()
		q.pending--
		q.mu.Unlock()
		s.log.Warn("password reset requests queue is full; request dropped", "tenant", tenant, "request_id", m.RequestID)
	}
	return nil
}

// sendResetLink finds the user of a reset request, locally or with the
// module's get_user while migration is on, and queues the mail with a new
// link, which replaces the user's earlier one. An identifier nobody has,
// or a user without an email, gets nothing.
func (s *Service) sendResetLink(ctx context.Context, j forgotJob) error {
	ctx = password.WithTenant(ctx, j.tenant)
	t, err := s.Tenant(ctx, j.tenant)
	if err != nil {
		return err
	}
	rt := &ResetToken{Tenant: t.ID}
	var to string
	u, err := s.store.FindUser(ctx, t.ID, NormalizeIdentifier(j.identifier))
	switch {
	case err == nil:
		rt.UserID, rt.Subject, to = u.ID, "user:"+u.ID, u.Email
	case !errors.Is(err, ErrNotFound):
		return err
	case s.migrationOn(t):
		res, err := s.callScript(ctx, ScriptCall{Tenant: t, Version: t.ActiveScript, Op: OpGetUser, Identifier: j.identifier})
		if err != nil {
			return err
		}
		if res.User == nil {
			return nil
		}
		lu := res.User
		// Migrated under another email or username: the local user it is.
		if u, err := s.store.FindUserByLegacyID(ctx, t.ID, lu.ID); err == nil {
			rt.UserID, rt.Subject, to = u.ID, "user:"+u.ID, u.Email
		} else if errors.Is(err, ErrNotFound) {
			rt.Legacy, rt.Subject, to = lu, legacyAccount(lu.ID), NormalizeIdentifier(lu.Email)
		} else {
			return err
		}
	default:
		return nil
	}
	if to == "" {
		s.log.Info("password reset: the user has no email", "tenant", t.ID, "subject", rt.Subject)
		return nil
	}
	tok, hash := newResetToken()
	now := s.now().UTC()
	rt.Hash, rt.CreatedAt, rt.ExpiresAt = hash, now, now.Add(ResetTokenTTL)
	if err := s.store.PutResetToken(ctx, rt); err != nil {
		return err
	}
	mail := resetMail(t, s.cfg.BaseURL, tok, to)
	mail.CreatedAt, mail.NextAttempt = now, now
	if err := s.store.EnqueueMail(ctx, mail); err != nil {
		return err
	}
	if s.mailQueued != nil {
		s.mailQueued()
	}
	return nil
}

// newResetToken returns a random token and its SHA-256.
func newResetToken() (string, []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return tok, hashResetToken(tok)
}

func hashResetToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

func errInvalidToken() error {
	return Errorf(CodeInvalidToken, "the reset link is invalid, used or expired; ask for a new one")
}

// ResetPassword sets the password of a reset token's user and ends all
// its sessions. The new password follows registration's policy; a weak
// one leaves the token valid for a better one. A user only the legacy
// database has is created locally now (source legacy, with its legacy id
// and the new password); one imported without a usable hash gets its
// first password. Returns CodeInvalidToken for an expired, used or
// unknown token, CodeWeakPassword, CodeRateLimited after too many wrong
// tokens from the address.
func (s *Service) ResetPassword(ctx context.Context, tenant, tok, newPassword string, m Meta) error {
	ctx = password.WithTenant(ctx, tenant)
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	keys := []string{LimitResetAddress + ":" + tenant + ":" + m.IP}
	if err := s.blocked("too many invalid reset links; try again later", keys...); err != nil {
		return err
	}
	if tok == "" || len(tok) > maxResetToken {
		s.fail(keys...)
		return errInvalidToken()
	}
	hash := hashResetToken(tok)
	rt, err := s.store.GetResetToken(ctx, t.ID, hash)
	if errors.Is(err, ErrNotFound) || err == nil && !s.now().Before(rt.ExpiresAt) {
		s.fail(keys...)
		return errInvalidToken()
	} else if err != nil {
		return err
	}
	pw, err := password.Validate(newPassword)
	if err != nil {
		return policyErr(err)
	}
	pwHash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return hashErr(err)
	}
	if err := s.store.DeleteResetToken(ctx, t.ID, hash); errors.Is(err, ErrNotFound) {
		return errInvalidToken() // used meanwhile
	} else if err != nil {
		return err
	}
	var u *User
	if rt.UserID != "" {
		u, err = s.setResetPassword(ctx, t.ID, rt.UserID, pwHash)
	} else {
		u, err = s.createResetUser(ctx, t, rt.Legacy, pwHash, m)
	}
	if errors.Is(err, ErrNotFound) {
		return errInvalidToken() // the user was deleted meanwhile
	} else if err != nil {
		return err
	}
	if err := s.store.RevokeUserSessions(ctx, t.ID, u.ID, "", s.now().UTC()); err != nil {
		return err
	}
	s.succeed(accountKeys(t.ID, m.IP, accountOf(u))...)
	m.Actor = u.ID
	s.audit(t.ID, EventPasswordReset, m, u.ID, nil)
	return nil
}

// setResetPassword gives a local user the new password hash; an imported
// user stops being one (its legacy hash is dropped).
func (s *Service) setResetPassword(ctx context.Context, tenant, id, pwHash string) (*User, error) {
	return s.store.UpdateUser(ctx, tenant, id, func(u *User) error {
		u.PasswordHash = pwHash
		u.Imported = false
		u.LegacyHash = ""
		u.PasswordChangeRequired = false
		u.UpdatedAt = s.now().UTC()
		return nil
	})
}

// createResetUser stores the legacy user a reset link was sent to, with
// the new password; if it was migrated meanwhile (a login, a drain), that
// local user takes the password instead.
func (s *Service) createResetUser(ctx context.Context, t *Tenant, lu *LegacyUser, pwHash string, m Meta) (*User, error) {
	if lu == nil {
		return nil, ErrNotFound
	}
	unlock := s.lockLegacyID(t.ID + "\x00" + lu.ID)
	defer unlock()
	if u, err := s.store.FindUserByLegacyID(ctx, t.ID, lu.ID); err == nil {
		return s.setResetPassword(ctx, t.ID, u.ID, pwHash)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
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
		PasswordHash:  pwHash,
		CreatedAt:     now,
		UpdatedAt:     now,
		Source:        SourceLegacy,
		LegacyID:      lu.ID,
		MigratedAt:    now,
	}
	switch err := s.store.CreateUser(ctx, u); {
	case err == nil:
		s.audit(t.ID, EventUserMigrated, m, u.ID, map[string]any{"legacy_id": lu.ID, "by": "password_reset"})
		return u, nil
	case errors.Is(err, ErrEmailTaken), errors.Is(err, ErrUsernameTaken):
		s.audit(t.ID, EventMigrationConflict, m, lu.ID, map[string]any{"by": "password_reset"})
		return nil, Errorf(CodeMigrationConflict, "this account conflicts with an existing account; contact support")
	default:
		return nil, err
	}
}
