package server

import (
	"math"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// ceilingHashes are dummy hashes of the costliest legacy verifiers at common
// framework defaults: bcrypt cost 12 (Laravel, Devise), Django's
// PBKDF2-SHA256 with 1,000,000 iterations, and PHP's PASSWORD_ARGON2ID
// (64 MiB, 4 passes).
var ceilingHashes = []string{
	"$2b$12$95ExpM8GUfQ1Nw2W9x9QCucdjQacRbyYnw2vqjpFsLsxesHrpoSIm",
	"pbkdf2_sha256$1000000$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"$argon2id$v=19$m=65536,t=4,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
}

// legacyCeiling measures, once per process, the slowest of ceilingHashes'
// verifications (the faster of two tries each, as other work on the machine
// only slows them) and adds a quarter for the module call and the query
// around it: how long a migrating tenant's rejections take until its module
// has verified a legacy password (auth.Deps.LegacyCeiling). Start measures
// it in the background; a rejection that comes first waits for it,
// whichever user it names.
var legacyCeiling = sync.OnceValue(func() time.Duration {
	var slowest time.Duration
	for _, h := range ceilingHashes {
		fastest := time.Duration(math.MaxInt64)
		for range 2 {
			t0 := time.Now()
			_, _ = legacyhash.Verify([]byte(h), []byte("not the password"))
			fastest = min(fastest, time.Since(t0))
		}
		slowest = max(slowest, fastest)
	}
	return slowest + slowest/4
})
