package adversarial_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/server"
)

// TestSpinningModuleIsHeldBack: after five calls in a row that run out of
// fuel, a module's logins fail at once (still 503, nothing stored) instead
// of spending a fuel budget of CPU each, the tenant log says so, and a test
// call still runs the module.
func TestSpinningModuleIsHeldBack(t *testing.T) {
	ts := startServer(t, server.Config{})
	ts.legacyTenant("spinner", readWasm(t, "infinite_loop"))
	for i := range 5 {
		r := ts.Login("spinner", "alice@example.com", "wonderland-42")
		if r.Status != 503 || r.ProblemCode() != "legacy_unavailable" {
			t.Fatalf("login %d: %d %s", i, r.Status, r.Body)
		}
	}
	start := time.Now()
	r := ts.Login("spinner", "alice@example.com", "wonderland-42")
	held := time.Since(start)
	if r.Status != 503 || r.ProblemCode() != "legacy_unavailable" {
		t.Fatalf("held-back login: %d %s", r.Status, r.Body)
	}
	var said bool
	for _, l := range ts.logs("spinner") {
		said = said || strings.Contains(l.Message, "held back")
	}
	if !said {
		t.Fatalf("the tenant log does not say the module's calls are held back: %v", ts.logs("spinner"))
	}
	test := ts.scriptTest("spinner", "login", "alice@example.com", "wonderland-42")
	if !strings.Contains(string(test.Body), `"out_of_fuel"`) {
		t.Fatalf("a test call did not run the module: %s", test.Body)
	}
	t.Logf("a held-back login answered in %v", held)
}
