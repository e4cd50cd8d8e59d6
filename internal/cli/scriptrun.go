package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/scripts"
	"github.com/wasmauth/wasmauth/runtime"
)

// localTenant is the tenant id "script run" gives its module, unless --tenant
// names another.
const localTenant = "local"

func scriptRun(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script run", "script run FILE [--op OP] [--identifier X] [--password P | --password-stdin] (--sqlite DB | --driver D --dsn DSN) [flags]", `
Runs the WebAssembly module in FILE once on this machine, without a server,
in the server's sandbox and with its limits: the same engine, host functions
and database access (read-only, one connection per instance, the networks of
--legacy-networks). It prints the answer, the log, the time and the fuel, like
"script test", and exits with status 1 when the call failed (trap, out of
fuel, deadline, bad output, limit).

The operation is login (the default) or get_user, which take --identifier,
or one of the optional exports of ABI v1.1: list_users (one page: --limit,
and --cursor from the last page's next_cursor), count_users, or verify_hash
(--password-hash and the password).

The database is an SQLite file (--sqlite, opened read-only) or a
--driver/--dsn pair as "connection set" takes them. Nothing is stored.

Prefer --password-stdin: a --password on the command line is visible to other
users of the machine.`)
	op := fs.String("op", "login", "operation: login, get_user, list_users, count_users or verify_hash")
	identifier := fs.String("identifier", "", "email or username to look up (login, get_user)")
	pw := fs.String("password", "", "password for --op login or verify_hash (visible in the process list; prefer --password-stdin)")
	hash := fs.String("password-hash", "", "the legacy hash for --op verify_hash")
	cursor := fs.String("cursor", "", "where the page starts, for --op list_users (default the first page)")
	limit := fs.Int("limit", auth.DefaultDrainPageSize, fmt.Sprintf("users per page for --op list_users (1..%d)", auth.MaxDrainPageSize))
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	sqliteFile := fs.String("sqlite", "", "the legacy database is this SQLite file")
	driver := fs.String("driver", "", "legacy database driver: postgres, mysql or sqlite (instead of --sqlite)")
	dsn := fs.String("dsn", "", "legacy database DSN, with --driver")
	config := kvFlag{}
	fs.Var(config, "config", "k=v handed to the module as input.config (repeatable; values are strings)")
	limitsJSON := fs.String("limits", "", `the connection's limits as JSON, e.g. '{"fuel": 1000000, "timeout_ms": 2000}' (default the server's defaults)`)
	networks := fs.String("legacy-networks", "", "comma-separated CIDR prefixes postgres and mysql connections may reach (default loopback, 127.0.0.0/8,::1/128)")
	tenant := fs.String("tenant", localTenant, "tenant id the module sees in its input")
	asJSON := fs.Bool("json", false, "print the result as JSON, as the server's script test answers")
	pos, err := parseArgs(sys, fs, args, 1)
	if err != nil {
		return err
	}
	switch *op {
	case auth.OpLogin, auth.OpGetUser:
		if err := requireFlag(sys, fs, "identifier", *identifier); err != nil {
			return err
		}
	case auth.OpListUsers:
		if *limit < 1 || *limit > auth.MaxDrainPageSize {
			return usageError(sys, fs, fmt.Sprintf("--limit must be 1..%d", auth.MaxDrainPageSize))
		}
	case auth.OpVerifyHash:
		if err := requireFlag(sys, fs, "password-hash", *hash); err != nil {
			return err
		}
	case auth.OpCountUsers:
	default:
		return usageError(sys, fs, "--op must be login, get_user, list_users, count_users or verify_hash")
	}
	conn := &auth.Connection{Driver: *driver, DSN: *dsn, Config: config}
	switch {
	case *sqliteFile != "" && (*driver != "" || *dsn != ""):
		return usageError(sys, fs, "--sqlite excludes --driver and --dsn")
	case *sqliteFile != "":
		conn.Driver, conn.DSN = "sqlite", *sqliteFile
	case *driver == "" || *dsn == "":
		return usageError(sys, fs, "give the legacy database: --sqlite FILE, or --driver and --dsn")
	}
	if *limitsJSON != "" {
		dec := json.NewDecoder(strings.NewReader(*limitsJSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&conn.Limits); err != nil {
			return fmt.Errorf("--limits: %w", err)
		}
	}
	nets, err := legacydb.ParseNetworks(*networks)
	if err != nil {
		return fmt.Errorf("--legacy-networks: %w", err)
	}
	if len(nets) == 0 {
		nets = demoNetworks
	}
	password, err := readPassword(sys, *pw, *pwStdin)
	if err != nil {
		return err
	}
	module, err := readInput(sys, pos[0], maxModuleFile)
	if err != nil {
		return err
	}
	sqliteRoot := ""
	if conn.Driver == "sqlite" {
		root, err := sqliteFolder(*tenant, conn.DSN)
		if err != nil {
			return err
		}
		defer os.RemoveAll(root)
		sqliteRoot, conn.DSN = root, filepath.Base(conn.DSN)
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := &runStore{module: module}
	engine, err := runtime.New(ctx, runtime.Config{Loader: scripts.Loader(st), Logger: log})
	if err != nil {
		return err
	}
	defer engine.Close(context.WithoutCancel(ctx))
	m := scripts.New(engine, st, sqliteRoot, nets, log)
	defer m.Close()
	if err := m.CheckLimits(conn.Limits); err != nil {
		return fmt.Errorf("--limits: %w", brief(err))
	}
	info, err := m.Validate(ctx, module)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], brief(err))
	}
	if !slices.Contains(info.Exports, *op) {
		return fmt.Errorf("%s does not export %s (it exports %s)", pos[0], *op, strings.Join(info.Exports, ", "))
	}
	st.script = &auth.Script{Tenant: *tenant, Version: 1, SHA256: info.SHA256, Size: info.Size, Exports: info.Exports}
	if err := m.Connect(ctx, *tenant, conn); err != nil {
		return brief(err)
	}
	call := auth.ScriptCall{
		Tenant:  &auth.Tenant{ID: *tenant, Connection: conn, ActiveScript: 1},
		Version: 1, Op: *op, Identifier: auth.TrimNFC(*identifier), DryRun: true,
	}
	switch *op {
	case auth.OpLogin:
		call.Password = password
	case auth.OpVerifyHash:
		call.Password, call.PasswordHash = password, *hash
	case auth.OpListUsers:
		call.Limit = *limit
		if *cursor != "" {
			call.Cursor = cursor
		}
	}
	res, err := m.Call(ctx, call)
	var failure *auth.ScriptError
	if err != nil && !errors.As(err, &failure) {
		return err
	}
	out := scriptTestResult{OK: failure == nil, DurationMS: float64(res.Duration.Microseconds()) / 1000, FuelUsed: res.FuelUsed}
	out.Logs = make([]scriptLogLine, len(res.Logs))
	for i, l := range res.Logs {
		out.Logs[i] = scriptLogLine{Level: l.Level, Message: l.Message}
	}
	if failure != nil {
		out.Error = &struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{failure.Kind, failure.Message}
	} else {
		out.Result = res.Output
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return printScriptTest(sys.Stdout, *op, out, raw, *asJSON)
}

// brief returns an *auth.Error as its code and message, without the
// underlying error that repeats the message; other errors as they are.
func brief(err error) error {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.Code, ae.Message)
	}
	return err
}

// usageError reports a wrong use of the flags with the usage.
func usageError(sys IO, fs *flag.FlagSet, msg string) error {
	fmt.Fprintf(sys.Stderr, "%s\n\n", msg)
	fs.Usage()
	return errUsage
}

// sqliteFolder returns a new temporary folder that holds, under the tenant's
// name, a link to the folder of the SQLite file: the layout legacydb confines
// a tenant's SQLite files to. The caller removes it.
func sqliteFolder(tenant, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("--sqlite: %w", err)
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("--sqlite: %s is not a regular file", file)
	}
	root, err := os.MkdirTemp("", "wasmauth-run-")
	if err != nil {
		return "", err
	}
	if err := os.Symlink(filepath.Dir(abs), filepath.Join(root, tenant)); err != nil {
		os.RemoveAll(root)
		return "", fmt.Errorf("--tenant: %w", err)
	}
	return root, nil
}

// runStore is the store "script run" gives the scripts manager: it holds the
// one module being run, as version 1. The manager calls no other method.
type runStore struct {
	auth.Store
	script *auth.Script
	module []byte
}

func (s *runStore) ListScripts(context.Context, string) ([]*auth.Script, error) {
	return []*auth.Script{s.script}, nil
}

func (s *runStore) GetScript(context.Context, string, int) (*auth.Script, []byte, error) {
	return s.script, s.module, nil
}
