// Command gen builds the examples' SQLite legacy database (testdata/legacy.db) from SQL
// files, so the demo and the tests need no sqlite3 tool:
//
//	go run ./testdata/gen -o testdata/legacy.db testdata/schema.sqlite.sql testdata/seed.sql
//
// It replaces the output file, and runs each file as one script in one transaction.
package main

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	_ "modernc.org/sqlite"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run parses args and writes the database.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "legacy.db", "the SQLite file to (re)create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: gen -o FILE SCRIPT.sql...")
	}
	if err := os.Remove(*out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	db, err := sql.Open("sqlite", *out)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, path := range fs.Args() {
		script, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(string(script)); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := db.Exec("VACUUM"); err != nil {
		return err
	}
	return db.Close()
}
