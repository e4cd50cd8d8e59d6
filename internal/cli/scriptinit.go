package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
)

// initLang is how "script init" lays out a module project in one language:
// the example's source and helper library, and the command that builds them
// (the one examples-wasm/Makefile runs).
type initLang struct {
	name  string            // for the README
	files map[string]string // project path -> path in examples.Sources; "dir/" is all of a folder
	vars  string            // the Makefile's tool variables
	deps  string            // the prerequisites of legacy.wasm
	build string            // the recipe of legacy.wasm, run in the project's folder
	tools string            // the README's list of tools, Markdown
}

// goHelperImport is the import path of the Go helper library in the
// examples; a project gets it as its own package.
const goHelperImport = "github.com/wasmauth/wasmauth/examples-wasm/go/wasmauth"

// initLangs returns the project layout of each language of examples.Languages.
func initLangs() map[string]initLang {
	return map[string]initLang{
		"go": {
			name: "Go",
			files: map[string]string{
				"main.go":   "go/legacy/legacy.go",
				"wasmauth/": "go/wasmauth/",
			},
			vars:  "GO ?= go",
			deps:  "go.mod main.go $(wildcard wasmauth/*.go)",
			build: "GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o legacy.wasm .",
			tools: "Go 1.24 or later (`//go:wasmexport`)",
		},
		"c": {
			name:  "C",
			files: map[string]string{"legacy.c": "c/legacy.c", "wasmauth.h": "c/wasmauth.h"},
			vars:  "CLANG ?= clang",
			deps:  "legacy.c wasmauth.h",
			build: "$(CLANG) --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -nodefaultlibs -lc -Wl,--strip-all -o legacy.wasm legacy.c",
			tools: "clang, lld and wasi-libc (Debian: `apt-get install clang lld wasi-libc`)",
		},
		"rust": {
			name:  "Rust",
			files: map[string]string{"legacy.rs": "rust/legacy.rs", "wasmauth.rs": "rust/wasmauth.rs"},
			vars:  "RUSTC ?= /usr/bin/rustc\n# wasm32-wasi for Debian's rustc; a rustup toolchain calls it wasm32-wasip1.\nRUST_TARGET ?= wasm32-wasi",
			deps:  "legacy.rs wasmauth.rs",
			build: "$(RUSTC) --edition=2021 --crate-type=cdylib --target=$(RUST_TARGET) -C opt-level=s -C strip=symbols -C panic=abort -o legacy.wasm legacy.rs",
			tools: "rustc with the WASI standard library (Debian: `apt-get install rustc libstd-rust-dev-wasm32`; " +
				"with rustup: `rustup target add wasm32-wasip1` and `make RUSTC=rustc RUST_TARGET=wasm32-wasip1`)",
		},
		"assemblyscript": {
			name: "AssemblyScript",
			files: map[string]string{
				"legacy.ts": "assemblyscript/legacy.ts", "wasmauth.ts": "assemblyscript/wasmauth.ts",
				"package.json": "assemblyscript/package.json", "package-lock.json": "assemblyscript/package-lock.json",
			},
			vars: "NPM ?= npm\nASC ?= ./node_modules/.bin/asc",
			deps: "legacy.ts wasmauth.ts $(ASC)",
			build: "$(ASC) legacy.ts --outFile legacy.wasm --optimize --runtime incremental\n\n" +
				"./node_modules/.bin/asc: package.json package-lock.json\n" +
				"\t$(NPM) ci --no-audit --no-fund\n" +
				"\t@touch $@",
			tools: "node and npm (`make` runs `npm ci`, which installs the AssemblyScript compiler version pinned in package-lock.json)",
		},
		"wat": {
			name:  "WebAssembly text (WAT)",
			files: map[string]string{"legacy.wat": "wat/legacy.wat"},
			vars:  "WAT2WASM ?= wat2wasm",
			deps:  "legacy.wat",
			build: "$(WAT2WASM) legacy.wat -o legacy.wasm",
			tools: "wabt's wat2wasm (Debian: `apt-get install wabt`); there is no helper library",
		},
	}
}

