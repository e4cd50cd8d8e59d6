// Package legacyhash verifies passwords against the hashes of legacy user
// databases, for the verify_password host function of the guest ABI, and
// hashes data with MD5, SHA-1/2 and HMAC for its digest host function.
//
// Verify knows these formats (Format names them as shown):
//
//	bcrypt                 $2a$, $2b$, $2y$, $2x$ (crypt_blowfish's sign-extension bug, reproduced)
//	argon2id, argon2i      PHC strings, version 19: $argon2id$v=19$m=65536,t=3,p=4$salt$hash
//	scrypt                 PHC strings as passlib writes them: $scrypt$ln=16,r=8,p=1$salt$hash
//	pbkdf2-sha1/256/512    passlib's $pbkdf2$ (SHA-1), $pbkdf2-sha256$, $pbkdf2-sha512$ with plain
//	                       rounds and adapted base64 ('.' for '+'); also $pbkdf2-sha1$, the PHC
//	                       form "i=N" or "i=N,l=L", and standard base64
//	django-pbkdf2-sha256   Django's pbkdf2_sha256$iterations$salt$hash (and pbkdf2_sha1$)
//	django-argon2          Django's argon2$argon2id$v=19$...
//	django-bcrypt          Django's bcrypt$$2b$...
//	django-bcrypt-sha256   Django's bcrypt_sha256$$2b$..., bcrypt of the hex SHA-256 of the password
//	phpass                 $P$ and $H$ portable hashes (WordPress, phpBB, Drupal 6 era)
//	md5-crypt, apr1-md5    $1$salt$hash and Apache's $apr1$salt$hash
//	sha256-crypt           $5$[rounds=N$]salt$hash, rounds 5000 when absent, below 1000 read as 1000
//	sha512-crypt           $6$[rounds=N$]salt$hash, the same rules
//	django-scrypt          Django 4+'s scrypt$16384$salt$8$1$hash (N, salt, r, p, 64-byte key)
//	wordpress-bcrypt       WordPress 6.8's $wp$2y$10$...: bcrypt of base64(HMAC-SHA384(key
//	                       "wp-sha384", password)); the password as given (WordPress trims it)
//	drupal7                Drupal 7's $S$ (SHA-512, 2^count rounds, 55 characters) and U$S$
//	                       (the same over the hex MD5 of the password, from Drupal 6 upgrades)
//	aspnet-identity        ASP.NET Identity's base64 blobs: v2 (0x00, PBKDF2-HMAC-SHA1, 1000
//	                       iterations, 16-byte salt, 32-byte key) and v3 (0x01, then the PRF
//	                       0/1/2 for HMAC-SHA1/256/512, iterations and salt length as
//	                       big-endian uint32, salt of 16 bytes or more, key of 16 or more)
//	firebase-scrypt        Firebase's modified scrypt, in this package's own string, since
//	                       Firebase keeps the project's parameters apart from the hashes:
//	                       $firebase-scrypt$rounds=8,mem_cost=14$salt$salt_separator$signer_key$hash
//	                       (standard base64 as Firebase exports them); hash = AES-256-CTR of
//	                       the signer key, zero IV, keyed with the first 32 bytes of
//	                       scrypt(password, salt + separator, 2^mem_cost, rounds, 1)
//	ldap-*                 RFC 2307 userPassword: {SSHA}, {SSHA256}, {SSHA384}, {SSHA512},
//	                       {SMD5} (digest of password + salt, then the salt, in base64), {SHA},
//	                       {SHA256}, {SHA384}, {SHA512}, {MD5}, and {CRYPT} before a $1$, $5$,
//	                       $6$ or bcrypt hash; scheme names in any case
//
// Base64 in PHC strings may be padded or not. Checksums of the PHC and PBKDF2
// formats must be at least 16 bytes: a truncated checksum would let random
// passwords match.
//
// Every parameter that drives the work is read, and the cost of the
// verification estimated from it (Estimate), before any hashing. A hash is
// refused with ErrTooExpensive when its estimated CPU time exceeds MaxTime
// (1.5 s of one core) or its working memory MaxMemory (256 MiB, plus 1 MiB
// for scrypt's lanes), or argon2's parallelism exceeds 64. 1.5 s is under
// a third of a call's default deadline (5 s): a verification at the cap
// still ends in time on a machine twice as busy, beside the module's
// database query. The host (verify_password) also refuses a hash whose
// estimate exceeds the time left of its call.
//
// The estimate multiplies the work a hash's parameters ask for by unit
// costs measured with BenchmarkUnitCost (go test -bench UnitCost -benchtime
// 3x) on the development machine, an Intel Xeon with 2 vCPUs and SHA-NI,
// idle, Go 1.26:
//
//	bcrypt          55 µs per 2^cost        (cost 10: 55 ms, cost 12: 227 ms)
//	argon2          0.85 ms per MiB per pass (m=64 MiB t=2 p=1: 109 ms)
//	scrypt          330 ns per unit of N·r·p (ln=17 r=8 p=1: 342 ms)
//	PBKDF2          180, 160, 490 ns per iteration and output block of
//	                HMAC-SHA1, -SHA256, -SHA512 (Django, 600,000: 94 ms)
//	md5, SHA-256, SHA-512 blocks in md5-crypt, phpass and SHA-crypt:
//	                85, 61, 205 ns (sha512-crypt 656,000 rounds: 261 ms)
//	SHA-1 blocks    70 ns (LDAP {SSHA}; measured as 1.08 times SHA-256's
//	                cost on a busy machine, then scaled to the idle one)
//
// The formats added later reuse these primitives: Django's and Firebase's
// scrypt cost N·r·p scrypt units (Firebase: p = 1, and 128·N·r bytes),
// $wp$ is bcrypt, Drupal 7 is SHA-512 blocks (2^count × (64 + password)
// bytes), ASP.NET Identity is PBKDF2 (iterations × output blocks), LDAP a
// handful of MD5 or SHA blocks.
//
// What the caps allow, derived from these costs (for the crypt(3)-style
// schemes the work grows with the password's length, so longer passwords
// lower the rounds allowed):
//
//	bcrypt        cost ≤ 14 (0.9 s; 15 would take 1.8 s)
//	argon2        m ≤ 256 MiB, m·t ≤ about 1.68 GiB·passes (m = 256 MiB: t ≤ 6;
//	              m = 64 MiB: t ≤ 26); m = 1 GiB is refused whatever t
//	scrypt        128·N·r ≤ 256 MiB (N = 2^18 with r = 8), N·r·p ≤ about 4.5 million
//	PBKDF2        iterations × output blocks ≤ 8.3 million (SHA-1), 9.3 million
//	              (SHA-256), 3 million (SHA-512)
//	SHA-crypt     about 12 million rounds of sha256-crypt, 3.6 million of
//	              sha512-crypt (a 20-byte password and a 16-byte salt)
//	phpass        2^24 iterations for passwords under 40 bytes (1.4 s), 2^23 above
//	md5-crypt     fixed 1000 rounds: refused only for passwords of megabytes
//	django-scrypt, firebase-scrypt
//	              as scrypt: N = 2^18 with r = 8 is the most memory; Firebase's
//	              mem_cost ≤ 18 with rounds = 8
//	$wp$          as bcrypt: cost ≤ 14
//	drupal7       2^22 rounds for passwords up to 47 bytes (0.86 s), 2^21 up to 175; 2^30, the most
//	              Drupal writes, is refused
//	aspnet        as PBKDF2: v3 with HMAC-SHA512 up to 3 million iterations (its
//	              32-byte key is one block), HMAC-SHA256 9.3 million
//	ldap          one digest: refused only for passwords of megabytes
//
// Framework defaults are well inside (TestFrameworkDefaultsFit): Django
// 5.2's PBKDF2-SHA256 with 1,000,000 iterations (0.16 s), Django's
// Argon2PasswordHasher m = 100 MiB t = 2 p = 8 (0.17 s of CPU), PHP's
// PASSWORD_ARGON2ID m = 64 MiB t = 4 p = 1 (0.22 s), bcrypt cost 12 and 13
// (0.23 and 0.45 s), passlib's scrypt ln = 16 and sha512-crypt with 656,000
// rounds, Keycloak's PBKDF2-SHA512 with 210,000 iterations, WordPress's
// phpass 2^13.
//
// The later formats at their frameworks' defaults, estimated, and measured
// with BenchmarkUnitCost (go test -run '^$' -bench UnitCost -benchtime 5x)
// on the development machine while other work shared its 2 vCPUs (load
// average 7 to 15): the measured times run 1 to 8 times the estimates and
// vary that much between runs, since the estimates reuse the idle unit
// costs above, which no new format changes (passlib's scrypt ln = 15, an
// old entry, measured 6.7 times its estimate in the same conditions).
// Measure again on an idle machine before trusting a ratio.
//
//	format                                          estimate   measured, busy (two runs)
//	django-scrypt  N = 2^14, r = 8, p = 1 (16 MiB)     43 ms     107, 234 ms
//	$wp$           bcrypt cost 10                      56 ms     252, 250 ms
//	drupal7        2^15                                 7 ms      10, 54 ms
//	aspnet v2      PBKDF2-SHA1, 1000                  0.36 ms    0.38, 1.0 ms
//	aspnet v3      PBKDF2-SHA256, 10,000 (.NET Core)   1.6 ms     1.5, 3.3 ms
//	aspnet v3      PBKDF2-SHA512, 100,000 (.NET 7+)     49 ms     110, 112 ms
//	firebase-scrypt rounds = 8, mem_cost = 14 (16 MiB)  43 ms      47, 45 ms
//	ldap {SSHA512}, {SSHA}                          0.2 µs   1.5-3.7 µs (base64, setup)
//
// The caps bound one verification; concurrent ones add up. Memory and
// Estimate report what a hash will take, so that the caller can bound the
// total (the host runs them in a pool bounded in number and memory).
// Verify cannot be interrupted once it hashes; VerifyContext stops PBKDF2,
// SHA-crypt, md5-crypt and phpass when its context ends, while bcrypt,
// scrypt and argon2 (golang.org/x/crypto) cannot be stopped: the caps, and
// the host's refusal of what cannot finish in time, bound them.
//
// Hashes longer than MaxHashLen, malformed or truncated strings, bad base64
// and parameters outside a format's range give ErrUnknownFormat. Verify never
// panics on hostile input.
//
// Differences from some implementations, all deliberate:
//   - Passwords are compared as bytes, as typed; no normalisation.
//   - bcrypt, md5-crypt and SHA-crypt come from C's crypt(3), which stops
//     reading a password at a NUL byte; a password with a NUL never matches
//     them. bcrypt reads at most 72 bytes of the password, as everywhere.
//   - crypt_blowfish 1.1+ computes $2a$ hashes with a countermeasure that
//     changes the result for a rare class of passwords with 8-bit characters
//     (such as "\xff\xff\xa3"); it is not reproduced, so those few $2a$
//     hashes made by PHP ≥ 5.3.7 or libxcrypt do not verify. PHP before
//     5.3.7 wrote $2a$ hashes with the sign-extension bug that $2x$ marks;
//     those do not verify for passwords with 8-bit characters either.
//   - Argon2 version 16 (PHC strings with "v=16" or no version) and argon2d
//     are not supported: golang.org/x/crypto/argon2 implements version 19
//     of argon2i and argon2id only. Secret keys and associated data
//     ("keyid=", "data=") are not supported either.
//   - SHA-crypt compares the checksum only, so "rounds=10" verifies as
//     rounds=1000 as the specification says (libxcrypt refuses it).
//
// Digest hashes with "md5", "sha1", "sha256", "sha384" or "sha512", and
// computes HMACs with "hmac-<one of those>:<key>", the key being every
// byte after the first colon ("hmac-sha384:wp-sha384"); it returns
// ErrUnknownAlgorithm for any other name.
package legacyhash
