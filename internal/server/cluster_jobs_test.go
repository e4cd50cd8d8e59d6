package server_test

import (
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
	"github.com/wasmauth/wasmauth/internal/testserver/modules"
)

// TestPostgresDrainOncePerCluster: two servers share a store; a drain
// started on one is not started again on the other, is stopped through the
// other, and resumed there runs to the end with every legacy user copied
// once (a page run twice would count users as already local).
func TestPostgresDrainOncePerCluster(t *testing.T) {
	dsn, _ := postgresStore(t)
	a := testserver.Start(t, server.Config{Store: dsn})
	b := testserver.Start(t, server.Config{Store: dsn})
	const tenant = "acme"
	a.CreateTenant(tenant)
	base := "/admin/v1/tenants/" + tenant
	l := a.LegacyDB(t, "postgres", tenant)
	addExtraUsers(t, l, 40)
	a.Must(a.Do("PUT", base+"/script", testserver.OperatorToken, modules.Drain), 201, "upload the drain module")
	a.Must(a.Do("PUT", base+"/connection", testserver.OperatorToken, map[string]any{
		"driver": l.Driver, "dsn": l.DSN, "config": l.Config,
	}), 200, "set connection")

	a.Must(a.Do("POST", drainPath(tenant), testserver.OperatorToken, map[string]any{"page_size": 5, "max_users_per_second": 10}), 202, "start the drain on a")
	for _, n := range []*testserver.Server{a, b} {
		r := n.Must(n.Do("POST", drainPath(tenant), testserver.OperatorToken, nil), 409, "a second drain")
		if r.ProblemCode() != "drain_running" {
			t.Fatalf("second drain: %s", r)
		}
	}
	waitDrain(t, b, tenant, 30*time.Second, func(d map[string]any) bool { return num(d, "pages") >= 2 })
	b.Must(b.Do("DELETE", drainPath(tenant), testserver.OperatorToken, nil), 204, "stop the drain on b")
	stopped := waitDrain(t, a, tenant, 30*time.Second, func(d map[string]any) bool { return d["state"] == "stopped" })
	time.Sleep(300 * time.Millisecond)
	again := a.Must(a.Do("GET", drainPath(tenant), testserver.OperatorToken, nil), 200, "drain status").JSON
	if again["state"] != "stopped" || num(again, "pages") != num(stopped, "pages") || num(stopped, "pages") >= 9 {
		t.Fatalf("a drain stopped on b went on on a: %v, then %v", stopped, again)
	}

	b.Must(b.Do("POST", drainPath(tenant), testserver.OperatorToken, map[string]any{"page_size": 5, "max_users_per_second": 0}), 202, "resume the drain on b")
	done := waitDrain(t, a, tenant, 60*time.Second, func(d map[string]any) bool { return d["state"] != "running" })
	// 48 legacy users: 8 seed users and 40 more; ghost has no password,
	// mallory's hash is unknown.
	wantCounts(t, "finished drain", done, map[string]int{
		"imported": 48, "already_local": 0, "conflicts": 0, "without_password": 1, "unsupported_hash": 1, "errors": 0,
	})
	if done["state"] != "done" {
		t.Fatalf("finished drain: %v", done)
	}
}
