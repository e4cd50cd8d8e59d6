package auth

import (
	"context"
	"time"

	"github.com/wasmauth/wasmauth/internal/ratelimit"
)

// The prefixes of the rate limiter's keys; LimitRules gives each its rule.
// Failures count per typed identifier and per resolved account, so that
// spelling variants of one account (which a legacy database's collation
// may match) share the account's budget.
const (
	// LimitIdentifierAddress counts failed logins per (tenant, typed
	// identifier, client address).
	LimitIdentifierAddress = "idip"
	// LimitAddress counts failed logins and password changes per (tenant,
	// client address).
	LimitAddress = "ip"
	// LimitIdentifier counts failed logins per (tenant, typed identifier).
	LimitIdentifier = "id"
	// LimitAccountAddress counts failures per (tenant, account, client
	// address), within LimitIdentifierAddress's budget.
	LimitAccountAddress = "acctip"
	// LimitAccount counts failures per (tenant, account), within
	// LimitIdentifier's budget.
	LimitAccount = "acct"
	// LimitRegistration counts registrations per client address, over all
	// tenants.
	LimitRegistration = "reg"
	// LimitToken counts wrong operator tokens and tenant API keys per client
	// address.
	LimitToken = "token"
	// LimitForgotAddress counts password reset requests per (tenant,
	// client address), whoever they name.
	LimitForgotAddress = "fpip"
	// LimitForgotIdentifier counts password reset requests per (tenant,
	// typed identifier), whether or not anyone has it.
	LimitForgotIdentifier = "fpid"
	// LimitResetAddress counts wrong reset tokens per (tenant, client
	// address).
	LimitResetAddress = "rsip"
)

// LimitBudgets are the settings the rate limits derive from.
type LimitBudgets struct {
	// LoginFailures is how many failed logins per identifier (or account)
	// and client address are allowed per LoginWindow; ten times as many per
	// address, and a hundred times as many per identifier (or account) from
	// all addresses together.
	LoginFailures int
	LoginWindow   time.Duration
	// Registrations is how many registrations one client address may make
	// per RegistrationWindow, over all tenants.
	Registrations      int
	RegistrationWindow time.Duration
}

// LimitRules returns the rule of every key prefix the Service uses, for b:
// the rules to give ratelimit.New. The limiter panics on a key whose prefix
// has no rule, so a prefix missing here fails the tests that use it.
func LimitRules(b LimitBudgets) map[string]ratelimit.Rule {
	perAddress := ratelimit.Rule{Limit: b.LoginFailures, Window: b.LoginWindow}
	overall := ratelimit.Rule{Limit: 100 * b.LoginFailures, Window: b.LoginWindow}
	return map[string]ratelimit.Rule{
		LimitIdentifierAddress: perAddress,
		LimitAccountAddress:    perAddress,
		LimitAddress:           {Limit: 10 * b.LoginFailures, Window: b.LoginWindow},
		LimitIdentifier:        overall,
		LimitAccount:           overall,
		LimitRegistration:      {Limit: b.Registrations, Window: b.RegistrationWindow},
		// Wrong operator tokens and tenant API keys, per client address.
		LimitToken: {Limit: 20, Window: time.Minute},
		// Password reset shares the login limits' spirit: requests per
		// address and per identifier, wrong tokens per address.
		LimitForgotAddress:    {Limit: 10 * b.LoginFailures, Window: b.LoginWindow},
		LimitForgotIdentifier: perAddress,
		LimitResetAddress:     {Limit: 10 * b.LoginFailures, Window: b.LoginWindow},
	}
}

// loginKeys are the keys a login checks first, from what was typed. The
// first is the one a success resets.
func loginKeys(tenant, ip, identifier string) []string {
	return []string{
		LimitIdentifierAddress + ":" + tenant + ":" + ip + ":" + identifier,
		addressKey(tenant, ip),
		LimitIdentifier + ":" + tenant + ":" + identifier,
	}
}

// addressKey is the key of a client address of a tenant.
func addressKey(tenant, ip string) string { return LimitAddress + ":" + tenant + ":" + ip }

// accountKeys are the keys of an account, once it is known; the first is
// the one a success resets.
func accountKeys(tenant, ip, account string) []string {
	return []string{
		LimitAccountAddress + ":" + tenant + ":" + ip + ":" + account,
		LimitAccount + ":" + tenant + ":" + account,
	}
}

// accountOf names the account of a local user for rate limits: its legacy
// id when it has one, so that failures before its migration (when only the
// module knows it) and after count alike, else its own id.
func accountOf(u *User) string {
	if u.LegacyID != "" {
		return legacyAccount(u.LegacyID)
	}
	return "user:" + u.ID
}

