package badgerstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// maxPending bounds the authorization requests held in memory (about 1 KiB
// each): past it, new ones are refused with auth.ErrUnavailable until
// expired ones are swept.
const maxPending = 100_000

// pendingSweep is how often expired requests are swept from memory.
const pendingSweep = time.Minute

// pendingRequests holds the store's authorization requests in memory, not
// in Badger: they live minutes at most, and a Badger store is one node
// only (several need PostgreSQL), so a synced write per /authorize buys
// nothing but surviving a restart. A restart loses them: a sign-in in
// flight then fails with "unknown authorization request" and starts over.
// Sessions, which codes are exchanged for, are written to Badger as ever.
type pendingRequests struct {
	mu        sync.Mutex
	byID      map[pendingKey]*pendingEntry
	byCode    map[pendingKey]string // tenant and code hash → request id
	lastSweep time.Time
	limit     int // maxPending; tests lower it
}

type pendingKey struct{ tenant, id string }

type pendingEntry struct {
	rec *authRequestRecord
	// claim is open while an exchange of the request's code writes its
	// session; every other use of the request waits for it to close.
	claim chan struct{}
}

func newPendingRequests() *pendingRequests {
	return &pendingRequests{byID: make(map[pendingKey]*pendingEntry), byCode: make(map[pendingKey]string), lastSweep: time.Now(), limit: maxPending}
}

// cloneRecord returns a copy of r sharing nothing with it.
func cloneRecord(r *authRequestRecord) *authRequestRecord {
	c := *r
	c.Scopes, c.Prompt, c.CodeHash = slices.Clone(r.Scopes), slices.Clone(r.Prompt), slices.Clone(r.CodeHash)
	if r.MaxAge != nil {
		m := *r.MaxAge
		c.MaxAge = &m
	}
	return &c
}

// add stores a new request.
func (p *pendingRequests) add(tenant string, rec *authRequestRecord, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastSweep) > pendingSweep || len(p.byID) >= p.limit {
		p.sweepLocked(now)
	}
	k := pendingKey{tenant, rec.ID}
	if _, ok := p.byID[k]; ok {
		return fmt.Errorf("badgerstore: authorization request %q exists", rec.ID)
	}
	if len(p.byID) >= p.limit {
		return fmt.Errorf("badgerstore: %d authorization requests pending: %w", len(p.byID), auth.ErrUnavailable)
	}
	p.byID[k] = &pendingEntry{rec: cloneRecord(rec)}
	p.indexLocked(tenant, rec)
	return nil
}

func (p *pendingRequests) indexLocked(tenant string, rec *authRequestRecord) {
	if len(rec.CodeHash) > 0 {
		p.byCode[pendingKey{tenant, string(rec.CodeHash)}] = rec.ID
	}
}

func (p *pendingRequests) removeLocked(tenant string, rec *authRequestRecord) {
	delete(p.byID, pendingKey{tenant, rec.ID})
	ck := pendingKey{tenant, string(rec.CodeHash)}
	if len(rec.CodeHash) > 0 && p.byCode[ck] == rec.ID {
		delete(p.byCode, ck)
	}
}

// sweepLocked drops expired requests that no exchange holds.
func (p *pendingRequests) sweepLocked(now time.Time) {
	for k, e := range p.byID {
		if e.claim == nil && !now.Before(e.rec.ExpiresAt) {
			p.removeLocked(k.tenant, e.rec)
		}
	}
	p.lastSweep = now
}

// with runs f under the lock on the live request tenant/id once no
// exchange holds it. Returns auth.ErrNotFound for an unknown or expired
// request.
func (p *pendingRequests) with(ctx context.Context, tenant, id string, f func(*pendingEntry) error) error {
	k := pendingKey{tenant, id}
	for {
		p.mu.Lock()
		e := p.byID[k]
		if e == nil {
			p.mu.Unlock()
			return fmt.Errorf("authorization request: %w", auth.ErrNotFound)
		}
		if e.claim == nil {
			defer p.mu.Unlock()
			// The request's own expiry is exact.
			if !time.Now().Before(e.rec.ExpiresAt) {
				p.removeLocked(tenant, e.rec)
				return fmt.Errorf("authorization request expired: %w", auth.ErrNotFound)
			}
			return f(e)
		}
		ch := e.claim
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// idOfCode returns the request id of a code hash, or "".
func (p *pendingRequests) idOfCode(tenant string, codeHash []byte) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byCode[pendingKey{tenant, string(codeHash)}]
}

// claim marks the request's code as being exchanged: auth.ErrCodeUsed
// when it already was. release ends the claim, recording sessionID as the
// code's session when the exchange's write succeeded.
func (p *pendingRequests) claim(ctx context.Context, tenant, id string) (release func(sessionID string), err error) {
	var ch chan struct{}
	err = p.with(ctx, tenant, id, func(e *pendingEntry) error {
		if e.rec.SessionID != "" {
			return auth.ErrCodeUsed
		}
		ch = make(chan struct{})
		e.claim = ch
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func(sessionID string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if e := p.byID[pendingKey{tenant, id}]; e != nil && e.claim == ch {
			e.claim = nil
			if sessionID != "" {
				e.rec.SessionID = sessionID
			}
		}
		close(ch)
	}, nil
}

// dropTenant forgets a deleted tenant's requests.
func (p *pendingRequests) dropTenant(tenant string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, e := range p.byID {
		if k.tenant == tenant {
			p.removeLocked(tenant, e.rec)
		}
	}
}
