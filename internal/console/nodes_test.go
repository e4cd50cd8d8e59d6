package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestSessionOnAnyNode: with two servers sharing a PostgreSQL store, a
// console session signed in on one works on the other, its CSRF token
// too, and signing out on the other ends it on both.
func TestSessionOnAnyNode(t *testing.T) {
	dsn := testserver.ScratchPostgres(t, "wasmauth_consoletest")
	a := testserver.Start(t, server.Config{Store: dsn})
	b := testserver.Start(t, server.Config{Store: dsn})
	key := a.CreateTenant("acme")

	// One cookie jar: cookies do not depend on the port.
	br := newBrowser(t, a.Base)
	p := br.signIn(key).must(t, 200, "tenant page on a")
	csrf := p.csrf(t)
	br.base = b.Base
	if p := br.get("/console/tenants/acme").must(t, 200, "tenant page on b"); !strings.Contains(p.body, "Migration · acme") {
		t.Fatalf("tenant page on b:\n%s", p.body)
	}
	// A change on b with the token of a's page.
	br.post("/console/tenants/acme/migration", url.Values{"csrf": {csrf}, "enabled": {"false"}}).must(t, 303, "a change on b")

	br.post("/console/signout", url.Values{"csrf": {csrf}}).must(t, 303, "sign out on b")
	br.base = a.Base
	if p := br.get("/console/tenants/acme"); p.status != 303 {
		t.Fatalf("tenant page on a after signing out on b: %d", p.status)
	}
}
