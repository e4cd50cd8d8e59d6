package cli

import (
	"context"
	"fmt"
	"time"
)

func runKeys(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "keys", `
Manages a tenant's token signing keys. Works with the tenant's API key or the
operator token.`, []subcommand{
		{"rotate", "make new signing keys; old public keys stay until their tokens expire", keysRotate},
	}, args)
}

func keysRotate(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "keys rotate", "keys rotate --tenant ID [flags]", `
Makes a new access token key and a new ID token key of each algorithm (RS256,
ES256, EdDSA), which sign from now on. Replaced keys stay in the tenant's JWKS, and keep verifying, until every
token they signed has expired; a later rotation removes them.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	var out struct {
		Keys []struct {
			KID       string    `json:"kid"`
			Alg       string    `json:"alg"`
			Use       string    `json:"use"`
			CreatedAt time.Time `json:"created_at"`
		} `json:"keys"`
	}
	return cf.show(ctx, sys, "POST", tenantPath(*tenant, "keys", "rotate"), nil, &out, func() error {
		fmt.Fprintf(sys.Stdout, "Rotated the signing keys of %s.\n\n", cell(*tenant))
		t := newTable(sys.Stdout, "KID", "ALG", "USE", "CREATED")
		for _, k := range out.Keys {
			t.row(k.KID, k.Alg, k.Use, formatTime(k.CreatedAt))
		}
		return t.flush()
	})
}
