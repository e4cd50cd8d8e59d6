// Package password hashes and verifies user passwords with argon2id and
// enforces the password policy for new passwords.
//
// Hashes are stored as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// where salt and key are standard base64 without padding. DefaultParams are
// the OWASP minimum for argon2id (19 MiB, two passes, one lane).
//
// A Hasher bounds the number of hashes computed at once, because each one
// holds Params.Memory KiB for its whole duration: a thousand concurrent logins
// must not allocate a thousand times 19 MiB. Callers wait for a slot in a
// queue that is first-in first-out per tenant (WithTenant) and takes tenants
// in turn; a call that is not expected to get a slot within Config.MaxWait
// (or its context's deadline) gets a BusyError at once, wrapping ErrBusy and
// saying when to retry, which an HTTP layer answers with 503 and Retry-After.
//
// Validate applies the policy for new passwords: NFC normalisation, 8 to 256
// characters, and not on the embedded list of common passwords.
package password
