package cli

import (
	"context"
	"fmt"
	"time"
)

func runSettings(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "settings", `
Shows and sets a tenant's policies. Works with the tenant's API key or the
operator token.`, []subcommand{
		{"get", "show the settings in effect", settingsGet},
		{"set", "replace the settings; an omitted one returns to its default", settingsSet},
	}, args)
}

// settingsOut is the server's answer to GET and PUT /settings.
type settingsOut struct {
	BrowserSessionSeconds int64 `json:"browser_session_seconds"`
}

func (o *settingsOut) print(sys IO, tenant string) error {
	fmt.Fprintf(sys.Stdout, "Settings of %s.\n\n", cell(tenant))
	t := newTable(sys.Stdout, "SETTING", "VALUE")
	t.row("browser session", (time.Duration(o.BrowserSessionSeconds) * time.Second).String())
	return t.flush()
}

func settingsGet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "settings get", "settings get --tenant ID [flags]", `
Shows the tenant's settings in effect (defaults filled in).`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	var out settingsOut
	return cf.show(ctx, sys, "GET", tenantPath(*tenant, "settings"), nil, &out, func() error { return out.print(sys, *tenant) })
}

func settingsSet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "settings set", "settings set --tenant ID [--browser-session 8h] [flags]", `
Replaces the tenant's settings. --browser-session is how long a sign-in on the
hosted pages lasts (single sign-on): 1m to 720h, whole seconds; omitted, the
default 24h. Sessions already started keep their end.`)
	tenant := tenantFlag(sys, fs)
	session := fs.Duration("browser-session", 0, "browser session lifetime, e.g. 8h (default 24h)")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	body := map[string]any{"browser_session_seconds": int64(*session / time.Second)}
	var out settingsOut
	return cf.show(ctx, sys, "PUT", tenantPath(*tenant, "settings"), body, &out, func() error { return out.print(sys, *tenant) })
}
