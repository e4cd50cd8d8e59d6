package bench

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/runtime"
)

// presetRow is the name of the presets' row.
const presetRow = "preset warm login"

// presetSchemas are the tables of each preset's default configuration, in SQLite, with
// one statement that inserts the user "leo" whose password hash is %s.
var presetSchemas = map[string][2]string{
	"django": {`CREATE TABLE auth_user (id INTEGER PRIMARY KEY, password TEXT NOT NULL, username TEXT NOT NULL UNIQUE,
		first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL, is_active BOOLEAN NOT NULL)`,
		`INSERT INTO auth_user VALUES (7, '%s', 'Leo', 'Leo', 'Fischer', 'leo@example.com', 1)`},
	"laravel": {`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
		email_verified_at TEXT, password TEXT NOT NULL)`,
		`INSERT INTO users VALUES (7, 'Leo Fischer', 'leo@example.com', '2024-01-01 00:00:00', '%s')`},
	"wordpress": {`CREATE TABLE wp_users (ID INTEGER PRIMARY KEY, user_login TEXT NOT NULL, user_pass TEXT NOT NULL,
		user_email TEXT NOT NULL, user_status INTEGER NOT NULL DEFAULT 0, display_name TEXT NOT NULL)`,
		`INSERT INTO wp_users VALUES (7, 'Leo', '%s', 'leo@example.com', 0, 'Leo F')`},
	"table": {`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, username TEXT UNIQUE,
		password_hash TEXT, email_verified INTEGER NOT NULL DEFAULT 0, name TEXT)`,
		`INSERT INTO users VALUES (7, 'leo@example.com', 'Leo', '%s', 1, 'Leo Fischer')`},
}

// measurePresets measures a warm login of each preset module on its default schema:
// one SQLite query and the module's JSON work, with a plain MD5 as the stored hash
// (the module checks it with one digest call) so that no legacy hash is measured.
func measurePresets(ctx context.Context, cacheDir, workDir string, calls int, perPreset time.Duration) (Row, error) {
	row := Row{
		Name:     presetRow,
		Measures: "a login on a pooled instance of each preset module (examples-wasm/presets), through Engine.Call, on the preset's default schema in SQLite; the stored hash is a plain MD5, so the legacy hash's cost is left out; and each module's size",
		Target:   "reported",
		Verdict:  Reported,
		Bound:    "The SQLite query through database/sql, then the guest's JSON work; the module is one C source (wasi-libc) built per preset.",
	}
	e, err := runtime.New(ctx, engineConfig(cacheDir))
	if err != nil {
		return row, err
	}
	defer e.Close(context.WithoutCancel(ctx))
	const pw = "leo-password"
	sum := md5.Sum([]byte(pw))
	var parts []string
	for _, name := range examples.PresetNames() {
		wasm, _ := examples.Preset(name)
		tenant := "bench-preset-" + name
		db, err := presetDB(ctx, filepath.Join(workDir, "legacy"), tenant, name, hex.EncodeToString(sum[:]))
		if err != nil {
			return row, fmt.Errorf("%s: %w", name, err)
		}
		info, err := e.Compile(ctx, wasm)
		if err != nil {
			db.Close()
			return row, fmt.Errorf("%s preset: %w", name, err)
		}
		input, _ := json.Marshal(map[string]any{"identifier": "LEO@example.com", "password": pw, "tenant": tenant, "config": map[string]any{}, "driver": "sqlite"})
		req := runtime.CallRequest{Tenant: tenant, Version: 1, SHA256: info.SHA256, Op: runtime.OpLogin, Input: input, DB: db}
		var warm []time.Duration
		deadline := time.Now().Add(perPreset)
		for i := 0; i < max(calls, 2) && (i < 2 || time.Now().Before(deadline)); i++ {
			t0 := time.Now()
			res, err := e.Call(ctx, req)
			d := time.Since(t0)
			if err == nil && (res.Answer == nil || res.Answer.User == nil) {
				err = fmt.Errorf("login of leo answered %s", res.Output)
			}
			if err != nil {
				db.Close()
				return row, fmt.Errorf("%s preset: %w", name, err)
			}
			if i > 0 { // the first call makes the instance
				warm = append(warm, d)
			}
		}
		e.Forget(tenant)
		db.Close()
		parts = append(parts, fmt.Sprintf("%s %s (%s)", name, fmtDur(Median(warm)), fmtBytes(int64(len(wasm)))))
	}
	row.Result = strings.Join(parts, ", ")
	return row, nil
}

// presetDB writes the preset's schema with one user to sqliteRoot/tenant/legacy.db and
// opens it as the tenant's connection.
func presetDB(ctx context.Context, sqliteRoot, tenant, preset, hash string) (*legacydb.DB, error) {
	dir := filepath.Join(sqliteRoot, tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "legacy.db")
	_ = os.Remove(file)
	w, err := sql.Open("sqlite", file)
	if err != nil {
		return nil, err
	}
	s := presetSchemas[preset]
	for _, stmt := range []string{s[0], fmt.Sprintf(s[1], hash)} {
		if _, err := w.ExecContext(ctx, stmt); err != nil {
			w.Close()
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return legacydb.Open(ctx, legacydb.Config{Driver: "sqlite", DSN: "legacy.db", SQLiteRoot: sqliteRoot, Tenant: tenant})
}
