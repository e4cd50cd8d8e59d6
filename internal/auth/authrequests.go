package auth

import "time"

// AuthRequest is one authorization request of the OpenID Provider, from
// /authorize until its code is exchanged or it expires.
type AuthRequest struct {
	ID           string
	Tenant       string
	ClientID     string
	RedirectURI  string
	State        string
	Nonce        string
	Scopes       []string
	ResponseType string
	// CodeChallenge and CodeChallengeMethod are the PKCE challenge (RFC 7636).
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	// MaxAge is the max_age parameter in seconds; nil when not sent.
	MaxAge    *uint
	LoginHint string
	// UserID and AuthTime are set once the user has signed in.
	UserID   string
	AuthTime time.Time
	// CodeHash is the SHA-256 of the authorization code, once one was given
	// out; CodeExpiresAt is when it stops working.
	CodeHash      []byte
	CodeExpiresAt time.Time
	// SessionID is the session the code was exchanged for; set on first use,
	// so a second use is recognised and that session revoked.
	SessionID string
	CreatedAt time.Time
	// ExpiresAt is when the store drops the request.
	ExpiresAt time.Time
}

// BrowserSession is a person signed in to the hosted pages of a tenant,
// found by the hash of the opaque id in their cookie.
type BrowserSession struct {
	// IDHash is the SHA-256 of the cookie's value.
	IDHash    []byte
	Tenant    string
	UserID    string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
}
