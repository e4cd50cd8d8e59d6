// Package oidc makes every tenant a standard OpenID Provider: clients
// registered through the admin API, the authorization code flow with PKCE,
// ID tokens, discovery and logout, served by github.com/zitadel/oidc/v3
// with wasmauth's store behind its Storage interface.
package oidc
