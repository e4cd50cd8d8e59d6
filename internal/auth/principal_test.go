package auth_test

import (
	"bytes"
	"testing"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// TestPrincipalAuthorize: the operator may do everything, a tenant key only
// act on its own tenant, and no tenant key an operator's work.
func TestPrincipalAuthorize(t *testing.T) {
	operator, acme, none := auth.Principal{Operator: true}, auth.Principal{Tenant: "acme"}, auth.Principal{}
	tests := []struct {
		name string
		err  error
		want auth.Code
	}{
		{"operator on a tenant", operator.Authorize("acme"), ""},
		{"operator on operator work", operator.AuthorizeOperator(), ""},
		{"key on its tenant", acme.Authorize("acme"), ""},
		{"key on another tenant", acme.Authorize("other"), auth.CodeForbidden},
		{"key on no tenant", acme.Authorize(""), auth.CodeForbidden},
		{"key on operator work", acme.AuthorizeOperator(), auth.CodeForbidden},
		{"nobody on no tenant", none.Authorize(""), auth.CodeForbidden},
		{"nobody on operator work", none.AuthorizeOperator(), auth.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.ErrorCode(tt.err); got != tt.want {
				t.Fatalf("%v, want %q", tt.err, tt.want)
			}
		})
	}
}

// TestAPIKeyAuthenticates: a new tenant's API key authenticates as that
// tenant (its stored hash is HashSecret's), and a changed key does not.
func TestAPIKeyAuthenticates(t *testing.T) {
	e := newEnv(t, nil)
	ten, key, err := e.svc.CreateTenant(t.Context(), "beta", "Beta", auth.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ten.APIKeyHash, auth.HashSecret(key)) {
		t.Fatal("the stored hash is not HashSecret of the key")
	}
	p, err := e.svc.Authenticate(t.Context(), key, auth.Meta{IP: "192.0.2.1"})
	if err != nil || p != (auth.Principal{Tenant: "beta"}) {
		t.Fatalf("Authenticate = %+v, %v; want tenant beta", p, err)
	}
	if _, err := e.svc.Authenticate(t.Context(), key+"x", auth.Meta{IP: "192.0.2.1"}); auth.ErrorCode(err) != auth.CodeUnauthorized {
		t.Fatalf("a changed key: %v, want unauthorized", err)
	}
}
