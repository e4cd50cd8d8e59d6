package cli

import (
	"context"
	"fmt"
	"time"
)

// tenantJSON is a tenant as the server shows it.
type tenantJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	APIKey    string    `json:"api_key,omitempty"`
}

func runTenant(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "tenant", `
Manages tenants through the operator API; needs the operator token.`, []subcommand{
		{"create", "create a tenant and print its API key (shown once)", tenantCreate},
		{"list", "list tenants", tenantList},
		{"get", "show a tenant", tenantGet},
		{"delete", "delete a tenant with its users, scripts, keys and sessions", tenantDelete},
		{"rotate-key", "issue a new API key; older keys stop working", tenantRotateKey},
	}, args)
}

func tenantCreate(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "tenant create", "tenant create ID [--name NAME] [flags]", `
Creates a tenant. ID matches ^[a-z0-9][a-z0-9-]{1,62}$. The tenant's admin
API key is printed once; only its hash is kept.`)
	name := fs.String("name", "", "display name (default: the id)")
	cf := bindClientFlags(sys, fs)
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	var t tenantJSON
	return cf.show(ctx, sys, "POST", "/admin/v1/tenants", map[string]string{"id": pos[0], "name": *name}, &t, func() error {
		fmt.Fprintf(sys.Stdout, "Created tenant %s (%s).\n", cell(t.ID), cell(t.Name))
		fmt.Fprintf(sys.Stdout, "API key (shown only this once; store it now):\n\n    %s\n", cell(t.APIKey))
		return nil
	})
}

func tenantList(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "tenant list", "tenant list [flags]", `Lists every tenant.`)
	cf := bindClientFlags(sys, fs)
	if _, err := parseArgs(sys, fs, args, 0); err != nil {
		return err
	}
	var out struct {
		Tenants []tenantJSON `json:"tenants"`
	}
	return cf.show(ctx, sys, "GET", "/admin/v1/tenants", nil, &out, func() error {
		t := newTable(sys.Stdout, "ID", "NAME", "CREATED")
		for _, tn := range out.Tenants {
			t.row(tn.ID, tn.Name, formatTime(tn.CreatedAt))
		}
		return t.flush()
	})
}

func tenantGet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "tenant get", "tenant get ID [flags]", `Shows a tenant.`)
	cf := bindClientFlags(sys, fs)
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	var tn tenantJSON
	return cf.show(ctx, sys, "GET", tenantPath(pos[0]), nil, &tn, func() error {
		t := newTable(sys.Stdout)
		t.row("ID", tn.ID)
		t.row("Name", tn.Name)
		t.row("Created", formatTime(tn.CreatedAt))
		return t.flush()
	})
}

func tenantDelete(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "tenant delete", "tenant delete ID [flags]", `
Deletes a tenant and all of its users, scripts, keys and sessions.`)
	cf := bindClientFlags(sys, fs)
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	return cf.delete(ctx, sys, tenantPath(pos[0]), fmt.Sprintf("Deleted tenant %s.\n", cell(pos[0])))
}

func tenantRotateKey(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "tenant rotate-key", "tenant rotate-key ID [flags]", `
Issues a new admin API key for the tenant and prints it once; older keys stop
working at once.`)
	cf := bindClientFlags(sys, fs)
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	var out struct {
		APIKey string `json:"api_key"`
	}
	return cf.show(ctx, sys, "POST", tenantPath(pos[0], "api-keys"), nil, &out, func() error {
		fmt.Fprintf(sys.Stdout, "New API key of %s (older keys no longer work; shown only this once):\n\n    %s\n", cell(pos[0]), cell(out.APIKey))
		return nil
	})
}

// formatTime prints a server time in UTC, or "-" when unset.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// formatTimePtr is formatTime for optional times.
func formatTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return formatTime(*t)
}
