// Package cluster tests three real wasmauth processes on one PostgreSQL
// database, as SCALE.md describes them: requests spread round-robin over
// the nodes, a node killed, the database cut off behind a TCP proxy. Its
// tests are in cluster_test.go; they build the binary once and skip in
// -short mode and under the race detector.
package cluster