// legacyAccount names the account of a legacy id, as a module's answer
// gives it.
func legacyAccount(id string) string { return "legacy:" + id }

// Limiter counts failures per key and blocks keys that failed too often:
// a *ratelimit.Limiter in one process, or one whose counts several
// processes share (ratelimit/shared). The keys are the Limit* prefixes'.
type Limiter interface {
	// Allow reports whether none of keys is blocked at now; when some are,
	// how long until all are allowed again.
	Allow(now time.Time, keys ...string) (retryAfter time.Duration, ok bool)
	// Fail counts one failure at now for each of keys.
	Fail(now time.Time, keys ...string)
	// Take counts one event for key unless it is blocked, in one step.
	Take(now time.Time, key string) (retryAfter time.Duration, ok bool)
	// Reset forgets keys.
	Reset(keys ...string)
}

// persistentLimiter is a Limiter whose state lives in this process only and
// is saved to the store in the background (*ratelimit.Limiter).
type persistentLimiter interface {
	Limiter
	Changes() []ratelimit.State
	Restore(now time.Time, states []ratelimit.State)
}

// blocked returns a CodeRateLimited error with message when one of keys is
// blocked, else nil.
func (s *Service) blocked(message string, keys ...string) error {
	if s.limiter == nil {
		return nil
	}
	if wait, ok := s.limiter.Allow(s.now(), keys...); !ok {
		return &Error{Code: CodeRateLimited, Message: message, RetryAfter: wait}
	}
	return nil
}

// fail counts one failure for each of keys.
func (s *Service) fail(keys ...string) {
	if s.limiter != nil && len(keys) > 0 {
		s.limiter.Fail(s.now(), keys...)
	}
}

// succeed resets keys after a success.
func (s *Service) succeed(keys ...string) {
	if s.limiter != nil {
		s.limiter.Reset(keys...)
	}
}

// RateLimitState is a rate limiter key's state as the store keeps it across
// restarts.
type RateLimitState struct {
	Key string
	// Until is when the key will have fully decayed; zero means it was reset.
	Until time.Time
}

// limitSaveEvery is how often the limiter's changed keys are written to the
// store: write-behind, so that an attack costs one disk sync a second, not
// one per failure. A crash loses at most this much of the counts.
const limitSaveEvery = time.Second

// limitSaver writes the limiter's changes to the store in the background.
type limitSaver struct {
	stop chan struct{}
	done chan struct{}
}

// startLimitSaver starts writing the limiter's changes every
// limitSaveEvery, until Close.
func (s *Service) startLimitSaver() {
	s.saver = &limitSaver{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.saver.done)
		t := time.NewTicker(limitSaveEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.saveLimits()
			case <-s.saver.stop:
				s.saveLimits()
				return
			}
		}
	}()
}

// stopLimitSaver writes the last changes and stops the saver.
func (s *Service) stopLimitSaver() {
	if s.saver == nil {
		return
	}
	select {
	case <-s.saver.stop:
	default:
		close(s.saver.stop)
	}
	<-s.saver.done
}

// saveLimits writes the limiter's changes since the last call. A failure
// is logged: the limiter itself is still right, only a restart would
// forget those changes.
func (s *Service) saveLimits() {
	changes := s.limiter.(persistentLimiter).Changes()
	if len(changes) == 0 {
		return
	}
	states := make([]RateLimitState, len(changes))
	for i, c := range changes {
		states[i] = RateLimitState{Key: c.Key, Until: c.Until}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.store.SaveRateLimits(ctx, states); err != nil {
		s.log.Error("storing rate limits", "keys", len(states), "err", err)
	}
}

// RestoreLimits loads the rate limiter's state that an earlier run stored,
// so that a restart is no reset button for an attacker. Call it once after
// NewService, before serving.
func (s *Service) RestoreLimits(ctx context.Context) error {
	pl, ok := s.limiter.(persistentLimiter)
	if !ok {
		return nil // none, or one that keeps its state in a shared store
	}
	now := s.now()
	states, err := s.store.LoadRateLimits(ctx, now)
	if err != nil {
		return err
	}
	saved := make([]ratelimit.State, len(states))
	for i, st := range states {
		saved[i] = ratelimit.State{Key: st.Key, Until: st.Until}
	}
	pl.Restore(now, saved)
	return nil
}

// registrationKey is the key of a client address's registrations, over all
// tenants.
func registrationKey(ip string) string { return LimitRegistration + ":" + ip }
