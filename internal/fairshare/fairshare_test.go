package fairshare

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/testclock"
)

// grant is a request in flight: its tenant, and its release once granted.
type grant struct {
	tenant  string
	release chan func()
}

func request(p *Pool, tenant string, memory int64) *grant {
	g := &grant{tenant: tenant, release: make(chan func(), 1)}
	go func() {
		r, err := p.Acquire(context.Background(), tenant, memory)
		if err == nil {
			g.release <- r
		}
	}()
	return g
}

// waitQueued waits until n requests wait.
func waitQueued(t *testing.T, p *Pool, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, w := p.Stats(); w == n {
			return
		}
		if time.Now().After(deadline) {
			_, w := p.Stats()
			t.Fatalf("%d requests waiting, want %d", w, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestLightTenantWaitsForOneSlot: 40 hostile tenants keep two slots busy,
// each hold lasting half a fuel budget and each tenant queueing again at
// once. A light tenant's request is granted at the next release, whatever
// the number of hostile requests queued before it.
func TestLightTenantWaitsForOneSlot(t *testing.T) {
	const hostile, budget = 40, 500 * time.Millisecond
	clk := testclock.New(time.Unix(1e9, 0))
	p := New(Config{Slots: 2, PerTenant: 1, Now: clk.Now})
	pending := map[*grant]bool{}
	add := func(tenant string) *grant {
		g := request(p, tenant, 0)
		pending[g] = true
		return g
	}
	// granted waits for the one pending request granted last.
	granted := func() *grant {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
			for g := range pending {
				select {
				case r := <-g.release:
					g.release <- r
					delete(pending, g)
					return g
				default:
				}
			}
		}
		t.Fatal("no request was granted")
		return nil
	}
	var holders []*grant
	for i := range hostile {
		add(fmt.Sprintf("hostile%d", i))
		if i < 2 {
			holders = append(holders, granted())
		} else {
			waitQueued(t, p, i-1)
		}
	}
	// release ends the oldest hold; its tenant queues again at once.
	release := func() {
		h := holders[0]
		holders = holders[1:]
		clk.Advance(budget / 2)
		(<-h.release)()
		add(h.tenant)
	}
	for round := range 4 * hostile {
		release()
		holders = append(holders, granted())
		waitQueued(t, p, hostile-2)
		if round < hostile || round%5 != 0 {
			continue
		}
		// Every hostile tenant has run: the light tenant asks for a slot.
		v := add("victim")
		waitQueued(t, p, hostile-1)
		release()
		if got := granted(); got != v {
			t.Fatalf("round %d: the freed slot went to %s, not to the light tenant", round, got.tenant)
		}
		waitQueued(t, p, hostile-1)
		clk.Advance(time.Millisecond)
		(<-v.release)()
		holders = append(holders, granted())
	}
}

// TestBounds: slots, per-tenant slots and memory are never exceeded, a
// request that cannot fit waits, and a cancelled wait leaves nothing held.
func TestBounds(t *testing.T) {
	p := New(Config{Slots: 3, PerTenant: 2, Memory: 100, PerTenantMemory: 60})
	ctx := context.Background()
	a1, err := p.Acquire(ctx, "a", 40)
	if err != nil {
		t.Fatal(err)
	}
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	if _, err := p.Acquire(short(), "a", 30); err == nil {
		t.Fatal("tenant a got 70 bytes, over its 60")
	}
	b1, err := p.Acquire(ctx, "b", 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Acquire(short(), "c", 10); err == nil {
		t.Fatal("c got 10 bytes with 100 of 100 held")
	}
	if p.Fits(61) || !p.Fits(60) {
		t.Fatal("Fits disagrees with the per-tenant bound")
	}
	a1()
	a1() // twice is a no-op
	c1, err := p.Acquire(ctx, "c", 10)
	if err != nil {
		t.Fatal(err)
	}
	b1()
	c1()
	if held, waiting := p.Stats(); held != 0 || waiting != 0 {
		t.Fatalf("held %d, waiting %d after every release", held, waiting)
	}
	off := New(Config{})
	for range 10 {
		if _, err := off.Acquire(ctx, "a", 1<<40); err != nil {
			t.Fatal(err)
		}
	}
}