func scriptInit(_ context.Context, sys IO, args []string) error {
	fs := newFlags(sys, "script init", "script init --lang go|c|rust|assemblyscript|wat [--module PATH] [--force] [DIR]", `
Writes a new module project into DIR (default: the current folder): the
example module in that language (login and get_user on a users table whose
name is input.config.table, default "users"), its helper library, a Makefile
that builds legacy.wasm, a README, and a test (make test) that runs the module
with "wasmauth script run" on a sample SQLite database (testdata/).

Build with make, try with make test or "wasmauth script run", upload with
"wasmauth script push legacy.wasm". Existing files are kept unless --force.`)
	lang := fs.String("lang", "", "language: "+strings.Join(examples.Languages(), ", "))
	module := fs.String("module", "legacy", "Go module path of the project (--lang go)")
	force := fs.Bool("force", false, "overwrite files that exist")
	pos, err := parseArgs(sys, fs, args, -1)
	if err != nil {
		return err
	}
	if err := requireFlag(sys, fs, "lang", *lang); err != nil {
		return err
	}
	l, ok := initLangs()[*lang]
	if !ok {
		return usageError(sys, fs, fmt.Sprintf("--lang must be one of %s", strings.Join(examples.Languages(), ", ")))
	}
	dir := "."
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		return usageError(sys, fs, fmt.Sprintf("unexpected argument %q", pos[1]))
	}
	files, err := l.project(*lang, *module)
	if err != nil {
		return err
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	if !*force {
		var exist []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
				exist = append(exist, n)
			}
		}
		if len(exist) > 0 {
			return fmt.Errorf("%s already has %s (--force overwrites)", dir, strings.Join(exist, ", "))
		}
	}
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(n, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, files[n], mode); err != nil {
			return err
		}
	}
	next := "make && make test"
	if dir != "." {
		next = "cd " + dir + " && " + next
	}
	fmt.Fprintf(sys.Stdout, "Wrote a %s module project to %s (%d files).\nNext: %s\n", l.name, dir, len(names), next)
	return nil
}

// buildComment matches where the examples' sources say which folder to build them in.
var buildComment = regexp.MustCompile(`from examples-wasm/[a-z]+(/legacy)?`)

// project returns the files of a new project, by slash-separated path.
func (l initLang) project(lang, module string) (map[string][]byte, error) {
	files := map[string]string{}
	for dst, src := range l.files {
		if !strings.HasSuffix(src, "/") {
			files[dst] = src
			continue
		}
		entries, err := fs.ReadDir(examples.Sources, strings.TrimSuffix(src, "/"))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			files[dst+e.Name()] = src + e.Name()
		}
	}
	out := map[string][]byte{}
	for dst, src := range files {
		b, err := fs.ReadFile(examples.Sources, src)
		if err != nil {
			return nil, err
		}
		b = buildComment.ReplaceAll(b, []byte("from this folder"))
		if lang == "go" && path.Ext(dst) == ".go" {
			b = []byte(strings.ReplaceAll(string(b), `"`+goHelperImport+`"`, `"`+module+`/wasmauth"`))
		}
		out[dst] = b
	}
	if lang == "go" {
		if module == "" || strings.ContainsAny(module, " \t\r\n\"`") {
			return nil, errors.New("--module: not a Go module path")
		}
		out["go.mod"] = []byte("module " + module + "\n\ngo 1.24\n")
	}
	for _, n := range []string{"schema.sqlite.sql", "seed.sql"} {
		b, err := fs.ReadFile(examples.Sources, "testdata/"+n)
		if err != nil {
			return nil, err
		}
		out["testdata/"+n] = b
	}
	out["testdata/legacy.db"] = examples.LegacyDB
	out["Makefile"] = []byte(fmt.Sprintf(initMakefile, l.vars, l.deps, l.build))
	out["test.sh"] = []byte(initTest)
	out[".gitignore"] = []byte("/legacy.wasm\n/node_modules/\n")
	out["README.md"] = []byte(l.readme())
	return out, nil
}

// initMakefile is a project's Makefile; the blanks are initLang's vars, deps and build.
const initMakefile = `# Builds legacy.wasm, a wasmauth tenant module, and tests it.
#
#   make          build legacy.wasm
#   make test     build, then run it with "wasmauth script run" on testdata/legacy.db
#   make seed     recreate testdata/legacy.db from the SQL files in testdata (needs sqlite3)

WASMAUTH ?= wasmauth
SQLITE3  ?= sqlite3
%s

.PHONY: all test seed
.DELETE_ON_ERROR:

all: legacy.wasm

legacy.wasm: %s
	%s

test: legacy.wasm
	WASMAUTH="$(WASMAUTH)" ./test.sh

seed:
	rm -f testdata/legacy.db
	cat testdata/schema.sqlite.sql testdata/seed.sql | $(SQLITE3) testdata/legacy.db
`

