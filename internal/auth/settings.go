package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/token"
)

// Defaults of Config's token settings.
const (
	DefaultAccessTTL        = 15 * time.Minute
	DefaultSessionTTL       = 30 * 24 * time.Hour
	DefaultSigningAlgorithm = token.ES256
)

// SigningAlgorithms are the algorithms Config.SigningAlgorithm may name.
var SigningAlgorithms = []string{token.ES256, token.EdDSA}

// CheckTokenSettings refuses token settings a Service cannot use, naming
// each problem; zero values stand for the defaults. An access token must
// not outlive its session.
func CheckTokenSettings(accessTTL, sessionTTL time.Duration, alg string) error {
	var errs []string
	if accessTTL < 0 {
		errs = append(errs, "the access token lifetime must be positive")
	}
	if sessionTTL < 0 {
		errs = append(errs, "the session lifetime must be positive")
	}
	access, session := orDefault(accessTTL, DefaultAccessTTL), orDefault(sessionTTL, DefaultSessionTTL)
	if accessTTL >= 0 && sessionTTL >= 0 && access > session {
		errs = append(errs, fmt.Sprintf("the access token lifetime (%v) is longer than the session's (%v)", access, session))
	}
	if alg != "" && !slices.Contains(SigningAlgorithms, alg) {
		errs = append(errs, fmt.Sprintf("the signing algorithm must be one of %s, not %q", strings.Join(SigningAlgorithms, ", "), alg))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// orDefault returns d, or def when d is zero.
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
