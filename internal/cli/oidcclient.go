package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"
)

// oidcClientJSON is an OpenID Connect client as the server shows it.
type oidcClientJSON struct {
	ClientID               string    `json:"client_id"`
	ClientSecret           string    `json:"client_secret,omitempty"`
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	GrantTypes             []string  `json:"grant_types"`
	IDTokenAlg             string    `json:"id_token_signed_response_alg"`
	CreatedAt              time.Time `json:"created_at"`
}

// listFlag is a flag that may be given more than once, or once with values
// separated by commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runOIDCClient(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "client", `
Registers the OpenID Connect clients (relying parties) of a tenant: apps that
sign users in through the tenant's /authorize. Works with the tenant's API key
or the operator token.`, []subcommand{
		{"create", "register a client; a confidential client's secret is printed once", clientCreate},
		{"list", "list the tenant's clients", clientList},
		{"get", "show a client", clientGet},
		{"update", "replace a client's settings (omitted ones return to their defaults)", clientUpdate},
		{"delete", "delete a client; its codes and refresh tokens stop working", clientDelete},
		{"rotate-secret", "give a confidential client a new secret; the old one stops working", clientRotateSecret},
	}, args)
}

// clientSettings binds the flags of a client's settings.
type clientSettings struct {
	name                          *string
	redirects, postLogout, grants listFlag
	alg                           *string
}

func bindClientSettings(fs *flag.FlagSet) *clientSettings {
	s := &clientSettings{}
	s.name = fs.String("name", "", "display name (required)")
	fs.Var(&s.redirects, "redirect-uri", "a redirect URI; repeat or separate with commas (required)")
	fs.Var(&s.postLogout, "post-logout-redirect-uri", "a post-logout redirect URI; repeat or separate with commas")
	fs.Var(&s.grants, "grant", "authorization_code, refresh_token (default: both)")
	s.alg = fs.String("id-token-alg", "", "ID token signing algorithm: RS256 (default), ES256 or EdDSA")
	return s
}

// body returns the JSON body of the settings, leaving out unset optional ones.
func (s *clientSettings) body() map[string]any {
	b := map[string]any{"name": *s.name, "redirect_uris": []string(s.redirects)}
	if len(s.postLogout) > 0 {
		b["post_logout_redirect_uris"] = []string(s.postLogout)
	}
	if len(s.grants) > 0 {
		b["grant_types"] = []string(s.grants)
	}
	if *s.alg != "" {
		b["id_token_signed_response_alg"] = *s.alg
	}
	return b
}

func (s *clientSettings) require(sys IO, fs *flag.FlagSet) error {
	if err := requireFlag(sys, fs, "name", *s.name); err != nil {
		return err
	}
	return requireFlag(sys, fs, "redirect-uri", s.redirects.String())
}

func printClient(sys IO, c *oidcClientJSON) error {
	t := newTable(sys.Stdout)
	t.row("Client id", c.ClientID)
	t.row("Name", c.Name)
	t.row("Type", c.Type)
	t.row("Redirect URIs", strings.Join(c.RedirectURIs, " "))
	t.row("Post-logout URIs", strings.Join(c.PostLogoutRedirectURIs, " "))
	t.row("Grants", strings.Join(c.GrantTypes, " "))
	t.row("ID token alg", c.IDTokenAlg)
	t.row("Created", formatTime(c.CreatedAt))
	return t.flush()
}

func printSecret(sys IO, secret string) {
	fmt.Fprintf(sys.Stdout, "\nClient secret (shown only this once; store it now):\n\n    %s\n", cell(secret))
}

func clientCreate(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "client create", "client create --tenant ID --name NAME --type public|confidential --redirect-uri URI... [flags]", `
Registers an OpenID Connect client. Redirect URIs are absolute, without a
fragment, and https except for http://127.0.0.1, http://[::1] and
http://localhost (which match on any port). A public client (a browser or
native app) has no secret and must use PKCE; a confidential client's secret
is printed once and only its hash is kept.`)
	tenant := tenantFlag(sys, fs)
	typ := fs.String("type", "", "public or confidential (required)")
	set := bindClientSettings(fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if err := set.require(sys, fs); err != nil {
		return err
	}
	if err := requireFlag(sys, fs, "type", *typ); err != nil {
		return err
	}
	body := set.body()
	body["type"] = *typ
	var c oidcClientJSON
	return cf.show(ctx, sys, "POST", tenantPath(*tenant, "clients"), body, &c, func() error {
		fmt.Fprintf(sys.Stdout, "Registered client %s with %s.\n\n", cell(c.ClientID), cell(*tenant))
		if err := printClient(sys, &c); err != nil {
			return err
		}
		if c.ClientSecret != "" {
			printSecret(sys, c.ClientSecret)
		}
		return nil
	})
}

func clientList(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "client list", "client list --tenant ID [flags]", `Lists the tenant's clients in creation order.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	var out struct {
		Clients []oidcClientJSON `json:"clients"`
	}
	return cf.show(ctx, sys, "GET", tenantPath(*tenant, "clients"), nil, &out, func() error {
		t := newTable(sys.Stdout, "CLIENT ID", "NAME", "TYPE", "REDIRECT URIS", "CREATED")
		for _, c := range out.Clients {
			t.row(c.ClientID, c.Name, c.Type, strings.Join(c.RedirectURIs, " "), formatTime(c.CreatedAt))
		}
		return t.flush()
	})
}

func clientGet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "client get", "client get CLIENT_ID --tenant ID [flags]", `Shows a client (never its secret).`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	var c oidcClientJSON
	return cf.show(ctx, sys, "GET", tenantPath(*tenant, "clients", pos[0]), nil, &c, func() error {
		return printClient(sys, &c)
	})
}

func clientUpdate(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "client update", "client update CLIENT_ID --tenant ID --name NAME --redirect-uri URI... [flags]", `
Replaces a client's settings. Settings left out return to their defaults; the
type, id and secret stay.`)
	tenant := tenantFlag(sys, fs)
	set := bindClientSettings(fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	if err := set.require(sys, fs); err != nil {
		return err
	}
	var c oidcClientJSON
	return cf.show(ctx, sys, "PUT", tenantPath(*tenant, "clients", pos[0]), set.body(), &c, func() error {
		return printClient(sys, &c)
	})
}

func clientDelete(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "client delete", "client delete CLIENT_ID --tenant ID [flags]", `
Deletes a client; its authorization codes and refresh tokens stop working.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	return cf.delete(ctx, sys, tenantPath(*tenant, "clients", pos[0]), fmt.Sprintf("Deleted client %s of %s.\n", cell(pos[0]), cell(*tenant)))
}

func clientRotateSecret(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "client rotate-secret", "client rotate-secret CLIENT_ID --tenant ID [flags]", `
Gives a confidential client a new secret, printed once; the old one stops
working at once.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	var out struct {
		ClientSecret string `json:"client_secret"`
	}
	return cf.show(ctx, sys, "POST", tenantPath(*tenant, "clients", pos[0], "secret"), nil, &out, func() error {
		fmt.Fprintf(sys.Stdout, "Rotated the secret of client %s.\n", cell(pos[0]))
		printSecret(sys, out.ClientSecret)
		return nil
	})
}
