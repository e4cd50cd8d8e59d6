package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// drainJSON is a tenant's drain job as the server shows it.
type drainJSON struct {
	State             string     `json:"state"`
	Imported          int64      `json:"imported"`
	AlreadyLocal      int64      `json:"already_local"`
	Conflicts         int64      `json:"conflicts"`
	WithoutPassword   int64      `json:"without_password"`
	UnsupportedHash   int64      `json:"unsupported_hash"`
	Errors            int64      `json:"errors"`
	Pages             int64      `json:"pages"`
	MaxUsersPerSecond int        `json:"max_users_per_second"`
	DryRun            bool       `json:"dry_run"`
	StartedAt         *time.Time `json:"started_at"`
	FinishedAt        *time.Time `json:"finished_at"`
	LastError         *string    `json:"last_error"`
}

// seen is every legacy user the drain has handled.
func (d drainJSON) seen() int64 { return d.Imported + d.AlreadyLocal + d.Conflicts + d.Errors }

func migrationDrain(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "migration drain", `
Brings over the users who have not logged in: a background job pages through
the module's list_users and stores each user with its legacy hash, checked on
the server at its first login. Needs a module that exports list_users.`, []subcommand{
		{"start", "start the drain, or resume a stopped or failed one", drainStart},
		{"status", "show the drain's progress (--watch: live)", drainStatus},
		{"stop", "stop the drain after its current page", drainStop},
	}, args)
}

func drainStart(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "migration drain start", "migration drain start --tenant ID [--page-size N] [--rate N] [--dry-run] [flags]", `
Starts the tenant's drain, or resumes a stopped or failed one from its saved
cursor. --rate bounds the users a second (0: no bound); the drain never holds
up logins either way.`)
	tenant := tenantFlag(sys, fs)
	pageSize := fs.Int("page-size", 100, "users a list_users page asks for (1..1000)")
	rate := fs.Int("rate", 200, "at most this many users a second; 0 is no bound")
	dryRun := fs.Bool("dry-run", false, "count what the drain would do, storing nobody")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	body := map[string]any{"page_size": *pageSize, "max_users_per_second": *rate, "dry_run": *dryRun}
	var d drainJSON
	return cf.show(ctx, sys, "POST", tenantPath(*tenant, "migration", "drain"), body, &d, func() error {
		return printDrain(sys.Stdout, d, 0)
	})
}

