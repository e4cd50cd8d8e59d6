package examples_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	_ "modernc.org/sqlite"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/host/legacyhash"
)

// abiImports are the wasmauth host functions of the ABI with their signatures.
var abiImports = map[string]string{
	"input_len":       "->i32",
	"input_read":      "i32,i32->i32",
	"output_set":      "i32,i32->i32",
	"log":             "i32,i32,i32->",
	"db_query":        "i32,i32->i32",
	"result_read":     "i32,i32->i32",
	"verify_password": "i32,i32,i32,i32->i32",
	"digest":          "i32,i32,i32,i32->i32",
}

func signature(params, results []api.ValueType) string {
	var p, r []string
	for _, t := range params {
		p = append(p, api.ValueTypeName(t))
	}
	for _, t := range results {
		r = append(r, api.ValueTypeName(t))
	}
	return strings.Join(p, ",") + "->" + strings.Join(r, ",")
}

// TestModuleInterfaces checks, independently of the runtime, that each built module
// exports memory, login and get_user as () -> i32 (the legacy examples also list_users
// and verify_hash, ABI v1.1; at most _initialize besides),
// and imports only what the ABI allows, with its signatures.
func TestModuleInterfaces(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
	t.Cleanup(func() { r.Close(ctx) })
	modules := examples.Legacy()
	modules["wat-trivial"] = examples.WATTrivial
	for name, wasm := range modules {
		t.Run(name, func(t *testing.T) {
			if len(wasm) == 0 || len(wasm) > 16<<20 {
				t.Fatalf("size %d bytes, want 1 byte to 16 MiB", len(wasm))
			}
			cm, err := r.CompileModule(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			defer cm.Close(ctx)
			if _, ok := cm.ExportedMemories()["memory"]; !ok {
				t.Error("no exported memory named memory")
			}
			exports := cm.ExportedFunctions()
			want := []string{"login", "get_user"}
			if name != "wat-trivial" {
				// ABI v1.1's optional exports: every legacy example has them.
				want = append(want, "list_users", "verify_hash")
			}
			for _, name := range want {
				f, ok := exports[name]
				if !ok {
					t.Errorf("no export %s", name)
					continue
				}
				if got := signature(f.ParamTypes(), f.ResultTypes()); got != "->i32" {
					t.Errorf("%s has signature %s, want ->i32", name, got)
				}
			}
			for name, f := range exports {
				switch name {
				case "login", "get_user", "list_users", "verify_hash":
				case "_initialize":
					if got := signature(f.ParamTypes(), f.ResultTypes()); got != "->" {
						t.Errorf("_initialize has signature %s, want ->", got)
					}
				default:
					t.Errorf("unexpected function export %s", name)
				}
			}
			for _, f := range cm.ImportedFunctions() {
				module, fn, _ := f.Import()
				sig := signature(f.ParamTypes(), f.ResultTypes())
				switch {
				case module == "wasmauth":
					if want, ok := abiImports[fn]; !ok || sig != want {
						t.Errorf("import wasmauth.%s %s is not in the ABI (want %q)", fn, sig, want)
					}
				case module == "wasi_snapshot_preview1":
				case module == "env" && fn == "abort" && name == "assemblyscript":
					if sig != "i32,i32,i32,i32->" {
						t.Errorf("env.abort has signature %s", sig)
					}
				default:
					t.Errorf("import %s.%s is not allowed", module, fn)
				}
			}
		})
	}
}

// TestSeedPasswords checks the plaintext passwords of SeedUsers (and README.md) against
// the hashes of testdata/seed.sql, with the host's verifier and, for salted SHA-256,
// sha256(salt + password).
func TestSeedPasswords(t *testing.T) {
	hashes := seedHashes(t)
	for _, u := range examples.SeedUsers() {
		t.Run(u.Username, func(t *testing.T) {
			hash, ok := hashes[u.ID]
			if !ok {
				t.Fatalf("user %s is not in legacy.db", u.ID)
			}
			switch {
			case u.Password == "":
				if hash.Valid {
					t.Fatalf("a hash %q for a user listed without a password", hash.String)
				}
			case strings.HasPrefix(u.HashKind, "unknown"):
				if _, err := legacyhash.Verify([]byte(hash.String), []byte(u.Password)); err == nil {
					t.Fatalf("the host knows the format of %q; the seed wants one it does not", hash.String)
				}
			case strings.HasPrefix(hash.String, "sha256$"):
				parts := strings.SplitN(hash.String, "$", 3)
				sum := sha256.Sum256([]byte(parts[1] + u.Password))
				if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(parts[2])) != 1 {
					t.Fatal("password does not match")
				}
			default:
				for _, pw := range []string{u.Password, u.Password + "x"} {
					ok, err := legacyhash.Verify([]byte(hash.String), []byte(pw))
					if err != nil {
						t.Fatal(err)
					}
					if ok != (pw == u.Password) {
						t.Fatalf("Verify(%q) = %v", pw, ok)
					}
				}
			}
		})
	}
}

// seedHashes reads the password hashes of the committed legacy.db by user id.
func seedHashes(t *testing.T) map[string]sql.NullString {
	t.Helper()
	path := filepath.Join(t.TempDir(), "legacy.db")
	if err := os.WriteFile(path, examples.LegacyDB, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT CAST(id AS TEXT), password_hash FROM users")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]sql.NullString{}
	for rows.Next() {
		var id string
		var hash sql.NullString
		if err := rows.Scan(&id, &hash); err != nil {
			t.Fatal(err)
		}
		out[id] = hash
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(examples.SeedUsers()) {
		t.Fatalf("legacy.db has %d users, SeedUsers %d", len(out), len(examples.SeedUsers()))
	}
	return out
}

// TestSchema checks that every dialect has a schema and an unknown one is an error.
func TestSchema(t *testing.T) {
	for _, d := range []string{"postgres", "mysql", "sqlite"} {
		s, err := examples.Schema(d)
		if err != nil || !strings.Contains(s, "CREATE TABLE users") {
			t.Errorf("Schema(%q) = %q, %v", d, s, err)
		}
	}
	if _, err := examples.Schema("oracle"); err == nil {
		t.Error("Schema(oracle) succeeded")
	}
}
