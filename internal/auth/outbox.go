package auth

import "time"

// Mail is a message in the outbox: stored before it is sent, so that a
// restart loses none, and removed once the SMTP server took it.
type Mail struct {
	ID     string
	Tenant string
	// FromName is the sender's display name (the tenant's); the address is
	// the server's --mail-from.
	FromName string
	To       string
	Subject  string
	Text     string
	HTML     string
	// CreatedAt is when it was queued; NextAttempt when it is due; Attempts
	// how often sending failed, LastError why the last time.
	CreatedAt   time.Time
	NextAttempt time.Time
	Attempts    int
	LastError   string
}

// ResetToken is a pending password reset. Only the token's SHA-256 is
// stored.
type ResetToken struct {
	Tenant string
	Hash   []byte
	// Subject names the account: "user:" and a local user's id, or
	// "legacy:" and a legacy id; a new token of a subject replaces the old.
	Subject string
	// UserID is the local user's id; "" for a user only the legacy
	// database has, whom Legacy describes (as get_user found it).
	UserID    string
	Legacy    *LegacyUser
	CreatedAt time.Time
	ExpiresAt time.Time
}