func drainStop(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "migration drain stop", "migration drain stop --tenant ID [flags]", `
Stops the tenant's drain after its current page; "drain start" resumes it.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	return cf.delete(ctx, sys, tenantPath(*tenant, "migration", "drain"), fmt.Sprintf("The drain of %s stops after its current page.\n", cell(*tenant)))
}

func drainStatus(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "migration drain status", "migration drain status --tenant ID [--watch [--interval 2s]] [--legacy-users N] [flags]", `
Shows the tenant's drain: its state and what it did with the legacy users so
far. --watch polls until interrupted and draws a live progress bar (with
--json: one JSON object per line) of the users handled out of --legacy-users
(how many the legacy database holds), or without it a full bar once done.`)
	tenant := tenantFlag(sys, fs)
	legacyUsers := fs.Int64("legacy-users", 0, "users in the legacy database, the progress bar's 100%")
	watch := fs.Bool("watch", false, "poll and redraw until interrupted")
	interval := fs.Duration("interval", 2*time.Second, "time between polls with --watch")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if *interval <= 0 {
		return errors.New("--interval must be positive")
	}
	path := tenantPath(*tenant, "migration", "drain")
	if !*watch {
		var d drainJSON
		return cf.show(ctx, sys, "GET", path, nil, &d, func() error {
			return printDrain(sys.Stdout, d, *legacyUsers)
		})
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	return watchLines(ctx, sys.Stdout, *interval, cf.json, func(ctx context.Context) (string, []byte, error) {
		var d drainJSON
		raw, err := c.callJSON(ctx, "GET", path, nil, &d)
		return drainLine(d, *legacyUsers), raw, err
	})
}

// drainProgress returns the bar's done and total.
func drainProgress(d drainJSON, legacyUsers int64) (int64, int64) {
	switch {
	case legacyUsers > 0:
		return d.seen(), legacyUsers
	case d.State == "done":
		return d.seen(), d.seen()
	}
	return 0, 0
}

func printDrain(w io.Writer, d drainJSON, legacyUsers int64) error {
	done, total := drainProgress(d, legacyUsers)
	t := newTable(w)
	t.row("State", d.State)
	t.row("Progress", progressBar(done, total, 30)+" "+percent(done, total))
	t.row("Imported", d.Imported)
	t.row("  without password", d.WithoutPassword)
	t.row("  unsupported hash", d.UnsupportedHash)
	t.row("Already local", d.AlreadyLocal)
	t.row("Conflicts", d.Conflicts)
	t.row("Errors", d.Errors)
	t.row("Pages", d.Pages)
	t.row("Started", formatTimePtr(d.StartedAt))
	t.row("Finished", formatTimePtr(d.FinishedAt))
	if d.LastError != nil {
		t.row("Last error", *d.LastError)
	}
	if d.DryRun {
		t.row("Dry run", "yes: nothing is stored")
	}
	return t.flush()
}

// drainLine is one line of drain status with a bar.
func drainLine(d drainJSON, legacyUsers int64) string {
	done, total := drainProgress(d, legacyUsers)
	line := fmt.Sprintf("%s %6s  %s: %d imported (%d without password, %d unsupported hash), %d already local, %d conflicts, %d errors, %d pages",
		progressBar(done, total, 30), percent(done, total), d.State,
		d.Imported, d.WithoutPassword, d.UnsupportedHash, d.AlreadyLocal, d.Conflicts, d.Errors, d.Pages)
	if d.LastError != nil {
		line += "  last error: " + sanitize(*d.LastError)
	}
	return line
}

// maxImportFile is the largest import file the server takes in one request.
const maxImportFile = 64 << 20

func usersImport(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "users import", "users import FILE --tenant ID [flags]", `
Imports the users in FILE ("-" reads standard input): NDJSON, one user a line
in the list_users shape ({"id", "email", "username", "email_verified",
"name", "profile", "password_hash"}), at most 64 MiB. Each user keeps its
legacy hash, checked on the server at its first login. Importing a file
again stores nobody twice. Lines that cannot be imported are listed by
number.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	var body io.Reader = sys.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Size() > maxImportFile {
			return fmt.Errorf("%s is %d bytes; the server takes at most %d in one import: split it", pos[0], fi.Size(), maxImportFile)
		}
		body = f
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	// The stream client: a large file may take longer than --timeout.
	resp, err := c.send(ctx, c.stream, request{
		method: "POST", path: tenantPath(*tenant, "users", "import"),
		body: body, contentType: "application/x-ndjson",
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(sys.Stdout, raw)
	}
	var rep struct {
		Imported        int64 `json:"imported"`
		AlreadyLocal    int64 `json:"already_local"`
		Conflicts       int64 `json:"conflicts"`
		WithoutPassword int64 `json:"without_password"`
		UnsupportedHash int64 `json:"unsupported_hash"`
		Errors          []struct {
			Line    int    `json:"line"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return fmt.Errorf("the server's answer is not an import report: %w", err)
	}
	t := newTable(sys.Stdout)
	t.row("Imported", rep.Imported)
	t.row("  without password", rep.WithoutPassword)
	t.row("  unsupported hash", rep.UnsupportedHash)
	t.row("Already local", rep.AlreadyLocal)
	t.row("Conflicts", rep.Conflicts)
	t.row("Errors", len(rep.Errors))
	if err := t.flush(); err != nil {
		return err
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(sys.Stdout, "line %d: %s: %s\n", e.Line, e.Code, sanitize(e.Message))
	}
	return nil
}

// watchLines polls fetch every interval until ctx ends. On a terminal it
// redraws one line in place; elsewhere it prints a line when it changes
// (with asJSON, the answer compacted). Problem answers (unauthorized,
// unknown tenant) end the watch; network errors are shown and retried.
func watchLines(ctx context.Context, w io.Writer, interval time.Duration, asJSON bool, fetch func(context.Context) (string, []byte, error)) error {
	tty := !asJSON && isTerminal(w)
	var last string
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		text, raw, err := fetch(ctx)
		var line string
		switch {
		case ctx.Err() != nil:
			// Interrupted mid-request.
		case err != nil:
			var ae *apiError
			if errors.As(err, &ae) {
				if tty && last != "" {
					fmt.Fprintln(w)
				}
				return err
			}
			line = "(retrying: " + sanitize(err.Error()) + ")"
		case asJSON:
			line = compactJSON(raw)
		default:
			line = text
		}
		if line != "" && line != last {
			if tty {
				fmt.Fprintf(w, "\r%s\x1b[K", line)
			} else {
				fmt.Fprintln(w, line)
			}
			last = line
		}
		select {
		case <-ctx.Done():
			if tty && last != "" {
				fmt.Fprintln(w)
			}
			return nil
		case <-ticker.C:
		}
	}
}
