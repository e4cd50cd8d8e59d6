// Package mock has fakes of internal/auth's interfaces for unit tests of
// the domain, in the style of WTF Dial's mock package: each method calls a
// function field, and a test sets only the fields it needs.
package mock

import (
	"context"
	"errors"

	"github.com/wasmauth/wasmauth/internal/auth"
)

var _ auth.Scripts = (*Scripts)(nil)

// Scripts is an auth.Scripts whose methods call its function fields. A nil
// field takes a harmless default: Validate accepts any module as exporting
// get_user and login; CheckLimits and Connect accept; Disconnect, Forget
// and ForgetVersion do nothing; CheckLegacyHash and VerifyLegacyHash
// verify no hash (ErrNoVerifier), so an imported user's hash goes to the
// module's verify_hash; Call fails as an unavailable module does.
type Scripts struct {
	ValidateFn         func(ctx context.Context, module []byte) (auth.ModuleInfo, error)
	CallFn             func(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error)
	CheckLimitsFn      func(l auth.Limits) error
	ConnectFn          func(ctx context.Context, tenant string, c *auth.Connection) error
	DisconnectFn       func(tenant string)
	ForgetFn           func(tenant string)
	ForgetVersionFn    func(tenant string, version int)
	CheckLegacyHashFn  func(hash string) error
	VerifyLegacyHashFn func(ctx context.Context, tenant, hash, pw string) (bool, error)
}

// ErrNoVerifier is CheckLegacyHash's answer when CheckLegacyHashFn is nil.
var ErrNoVerifier = errors.New("mock: the server verifies no legacy hash")

func (s *Scripts) Validate(ctx context.Context, module []byte) (auth.ModuleInfo, error) {
	if s.ValidateFn == nil {
		return auth.ModuleInfo{SHA256: "mock", Size: len(module), Exports: []string{auth.OpGetUser, auth.OpLogin}}, nil
	}
	return s.ValidateFn(ctx, module)
}

func (s *Scripts) Call(ctx context.Context, c auth.ScriptCall) (*auth.ScriptResult, error) {
	if s.CallFn == nil {
		return nil, &auth.ScriptError{Kind: "unavailable", Message: "mock: no CallFn"}
	}
	return s.CallFn(ctx, c)
}

func (s *Scripts) CheckLimits(l auth.Limits) error {
	if s.CheckLimitsFn == nil {
		return nil
	}
	return s.CheckLimitsFn(l)
}

func (s *Scripts) Connect(ctx context.Context, tenant string, c *auth.Connection) error {
	if s.ConnectFn == nil {
		return nil
	}
	return s.ConnectFn(ctx, tenant, c)
}

func (s *Scripts) Disconnect(tenant string) {
	if s.DisconnectFn != nil {
		s.DisconnectFn(tenant)
	}
}

func (s *Scripts) Forget(tenant string) {
	if s.ForgetFn != nil {
		s.ForgetFn(tenant)
	}
}

func (s *Scripts) ForgetVersion(tenant string, version int) {
	if s.ForgetVersionFn != nil {
		s.ForgetVersionFn(tenant, version)
	}
}

func (s *Scripts) CheckLegacyHash(hash string) error {
	if s.CheckLegacyHashFn == nil {
		return ErrNoVerifier
	}
	return s.CheckLegacyHashFn(hash)
}

func (s *Scripts) VerifyLegacyHash(ctx context.Context, tenant, hash, pw string) (bool, error) {
	if s.VerifyLegacyHashFn == nil {
		return false, ErrNoVerifier
	}
	return s.VerifyLegacyHashFn(ctx, tenant, hash, pw)
}
