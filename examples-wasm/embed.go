package examples

import (
	_ "embed"
	"fmt"
)

// The built modules. Each is rebuilt from source by make -C examples-wasm all; the
// exact build command is in the Makefile and in a comment at the top of each source.
var (
	// GoLegacy is go/legacy/legacy.wasm, the Go example (a reactor, exports _initialize).
	//go:embed go/legacy/legacy.wasm
	GoLegacy []byte

	// CLegacy is c/legacy.wasm, the C example (a reactor, exports _initialize).
	//go:embed c/legacy.wasm
	CLegacy []byte

	// RustLegacy is rust/legacy.wasm, the Rust example.
	//go:embed rust/legacy.wasm
	RustLegacy []byte

	// ASLegacy is assemblyscript/legacy.wasm, the AssemblyScript example (imports env.abort).
	//go:embed assemblyscript/legacy.wasm
	ASLegacy []byte

	// WATLegacy is wat/legacy.wasm, the example in WebAssembly text with no helper library.
	//go:embed wat/legacy.wasm
	WATLegacy []byte

	// WATTrivial is wat/trivial.wasm: login and get_user read the input and answer a
	// constant user without a database, to measure the host's call overhead.
	//go:embed wat/trivial.wasm
	WATTrivial []byte
)

// The legacy database the examples are written against.
var (
	// LegacyDB is testdata/legacy.db, an SQLite file with the users table and its seed.
	//go:embed testdata/legacy.db
	LegacyDB []byte

	// SeedSQL is testdata/seed.sql: INSERTs of the sample users, valid in every dialect.
	//go:embed testdata/seed.sql
	SeedSQL string

	//go:embed testdata/schema.postgres.sql
	schemaPostgres string
	//go:embed testdata/schema.mysql.sql
	schemaMySQL string
	//go:embed testdata/schema.sqlite.sql
	schemaSQLite string
)

// Languages returns the languages of the legacy examples, in a stable order; they are
// the keys of Legacy.
func Languages() []string {
	return []string{"go", "c", "rust", "assemblyscript", "wat"}
}

// Legacy returns the legacy examples keyed by language ("go", "c", "rust",
// "assemblyscript", "wat"). All of them behave the same way. The map is new on each call;
// the byte slices are shared and must not be modified.
func Legacy() map[string][]byte {
	return map[string][]byte{
		"go":             GoLegacy,
		"c":              CLegacy,
		"rust":           RustLegacy,
		"assemblyscript": ASLegacy,
		"wat":            WATLegacy,
	}
}

// Schema returns the CREATE TABLE statement of the users table for a dialect:
// "postgres", "mysql" (MySQL and MariaDB) or "sqlite".
func Schema(dialect string) (string, error) {
	switch dialect {
	case "postgres":
		return schemaPostgres, nil
	case "mysql":
		return schemaMySQL, nil
	case "sqlite":
		return schemaSQLite, nil
	}
	return "", fmt.Errorf("examples: no schema for dialect %q (want postgres, mysql or sqlite)", dialect)
}
