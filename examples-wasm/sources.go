package examples

import "embed"

// Sources holds the source of every legacy example and its helper library, under the
// paths they have in this folder (go/legacy/legacy.go, go/wasmauth/*.go, c/*, rust/*,
// assemblyscript/*, wat/legacy.wat), with the SQLite schema and seed of testdata.
// "wasmauth script init" writes new module projects from it, so the examples stay
// their single source.
//
//go:embed go/legacy/legacy.go go/wasmauth/*.go
//go:embed c/legacy.c c/wasmauth.h
//go:embed rust/legacy.rs rust/wasmauth.rs
//go:embed assemblyscript/legacy.ts assemblyscript/wasmauth.ts assemblyscript/package.json assemblyscript/package-lock.json
//go:embed wat/legacy.wat
//go:embed testdata/schema.sqlite.sql testdata/seed.sql
var Sources embed.FS
