package shared_test

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/ratelimit"
	"github.com/wasmauth/wasmauth/internal/ratelimit/shared"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
	"github.com/wasmauth/wasmauth/internal/testdb"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// redisURL is the Redis the tests use.
func redisURL() string {
	if u := os.Getenv("WASMAUTH_TEST_REDIS"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var rules = map[string]ratelimit.Rule{
	"id":  {Limit: 5, Window: time.Minute},
	"reg": {Limit: 3, Window: time.Hour},
}

// backends opens one backend per node: nodes share the store as servers
// would, each with its own connections.
func backends(t *testing.T) map[string]func() shared.Backend {
	return map[string]func() shared.Backend{
		"postgres": func() shared.Backend {
			dsn := testdb.ScratchPostgres(t, "wasmauth_ratelimit", func(err error) {
				testserver.NeedDatabase(t, "PostgreSQL", "start PostgreSQL on 127.0.0.1:5432", err)
			})
			st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st.RateLimits()
		},
		"redis": func() shared.Backend {
			r, err := shared.OpenRedis(t.Context(), redisURL(), nil)
			if err != nil {
				testserver.NeedDatabase(t, "Redis", "start Redis on 127.0.0.1:6379 or set WASMAUTH_TEST_REDIS", err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		},
	}
}

// unique returns a key part no other run uses (Redis is shared).
func unique() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// TestSpreadFailures: failures spread over three nodes block a key after
// the same burst as at one node, on every node; a registration budget is
// one budget over all nodes.
func TestSpreadFailures(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			b := open()
			var nodes []*shared.Limiter
			for range 3 {
				l := shared.New(ratelimit.New(rules, 1000), b, nil)
				t.Cleanup(l.Close)
				nodes = append(nodes, l)
			}
			key := "id:acme:" + unique()
			now := time.Now()
			for i := range 4 {
				nodes[i%3].Fail(now, key)
				if _, ok := nodes[(i+1)%3].Allow(now, key); !ok {
					t.Fatalf("blocked after %d failures, want 5", i+1)
				}
			}
			nodes[1].Fail(now, key) // the fifth, on node 1
			for i, n := range nodes {
				// The other nodes hear of the block by a notification.
				deadline := time.Now().Add(5 * time.Second)
				for {
					wait, ok := n.Allow(now, key)
					if !ok {
						if wait <= 0 || wait > 12*time.Second {
							t.Fatalf("node %d: blocked for %v, want up to one interval (12s)", i, wait)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("node %d does not block the key 5 s after the fifth failure", i)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			// Registrations: 3 per hour over all nodes.
			reg := "reg:" + unique()
			granted := 0
			for i := range 9 {
				if _, ok := nodes[i%3].Take(now, reg); ok {
					granted++
				}
			}
			if granted != 3 {
				t.Fatalf("%d of 9 registrations over 3 nodes granted, want 3", granted)
			}
			// A very long key (an identifier of 10,000 bytes) still counts.
			long := "id:acme:" + unique() + strings.Repeat("x", 10000)
			for range 5 {
				nodes[0].Fail(now, long)
			}
			if _, ok := nodes[0].Allow(now, long); ok {
				t.Fatal("a long key is not blocked after 5 failures")
			}
			// A success resets what this node counted.
			other := "id:acme:" + unique()
			nodes[0].Fail(now, other)
			nodes[0].Reset(other)
			for range 4 {
				nodes[2].Fail(now, other)
			}
			if _, ok := nodes[2].Allow(now, other); !ok {
				t.Fatal("the reset key blocks after 4 more failures, want the count to restart")
			}
		})
	}
}
