package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scriptJSON is a module version as the server shows it.
type scriptJSON struct {
	Version    int       `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Exports    []string  `json:"exports"`
	UploadedAt time.Time `json:"uploaded_at"`
	Active     *bool     `json:"active"`
}

func runScript(ctx context.Context, sys IO, args []string) error {
	return dispatch(ctx, sys, "script", `
Uploads, lists, activates and test-runs a tenant's WebAssembly module.
Works with the tenant's API key or the operator token.`, []subcommand{
		{"push", "upload a module as the next version (and activate it)", scriptPush},
		{"list", "list the uploaded versions", scriptList},
		{"activate", "make a version the active one", scriptActivate},
		{"delete", "delete an inactive version, freeing its share of the quota", scriptDelete},
		{"test", "run login or get_user once, migrating nothing", scriptTest},
		{"init", "write a new module project (Go, C, Rust, AssemblyScript or WAT)", scriptInit},
		{"run", "run a module FILE locally against a database, without a server", scriptRun},
	}, args)
}

// maxModuleFile bounds the module file the client reads; the server has
// its own, lower limit.
const maxModuleFile = 256 << 20

func scriptPush(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script push", "script push FILE|--preset NAME --tenant ID [--activate=false] [flags]", `
Uploads the WebAssembly module in FILE ("-" reads standard input) as the
tenant's next version, or with --preset one of the server's ready modules
(django, laravel, wordpress, table; configured by the connection's config,
see examples-wasm/README.md). It becomes the active version unless
--activate=false stages it; in-flight calls finish on the old version.`)
	tenant := tenantFlag(sys, fs)
	activate := fs.Bool("activate", true, "activate the new version (--activate=false stages it)")
	preset := fs.String("preset", "", "upload the server's preset module `NAME` instead of a file")
	cf := bindClientFlags(sys, fs)
	want := 1
	if slices.ContainsFunc(args, func(a string) bool {
		a = strings.TrimPrefix(a, "-")
		return a == "-preset" || strings.HasPrefix(a, "-preset=")
	}) {
		want = 0
	}
	pos, err := parseTenantArgs(sys, fs, args, want, tenant)
	if err != nil {
		return err
	}
	r := request{
		method: "PUT", path: tenantPath(*tenant, "script"),
		query: url.Values{"activate": {strconv.FormatBool(*activate)}},
	}
	if *preset != "" {
		r.query.Set("preset", *preset)
	} else {
		if want == 0 {
			return errors.New("--preset needs a name")
		}
		module, err := readInput(sys, pos[0], maxModuleFile)
		if err != nil {
			return err
		}
		r.body, r.contentType = bytes.NewReader(module), "application/wasm"
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	raw, err := c.call(ctx, r)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(sys.Stdout, raw)
	}
	var sc scriptJSON
	if err := json.Unmarshal(raw, &sc); err != nil {
		return fmt.Errorf("the server's answer is not a script version: %w", err)
	}
	state := "staged (not active)"
	if sc.Active != nil && *sc.Active {
		state = "active"
	}
	fmt.Fprintf(sys.Stdout, "Uploaded version %d of %s: %d bytes, sha256 %s, exports %s; %s.\n",
		sc.Version, cell(*tenant), sc.Size, cell(sc.SHA256), cell(strings.Join(sc.Exports, ", ")), state)
	return nil
}

// readInput reads a file, or standard input for "-", up to limit bytes.
func readInput(sys IO, name string, limit int64) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = sys.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

func scriptList(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script list", "script list --tenant ID [flags]", `Lists the tenant's module versions.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	var out struct {
		ActiveVersion *int         `json:"active_version"`
		Versions      []scriptJSON `json:"versions"`
	}
	return cf.show(ctx, sys, "GET", tenantPath(*tenant, "script"), nil, &out, func() error {
		t := newTable(sys.Stdout, "VERSION", "ACTIVE", "SIZE", "SHA256", "EXPORTS", "UPLOADED")
		for _, v := range out.Versions {
			active := ""
			if out.ActiveVersion != nil && *out.ActiveVersion == v.Version {
				active = "*"
			}
			t.row(v.Version, active, v.Size, v.SHA256, strings.Join(v.Exports, ","), formatTime(v.UploadedAt))
		}
		return t.flush()
	})
}

func scriptActivate(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script activate", "script activate VERSION --tenant ID [flags]", `
Makes VERSION the tenant's active module; calls in flight finish on the old one.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	v, err := positiveInt("VERSION", pos[0])
	if err != nil {
		return err
	}
	var sc scriptJSON
	return cf.show(ctx, sys, "POST", tenantPath(*tenant, "script", "versions", strconv.Itoa(v), "activate"), nil, &sc, func() error {
		fmt.Fprintf(sys.Stdout, "Version %d of %s is active (sha256 %s).\n", sc.Version, cell(*tenant), cell(sc.SHA256))
		return nil
	})
}

