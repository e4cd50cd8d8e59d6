package auth_test

import (
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
