package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// userJSON is a user as the server shows them.
type userJSON struct {
	ID            string         `json:"id"`
	Email         *string        `json:"email"`
	Username      *string        `json:"username"`
	EmailVerified bool           `json:"email_verified"`
	Name          *string        `json:"name"`
	Profile       map[string]any `json:"profile"`
	CreatedAt     time.Time      `json:"created_at"`
	Source        string         `json:"source"`
	LegacyID      *string        `json:"legacy_id"`
	MigratedAt    *time.Time     `json:"migrated_at"`
}

func runUsers(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "users", `
Lists, shows, deletes and imports a tenant's users. Works with the tenant's API key or
the operator token.`, []subcommand{
		{"list", "list users in creation order", usersList},
		{"get", "show a user", usersGet},
		{"delete", "delete a user and their sessions", usersDelete},
		{"import", "import users from an NDJSON file, keeping their legacy hashes", usersImport},
	}, args)
}

func usersList(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "users list", "users list --tenant ID [--source legacy|local] [--limit N] [--all] [flags]", `
Lists the tenant's users in creation order, one page (--limit) at a time; the
next page's cursor is printed last. --all follows the cursors to the end.`)
	tenant := tenantFlag(sys, fs)
	source := fs.String("source", "", "only users from legacy (migrated) or local (registered)")
	limit := fs.Int("limit", 50, "users per page (at most 1000)")
	all := fs.Bool("all", false, "list every page")
	cursor := fs.String("cursor", "", "start at this next_cursor")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if *source != "" && *source != "legacy" && *source != "local" {
		fmt.Fprintf(sys.Stderr, "--source must be legacy or local\n\n")
		fs.Usage()
		return errUsage
	}
	if *limit < 1 {
		fmt.Fprintf(sys.Stderr, "--limit must be positive\n\n")
		fs.Usage()
		return errUsage
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	var users []json.RawMessage
	next := *cursor
	for {
		q := url.Values{"limit": {strconv.Itoa(*limit)}}
		if *source != "" {
			q.Set("source", *source)
		}
		if next != "" {
			q.Set("cursor", next)
		}
		var page struct {
			Users      []json.RawMessage `json:"users"`
			NextCursor *string           `json:"next_cursor"`
		}
		raw, err := c.call(ctx, request{method: "GET", path: tenantPath(*tenant, "users"), query: q})
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("the server's answer is not a user list: %w", err)
		}
		users = append(users, page.Users...)
		next = ""
		if page.NextCursor != nil {
			next = *page.NextCursor
		}
		if !*all || next == "" {
			break
		}
	}
	if cf.json {
		out := map[string]any{"users": users, "next_cursor": nil}
		if users == nil {
			out["users"] = []json.RawMessage{}
		}
		if next != "" {
			out["next_cursor"] = next
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		return printJSON(sys.Stdout, b)
	}
	t := newTable(sys.Stdout, "ID", "EMAIL", "USERNAME", "SOURCE", "CREATED", "MIGRATED")
	for _, r := range users {
		var u userJSON
		if err := json.Unmarshal(r, &u); err != nil {
			return fmt.Errorf("the server's answer holds a malformed user: %w", err)
		}
		t.row(u.ID, u.Email, u.Username, u.Source, formatTime(u.CreatedAt), formatTimePtr(u.MigratedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(sys.Stdout, "\nMore users: --cursor %s (or --all)\n", cell(next))
	}
	return nil
}

func usersGet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "users get", "users get USER_ID --tenant ID [flags]", `Shows one user.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	var u userJSON
	return cf.show(ctx, sys, "GET", tenantPath(*tenant, "users", pos[0]), nil, &u, func() error {
		profile, _ := json.Marshal(u.Profile)
		t := newTable(sys.Stdout)
		t.row("ID", u.ID)
		t.row("Email", u.Email)
		t.row("Email verified", u.EmailVerified)
		t.row("Username", u.Username)
		t.row("Name", u.Name)
		t.row("Source", u.Source)
		t.row("Legacy id", u.LegacyID)
		t.row("Created", formatTime(u.CreatedAt))
		t.row("Migrated", formatTimePtr(u.MigratedAt))
		t.row("Profile", string(profile))
		return t.flush()
	})
}

func usersDelete(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "users delete", "users delete USER_ID --tenant ID [flags]", `Deletes a user and their sessions.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	return cf.delete(ctx, sys, tenantPath(*tenant, "users", pos[0]), fmt.Sprintf("Deleted user %s of %s.\n", cell(pos[0]), cell(*tenant)))
}