func scriptDelete(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script delete", "script delete VERSION --tenant ID [flags]", `
Deletes an inactive module version, freeing its place in the tenant's quota
(20 versions and 256 MiB of modules unless the operator set others). The
active version cannot be deleted: activate another one first. Version numbers
are not given out again.`)
	tenant := tenantFlag(sys, fs)
	cf := bindClientFlags(sys, fs)
	pos, err := parseTenantArgs(sys, fs, args, 1, tenant)
	if err != nil {
		return err
	}
	v, err := positiveInt("VERSION", pos[0])
	if err != nil {
		return err
	}
	return cf.delete(ctx, sys, tenantPath(*tenant, "script", "versions", strconv.Itoa(v)), fmt.Sprintf("Deleted version %d of %s.\n", v, cell(*tenant)))
}

func scriptTest(ctx context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script test", "script test --tenant ID --op login|get_user --identifier X [--password-stdin | --password P] [flags]", `
Runs the tenant's module once, as a login or a get_user, and prints its answer,
its log, the time and the fuel it took. Nothing is migrated. The exit status is
1 when the call failed (trap, out of fuel, deadline, bad output, limit). The
server tests no other op: run list_users, count_users and verify_hash on this
machine with "script run".

Prefer --password-stdin: a --password on the command line is visible to other
users of the machine.`)
	tenant := tenantFlag(sys, fs)
	op := fs.String("op", "login", "operation: login or get_user")
	identifier := fs.String("identifier", "", "email or username to look up")
	pw := fs.String("password", "", "password for --op login (visible in the process list; prefer --password-stdin)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	versionFlag := fs.Int("version", 0, "module version to run (default: the newest uploaded)")
	cf := bindClientFlags(sys, fs)
	if _, err := parseTenantArgs(sys, fs, args, 0, tenant); err != nil {
		return err
	}
	if err := requireFlag(sys, fs, "identifier", *identifier); err != nil {
		return err
	}
	if *op != "login" && *op != "get_user" {
		fmt.Fprintf(sys.Stderr, "--op must be login or get_user\n\n")
		fs.Usage()
		return errUsage
	}
	password, err := readPassword(sys, *pw, *pwStdin)
	if err != nil {
		return err
	}
	c, err := cf.client(sys)
	if err != nil {
		return err
	}
	body := map[string]any{"op": *op, "identifier": *identifier}
	if *op == "login" {
		body["password"] = password
	}
	if *versionFlag > 0 {
		body["version"] = *versionFlag
	}
	var res scriptTestResult
	raw, err := c.callJSON(ctx, "POST", tenantPath(*tenant, "script", "test"), body, &res)
	if err != nil {
		return err
	}
	return printScriptTest(sys.Stdout, *op, res, raw, cf.json)
}

// scriptTestResult is the answer of a test call, which "script run" builds too.
type scriptTestResult struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
	Logs       []scriptLogLine `json:"logs"`
	DurationMS float64         `json:"duration_ms"`
	FuelUsed   int64           `json:"fuel_used"`
}

// scriptLogLine is a log line of a test call.
type scriptLogLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
}

// printScriptTest prints the result of a test call of op (raw, indented, when
// asJSON), and returns an error wrapping errCallFailed when the call failed.
func printScriptTest(w io.Writer, op string, res scriptTestResult, raw []byte, asJSON bool) error {
	if asJSON {
		if err := printJSON(w, raw); err != nil {
			return err
		}
	} else {
		if res.OK {
			fmt.Fprintf(w, "ok: %s\n", op)
			var pretty bytes.Buffer
			if json.Indent(&pretty, res.Result, "", "  ") == nil {
				fmt.Fprintf(w, "result:\n%s\n", sanitizeBlock(pretty.String()))
			}
		} else if res.Error != nil {
			fmt.Fprintf(w, "failed: %s: %s\n", cell(res.Error.Code), cell(res.Error.Message))
		}
		fmt.Fprintf(w, "duration: %.3f ms, fuel: %d\n", res.DurationMS, res.FuelUsed)
		if len(res.Logs) > 0 {
			fmt.Fprintln(w, "logs:")
			for _, l := range res.Logs {
				fmt.Fprintf(w, "  [%s] %s\n", cell(l.Level), cell(l.Message))
			}
		}
	}
	if !res.OK {
		code := "script_failed"
		if res.Error != nil {
			code = res.Error.Code
		}
		return fmt.Errorf("%w: %s", errCallFailed, code)
	}
	return nil
}

// readPassword returns the password of --password, or with --password-stdin
// the first line of standard input.
func readPassword(sys IO, pw string, fromStdin bool) (string, error) {
	if !fromStdin {
		return pw, nil
	}
	if pw != "" {
		return "", errors.New("--password and --password-stdin exclude each other")
	}
	line, err := readLine(sys.Stdin)
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return line, nil
}

// readLine reads one line without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(r, 4096).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// sanitizeBlock removes control characters but keeps line breaks.
func sanitizeBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, "\n")
}
