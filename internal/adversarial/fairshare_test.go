package adversarial_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	examples "github.com/wasmauth/wasmauth/examples-wasm"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// sleeperLimits are the limits of the sleeping tenants: their calls may
// last 20 s and grow their memory to 256 MiB.
var sleeperLimits = map[string]any{"timeout_ms": 20000, "memory_mb": 256}

// TestSleepingTenantsDoNotStarveOthers: two, then three, tenants whose
// modules grow their memory to 237 MiB and sleep 15 s in WASI poll_oneoff,
// two logins each at once, do not keep a third tenant's legacy logins from
// running: each is answered 200 (no 503 "no execution slot"), and the
// victim's circuit breaker stays closed.
func TestSleepingTenantsDoNotStarveOthers(t *testing.T) {
	for _, sleepers := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d sleepers", sleepers), func(t *testing.T) {
			ts := startServer(t, server.Config{LoginFailures: 1_000_000})
			sleep := readWasm(t, "sleep_in_host")
			for i := range sleepers {
				id := fmt.Sprintf("sleeper%d", i)
				ts.CreateTenant(id)
				ts.connectSQLite(id, sleeperLimits)
				ts.Must(ts.upload(id, sleep), 201, "upload at "+id)
				ts.migrate(id)
			}
			ts.CreateTenant("victim")
			file := ts.connectSQLite("victim", nil)
			ts.Must(ts.upload("victim", examples.WATLegacy), 201, "upload at victim")
			ts.migrate("victim")
			const logins = 8
			addLegacyUsers(t, file, logins+1)
			pw := testserver.SeedPassword("alice")
			ts.Must(ts.Login("victim", fmt.Sprintf("user%d@example.com", logins), pw), 200, "warm-up login at victim")

			var wg sync.WaitGroup
			var asleep atomic.Int64
			for i := range sleepers {
				for j := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						asleep.Add(1)
						body := fmt.Sprintf(`{"identifier":"sleep%d@example.com","password":"sleep-sleep-sleep"}`, j)
						r, err := testserver.Send(ts.HTTP, "POST", ts.Base+fmt.Sprintf("/t/sleeper%d/login", i), "", body)
						if err != nil || r.Status != 401 {
							t.Errorf("sleeper%d's login: %v %v", i, r, err)
						}
					}()
				}
			}
			// Let the sleepers reach poll_oneoff.
			time.Sleep(2 * time.Second)
			start := time.Now()
			for i := range logins {
				r := ts.Login("victim", fmt.Sprintf("user%d@example.com", i), pw)
				if r.Status != 200 || r.Obj("user")["source"] != "legacy" {
					t.Errorf("victim's legacy login %d, %v into the sleep: %d %s", i, time.Since(start).Round(time.Millisecond), r.Status, r.Body)
				}
			}
			victimTook := time.Since(start)
			if victimTook > 12*time.Second {
				t.Errorf("the victim's logins were still running when the sleepers woke (%v): the test proves nothing", victimTook)
			}
			for _, l := range ts.logs("victim") {
				if strings.Contains(l.Message, "held back") || strings.Contains(l.Message, "failed") {
					t.Errorf("victim's log: %s %s %s", l.Level, l.Op, l.Message)
				}
			}
			wg.Wait()
			t.Logf("%d sleeping calls; the victim's %d legacy logins took %v", asleep.Load(), logins, victimTook.Round(time.Millisecond))
		})
	}
}

// TestHugeLegacyHashIsRefusedUpFront: six test calls at once whose module
// asks verify_password for an argon2id hash with m = 1 GiB and t = 10 are
// refused before any hashing (the module sees -2 and answers), another
// tenant's local logins meanwhile succeed, and the process does not grow
// by anything near the hashes' memory.
func TestHugeLegacyHashIsRefusedUpFront(t *testing.T) {
	ts := startServer(t, server.Config{LoginFailures: 1_000_000})
	ts.legacyTenant("hasher", readWasm(t, "argon2_1gib"))
	ts.CreateTenant("victim")
	const pw = "victim-local-password-7"
	ts.Must(ts.Register("victim", "local@victim.example", pw), 201, "register at victim")
	ts.Must(ts.Login("victim", "local@victim.example", pw), 200, "warm-up login at victim")

	before := rss(t)
	peak := sampleRSS(t)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := testserver.Send(ts.HTTP, "POST", ts.Base+"/admin/v1/tenants/hasher/script/test", testserver.OperatorToken,
				map[string]any{"op": "login", "identifier": "alice@example.com", "password": "correct horse battery staple"})
			switch {
			case err != nil:
				t.Errorf("test call %d: %v", i, err)
			case r.Status != 200 || !bytes.Contains(r.Body, []byte("too large (-2)")) || !bytes.Contains(r.Body, []byte(`"user":null`)):
				t.Errorf("test call %d: %d %s", i, r.Status, r.Body)
			}
		}()
	}
	for i := range 10 {
		r := ts.Login("victim", "local@victim.example", pw)
		if r.Status != 200 {
			t.Errorf("victim's local login %d: %d %s", i, r.Status, r.Body)
		}
	}
	wg.Wait()
	grew := peak() - before
	t.Logf("RSS %d MiB before, grew by %d MiB at most", before>>20, grew>>20)
	if grew > 512<<20 {
		t.Errorf("the process grew by %d MiB", grew>>20)
	}
}

// rss returns the process's resident set size.
func rss(t testing.TB) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmRSS in /proc/self/status")
	return 0
}

// sampleRSS samples the RSS every 20 ms until the returned function is
// called, which returns the highest sample.
func sampleRSS(t testing.TB) (stop func() int64) {
	done := make(chan struct{})
	result := make(chan int64, 1)
	go func() {
		peak := int64(0)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, rss(t))
			select {
			case <-done:
				result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		return <-result
	}
}
