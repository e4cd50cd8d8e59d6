package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/runtime"
)

// initToolchain returns the make variables that build a language's project on this
// machine, or skips t (fails it on CI, whose .ci/run installs every tool chain) when a
// tool is missing.
func initToolchain(t *testing.T, lang string) []string {
	t.Helper()
	need := func(what, how string, ok bool) {
		t.Helper()
		if ok {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required on CI (%s)", what, how)
		}
		t.Skipf("%s not found: %s to build the %s project", what, how, lang)
	}
	onPath := func(name string) bool { _, err := exec.LookPath(name); return err == nil }
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	switch lang {
	case "go":
		need("go", "install Go", onPath("go"))
		return []string{"GO=go"}
	case "c":
		need("clang, wasm-ld and wasi-libc", "apt-get install clang lld wasi-libc", onPath("clang") && onPath("wasm-ld") && exists("/usr/lib/wasm32-wasi"))
		return nil
	case "rust":
		need("Debian's rustc with the WASI standard library", "apt-get install rustc libstd-rust-dev-wasm32",
			exists("/usr/bin/rustc") && exists("/usr/lib/rustlib/wasm32-wasi"))
		return nil
	case "assemblyscript":
		asc, err := filepath.Abs("../../examples-wasm/assemblyscript/node_modules/.bin/asc")
		if err != nil {
			t.Fatal(err)
		}
		// The examples' compiler, so the test needs no registry; it is the version the
		// project's package-lock.json pins.
		need("node and the examples' AssemblyScript compiler", "run npm ci in examples-wasm/assemblyscript", onPath("node") && exists(asc))
		return []string{"ASC=" + asc}
	case "wat":
		need("wat2wasm", "apt-get install wabt", onPath("wat2wasm"))
		return nil
	}
	t.Fatalf("no tool chain for %q", lang)
	return nil
}

// buildWasmauth builds the wasmauth command into dir and returns its path.
func buildWasmauth(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "wasmauth")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/wasmauth/wasmauth/cmd/wasmauth").CombinedOutput()
	if err != nil {
		t.Fatalf("building wasmauth: %v\n%s", err, out)
	}
	return bin
}

// TestScriptInitBuilds writes a project in every language, builds it with its own
// Makefile and real tool chain, checks the module is one the server accepts, and
// runs the project's own test (make test) with the wasmauth command.
func TestScriptInitBuilds(t *testing.T) {
	engine, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close(context.Background())
	binDir, bin := t.TempDir(), ""
	for _, lang := range examples.Languages() {
		t.Run(lang, func(t *testing.T) {
			vars := initToolchain(t, lang)
			if bin == "" {
				bin = buildWasmauth(t, binDir)
			}
			dir := filepath.Join(t.TempDir(), "my module")
			mustRun(t, nil, "", "script", "init", "--lang", lang, dir)

			env := append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
			mk := func(args ...string) string {
				t.Helper()
				cmd := exec.Command("make", append(args, vars...)...)
				cmd.Dir, cmd.Env = dir, env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("make %s in the %s project: %v\n%s", strings.Join(args, " "), lang, err, out)
				}
				return string(out)
			}
			mk()
			module, err := os.ReadFile(filepath.Join(dir, "legacy.wasm"))
			if err != nil {
				t.Fatal(err)
			}
			info, err := engine.Compile(context.Background(), module)
			if err != nil {
				t.Fatalf("the %s project's module would be refused at upload: %v", lang, err)
			}
			if !slices.Contains(info.Exports, "login") || !slices.Contains(info.Exports, "get_user") {
				t.Fatalf("the %s project's module exports %v", lang, info.Exports)
			}
			if out := mk("test", "WASMAUTH="+bin); !strings.Contains(out, "all passed") {
				t.Fatalf("make test in the %s project:\n%s", lang, out)
			}
			if _, err := exec.LookPath("sqlite3"); lang == "wat" && err == nil {
				// The seed target rebuilds the sample database the tests pass on.
				if err := os.Remove(filepath.Join(dir, "testdata", "legacy.db")); err != nil {
					t.Fatal(err)
				}
				mk("seed")
				if out := mk("test", "WASMAUTH="+bin); !strings.Contains(out, "all passed") {
					t.Fatalf("make test on the database of make seed:\n%s", out)
				}
			}
		})
	}
}

func TestScriptInitGoProjectStandsAlone(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, nil, "", "script", "init", "--lang", "go", "--module", "example.com/auth/legacy", dir)
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.HasPrefix(string(gomod), "module example.com/auth/legacy\n") || strings.Contains(string(gomod), "require") {
		t.Fatalf("go.mod: %q, %v", gomod, err)
	}
	main, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil || !strings.Contains(string(main), `"example.com/auth/legacy/wasmauth"`) || strings.Contains(string(main), "github.com/wasmauth") {
		t.Fatalf("main.go does not import the vendored helper: %v\n%s", err, main)
	}
	helpers, _ := filepath.Glob(filepath.Join(dir, "wasmauth", "*.go"))
	examplesHelpers, _ := filepath.Glob("../../examples-wasm/go/wasmauth/*.go")
	if len(helpers) == 0 || len(helpers) != len(examplesHelpers) {
		t.Fatalf("vendored helper files %v, the examples have %v", helpers, examplesHelpers)
	}
}

func TestScriptInitKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "", "script", "init", "--lang", "wat", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "README.md") || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("init over an existing README: %s", r)
	}
	if b, _ := os.ReadFile(readme); string(b) != "mine" {
		t.Fatalf("README.md was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "legacy.wat")); err == nil {
		t.Fatal("init wrote files although it refused")
	}
	mustRun(t, nil, "", "script", "init", "--lang", "wat", "--force", dir)
	if b, _ := os.ReadFile(readme); string(b) == "mine" {
		t.Fatal("--force kept README.md")
	}
}

func TestScriptInitUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, "Usage: wasmauth script init --lang"},
		{nil, 2, "--lang is required"},
		{[]string{"--lang", "cobol"}, 2, "--lang must be one of go, c, rust, assemblyscript, wat"},
		{[]string{"--lang", "go", "a", "b"}, 2, `unexpected argument "b"`},
		{[]string{"--lang", "go", "--module", "bad path", t.TempDir()}, 1, "--module"},
	} {
		r := runCLI(t, nil, "", append([]string{"script", "init"}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("script init %v: want exit %d and %q: %s", tt.args, tt.code, tt.want, r)
		}
	}
}
