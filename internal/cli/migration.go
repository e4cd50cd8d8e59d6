package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// migrationJSON is a tenant's migration status as the server shows it.
type migrationJSON struct {
	Enabled         bool       `json:"enabled"`
	UsersTotal      int64      `json:"users_total"`
	UsersMigrated   int64      `json:"users_migrated"`
	UsersRegistered int64      `json:"users_registered"`
	LastMigratedAt  *time.Time `json:"last_migrated_at"`
	LegacyUsers     *int64     `json:"legacy_users"`
	WeakLegacy      string     `json:"weak_legacy_passwords"`
	Legacy          struct {
		LoginsOK       int64 `json:"logins_ok"`
		LoginsRejected int64 `json:"logins_rejected"`
		Errors         int64 `json:"errors"`
		LoginsInactive int64 `json:"logins_inactive"`
		LoginsLocked   int64 `json:"logins_locked"`
		Conflicts      int64 `json:"conflicts"`
	} `json:"legacy"`
}

func runMigration(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "migration", `
Shows and switches a tenant's lazy migration. Works with the tenant's API key
or the operator token.`, []subcommand{
		{"status", "show the progress (--watch: live)", migrationStatus},
		{"enable", "switch migration on (needs an active script and a connection)", func(ctx context.Context, sys IO, args []string) error {
			return migrationSwitch(ctx, sys, args, true)
		}},
		{"disable", "switch migration off", func(ctx context.Context, sys IO, args []string) error {
			return migrationSwitch(ctx, sys, args, false)
		}},
		{"drain", "bring over the users who have not logged in (start, status, stop)", migrationDrain},
		{"set", "change a migration setting (--weak-legacy-passwords allow|flag)", migrationSet},
	}, args)
}

func migrationSwitch(ctx context.Context, sys IO, args []string, on bool) error {
	verb, what := "disable", "off: the module is no longer called"
	if on {
		verb, what = "enable", "on: unknown users' logins and registrations consult the module"
	}
	fs := newFlags(sys, "migration "+verb, "migration "+verb+" --tenant ID [flags]", "Switches the tenant's lazy migration "+what+".")
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	var st migrationJSON
	return cf.show(ctx, sys, "PUT", tenantPath(*tenant, "migration"), map[string]bool{"enabled": on}, &st, func() error {
		return printMigration(sys.Stdout, st, 0)
	})
}

func migrationSet(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "migration set", "migration set --tenant ID --weak-legacy-passwords allow|flag [flags]", `
Changes the tenant's migration settings. --weak-legacy-passwords flag migrates a
legacy password that fails the password policy but marks the user
password_change_required (in the user object and its tokens) until the password
changes; allow (the default) migrates it unmarked.`)
	tenant := tenantFlag(sys, fs)
	weak := fs.String("weak-legacy-passwords", "", "allow or flag")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if *weak == "" {
		return errors.New("--weak-legacy-passwords is required")
	}
	var st migrationJSON
	return cf.show(ctx, sys, "PUT", tenantPath(*tenant, "migration"), map[string]string{"weak_legacy_passwords": *weak}, &st, func() error {
		return printMigration(sys.Stdout, st, 0)
	})
}

func migrationStatus(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "migration status", "migration status --tenant ID [--watch [--interval 2s]] [flags]", `
Shows how far the tenant's lazy migration has come: local users (migrated from
the legacy database plus registered), and the module's login outcomes.

--watch polls until interrupted and draws a live progress bar (with --json:
one JSON object per line). The bar shows migrated users out of --legacy-users,
or without it out of the legacy users the module counts (its optional
count_users export, which the presets have), or else out of all local users.`)
	tenant := tenantFlag(sys, fs)
	legacyUsers := fs.Int64("legacy-users", 0, "active users in the legacy database, the progress bar's 100%")
	watch := fs.Bool("watch", false, "poll and redraw until interrupted")
	interval := fs.Duration("interval", 2*time.Second, "time between polls with --watch")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if *interval <= 0 {
		return errors.New("--interval must be positive")
	}
	path := tenantPath(*tenant, "migration")
	if !*watch {
		var st migrationJSON
		return cf.show(ctx, sys, "GET", path, nil, &st, func() error {
			return printMigration(sys.Stdout, st, *legacyUsers)
		})
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	return watchMigration(ctx, sys.Stdout, *interval, cf.json, *legacyUsers, func(ctx context.Context) (migrationJSON, []byte, error) {
		var st migrationJSON
		raw, err := c.callJSON(ctx, "GET", path, nil, &st)
		return st, raw, err
	})
}

