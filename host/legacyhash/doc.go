// Package legacyhash verifies passwords against the hashes of legacy user
// databases, for the verify_password host function of the guest ABI, and
// hashes data with MD5 and SHA-1/2 for its digest host function.
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
//
// Base64 in PHC strings may be padded or not. Checksums of the PHC and PBKDF2
// formats must be at least 16 bytes: a truncated checksum would let random
// passwords match.
//
// Every parameter that drives the work is read and checked against a cap
// before any hashing; a hash over a cap gives ErrTooExpensive:
//
//	bcrypt        cost ≤ 16
//	argon2        m ≤ 1 GiB (1048576 KiB), t ≤ 10, p ≤ 64 (the work does not grow with p)
//	scrypt        N ≤ 2^20, 128·N·r + 128·r·p ≤ 1 GiB + 1 MiB, N·r·p ≤ 2^23
//	PBKDF2        iterations × output blocks ≤ 10,000,000
//	SHA-crypt     rounds ≤ 10,000,000 (the specification allows 999,999,999)
//	phpass        iterations ≤ 2^24 (the format allows 2^30)
//	md5-crypt, SHA-crypt, phpass
//	              password bytes hashed ≤ 2^30: their work grows with rounds ×
//	              password length (SHA-crypt's also with its square), so a long
//	              password with many rounds is refused too
//
// The caps bound one verification; concurrent ones add up (four argon2
// hashes at the memory cap need 4 GiB). Memory reports what a hash will
// take, so that the caller can bound the total, for example with a weighted
// semaphore. Verify cannot be interrupted once it hashes.
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
// Digest hashes with "md5", "sha1", "sha256" or "sha512"; it returns
// ErrUnknownAlgorithm for any other name.
package legacyhash