// initTest is a project's test script.
const initTest = `#!/bin/sh
# Runs legacy.wasm with "wasmauth script run" on the sample users of testdata/legacy.db
# (their passwords are in README.md) and checks the answers. Set WASMAUTH to the
# wasmauth binary when it is not on the PATH.
set -u
cd "$(dirname "$0")"
WASMAUTH=${WASMAUTH:-wasmauth}
failed=0

# check NAME PATTERN ARGS...: runs the module with ARGS and expects PATTERN in what it prints.
check() {
	name=$1 pattern=$2
	shift 2
	if out=$("$WASMAUTH" script run legacy.wasm --sqlite testdata/legacy.db --config table=users "$@" 2>&1) &&
		printf '%s\n' "$out" | grep -qF -- "$pattern"; then
		echo "ok   $name"
	else
		echo "FAIL $name"
		printf '%s\n' "$out" | sed 's/^/     /'
		failed=$((failed + 1))
	fi
}

check "alice logs in (bcrypt)" '"username": "alice"' --op login --identifier alice --password wonderland-42
check "bob logs in by email (argon2id)" '"username": "bob"' --op login --identifier BOB@example.com --password can-we-fix-it
check "wrong password" '"reason": "wrong_password"' --op login --identifier alice --password wrong-password
check "unknown user" '"reason": "not_found"' --op login --identifier nobody@example.com --password whatever
check "get_user" '"email": "carol@example.com"' --op get_user --identifier carol

if [ "$failed" -ne 0 ]; then
	echo "$failed failed"
	exit 1
fi
echo "all passed"
`

// readme returns a project's README.
func (l initLang) readme() string {
	var users strings.Builder
	for _, u := range examples.SeedUsers() {
		pw := "(none)"
		if u.Password != "" {
			pw = "`" + strings.ReplaceAll(u.Password, "|", `\|`) + "`"
		}
		fmt.Fprintf(&users, "| %s | %s | %s |\n", u.Username, pw, u.HashKind)
	}
	files := slices.Sorted(func(yield func(string) bool) {
		for n := range l.files {
			if !yield(n) {
				return
			}
		}
	})
	return fmt.Sprintf(initReadme, l.name, "`"+strings.Join(files, "`, `")+"`", l.tools, users.String())
}

// initReadme is a project's README; the blanks are the language, its files,
// its tools and the sample users.
const initReadme = "# A wasmauth tenant module in %[1]s\n" + `
Written by ` + "`wasmauth script init`" + ` from the wasmauth examples. The module answers
wasmauth's ` + "`login`" + ` and ` + "`get_user`" + ` calls from a legacy users table: it finds the user by
email or username (case-insensitively), checks the password against the stored hash and
returns the user. The guide to the ABI, the hash formats the host verifies and the
answers a module may give is examples-wasm/README.md in the wasmauth repository.

- %[2]s: the module and its helper library
- ` + "`Makefile`" + `: ` + "`make`" + ` builds ` + "`legacy.wasm`" + `, ` + "`make test`" + ` runs ` + "`test.sh`" + `
- ` + "`testdata/`" + `: a sample SQLite database (` + "`legacy.db`" + `) and the SQL it is made of
  (` + "`make seed`" + ` rebuilds it after you change them; it needs sqlite3)

## Build

Tools: %[3]s.

    make

## Try it

` + "`wasmauth script run`" + ` runs the module on this machine, in the server's sandbox and
limits, and prints its answer, its log, the time and the fuel:

    make test
    wasmauth script run legacy.wasm --sqlite testdata/legacy.db --op login --identifier alice --password-stdin

Against your own database (a read-only role is enough; loopback is allowed):

    wasmauth script run legacy.wasm --driver postgres --dsn 'postgres://reader@127.0.0.1:5432/app' \
        --config table=users --config dialect=postgres --op get_user --identifier alice@example.com

The table's name comes from ` + "`input.config.table`" + ` (default ` + "`users`" + `), the SQL placeholders from
` + "`input.config.dialect`" + ` (` + "`postgres`" + ` for ` + "`$1`" + `, otherwise ` + "`?`" + `); edit the source for other
column names.

The sample users (test data only):

| user | password | stored as |
| --- | --- | --- |
%[4]s
## Upload

    wasmauth script push legacy.wasm --tenant YOUR_TENANT
    wasmauth connection set --tenant YOUR_TENANT --driver postgres --dsn '...' \
        --config table=users --config dialect=postgres
    wasmauth script test --tenant YOUR_TENANT --op get_user --identifier alice@example.com
`