// progressOf returns the bar's denominator and what it counts.
func progressOf(st migrationJSON, legacyUsers int64) (int64, string) {
	if legacyUsers > 0 {
		return legacyUsers, "legacy users"
	}
	if st.LegacyUsers != nil {
		return *st.LegacyUsers, "legacy users"
	}
	return st.UsersTotal, "local users"
}

func printMigration(w io.Writer, st migrationJSON, legacyUsers int64) error {
	state := "off"
	if st.Enabled {
		state = "on"
	}
	t := newTable(w)
	t.row("Migration", state)
	total, of := progressOf(st, legacyUsers)
	t.row("Progress", progressBar(st.UsersMigrated, total, 30)+" "+percent(st.UsersMigrated, total)+" of "+of)
	if st.LegacyUsers != nil {
		t.row("Legacy users", *st.LegacyUsers)
	}
	t.row("Users", st.UsersTotal)
	t.row("  migrated", st.UsersMigrated)
	t.row("  registered", st.UsersRegistered)
	t.row("Last migrated", formatTimePtr(st.LastMigratedAt))
	t.row("Legacy logins ok", st.Legacy.LoginsOK)
	t.row("Legacy rejected", st.Legacy.LoginsRejected)
	t.row("  inactive", st.Legacy.LoginsInactive)
	t.row("  locked", st.Legacy.LoginsLocked)
	t.row("Legacy errors", st.Legacy.Errors)
	t.row("Conflicts", st.Legacy.Conflicts)
	if st.WeakLegacy != "" {
		t.row("Weak legacy passwords", st.WeakLegacy)
	}
	return t.flush()
}

// watchMigration polls fetch every interval until ctx ends, as watchLines
// does, with progressLine's lines.
func watchMigration(ctx context.Context, w io.Writer, interval time.Duration, asJSON bool, legacyUsers int64, fetch func(context.Context) (migrationJSON, []byte, error)) error {
	return watchLines(ctx, w, interval, asJSON, func(ctx context.Context) (string, []byte, error) {
		st, raw, err := fetch(ctx)
		return progressLine(st, legacyUsers), raw, err
	})
}

// compactJSON returns raw compacted to one line, or "" when it is not JSON.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

// progressLine is one line of migration status with a bar.
func progressLine(st migrationJSON, legacyUsers int64) string {
	state := "off"
	if st.Enabled {
		state = "on"
	}
	total, of := progressOf(st, legacyUsers)
	return fmt.Sprintf("%s %6s  migrated %d of %d %s (registered %d)  legacy: %d ok, %d rejected, %d errors, %d conflicts  migration %s",
		progressBar(st.UsersMigrated, total, 30), percent(st.UsersMigrated, total),
		st.UsersMigrated, total, of, st.UsersRegistered,
		st.Legacy.LoginsOK, st.Legacy.LoginsRejected, st.Legacy.Errors, st.Legacy.Conflicts, state)
}

// progressBar draws done out of total in width cells: "[#####-----]".
func progressBar(done, total int64, width int) string {
	filled := 0
	if total > 0 && done > 0 {
		filled = int(min(done, total) * int64(width) / total)
		if filled == 0 {
			filled = 1 // something has happened
		}
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat("-", width-filled) + "]"
}

// percent formats done out of total as a percentage.
func percent(done, total int64) string {
	if total <= 0 {
		return "0.0%"
	}
	return fmt.Sprintf("%.1f%%", float64(min(done, total))*100/float64(total))
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
