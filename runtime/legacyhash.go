package runtime

import "context"

// CheckLegacyHash reports whether the host verifies hash (see
// host.LegacyHashes.Check): nil, or why not. It hashes nothing.
func (e *Engine) CheckLegacyHash(hash string) error {
	return e.hashes.Check([]byte(hash))
}

// VerifyLegacyHash checks pw against a legacy hash for tenant in the legacy
// hash pool verify_password uses, with its cost caps and fair share.
func (e *Engine) VerifyLegacyHash(ctx context.Context, tenant, hash, pw string) (bool, error) {
	return e.hashes.Verify(ctx, tenant, []byte(hash), []byte(pw))
}
