package oidc

import (
	"context"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Records is the part of auth.Store the provider keeps its own records in:
// authorization requests and browser sessions. They are zitadel/oidc's
// op.Storage state (a request's code hash, its one code), written and read
// as the protocol steps need them; no domain rule of internal/auth governs
// them, so service methods would only pass each call through. Users,
// clients, tokens and passwords go through auth.Service, and so does the
// mark of a used code, written with the session it was exchanged for
// (auth.ClientGrant.AuthRequestID). auth.Store implements Records.
type Records interface {
	// Ping reports whether the store is usable (the library's health check).
	Ping(ctx context.Context) error

	CreateAuthRequest(ctx context.Context, r *auth.AuthRequest) error
	GetAuthRequest(ctx context.Context, tenant, id string) (*auth.AuthRequest, error)
	AuthRequestByCode(ctx context.Context, tenant string, codeHash []byte) (*auth.AuthRequest, error)
	UpdateAuthRequest(ctx context.Context, tenant, id string, fn func(*auth.AuthRequest) error) (*auth.AuthRequest, error)

	CreateBrowserSession(ctx context.Context, b *auth.BrowserSession) error
	GetBrowserSession(ctx context.Context, tenant string, idHash []byte) (*auth.BrowserSession, error)
	DeleteBrowserSession(ctx context.Context, tenant string, idHash []byte) error
}

var _ Records = auth.Store(nil)
