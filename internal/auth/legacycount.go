package auth

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// LegacyCountTTL is how long MigrationStatus reuses a module's count_users
// answer: the call counts the whole legacy table, and the status is read on
// every admin API status request and console page view.
const LegacyCountTTL = 30 * time.Second

// legacyCounts caches count_users answers per tenant. An entry holds for
// LegacyCountTTL and only for the active script version and connection it
// was counted with, so a change made on another node of a cluster refreshes
// it too; this node also drops it at once (forget).
type legacyCounts struct {
	mu sync.Mutex
	m  map[string]*legacyCount
}

// legacyCount is one tenant's answer, nil n when the module could not say.
// ready is closed once n is set; callers meanwhile wait for it rather than
// count again.
type legacyCount struct {
	key   string
	at    time.Time
	n     *int64
	ready chan struct{}
}

func newLegacyCounts() *legacyCounts {
	return &legacyCounts{m: map[string]*legacyCount{}}
}

// forget drops the tenant's answer.
func (c *legacyCounts) forget(tenant string) {
	c.mu.Lock()
	delete(c.m, tenant)
	c.mu.Unlock()
}

// get returns the tenant's answer for key if it is younger than
// LegacyCountTTL, or else count's, which it keeps.
func (c *legacyCounts) get(ctx context.Context, tenant, key string, now time.Time, count func() *int64) *int64 {
	c.mu.Lock()
	e := c.m[tenant]
	if e == nil || e.key != key || now.Sub(e.at) >= LegacyCountTTL || now.Before(e.at) {
		e = &legacyCount{key: key, at: now, ready: make(chan struct{})}
		c.m[tenant] = e
		c.mu.Unlock()
		defer close(e.ready)
		e.n = count()
		if ctx.Err() != nil {
			// The call was cut short by this caller: not an answer to keep.
			c.mu.Lock()
			if c.m[tenant] == e {
				delete(c.m, tenant)
			}
			c.mu.Unlock()
		}
		return e.n
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e.n
	case <-ctx.Done():
		return nil
	}
}

// legacyCountKey names what a count depends on: the active version and the
// connection.
func legacyCountKey(t *Tenant) string {
	b, _ := json.Marshal(struct {
		V int
		C *Connection
	}{t.ActiveScript, t.Connection})
	return string(b)
}
