package auth

import (
	"context"
	"sync"
)

// A read memo lets one request read each tenant, client and user from the
// store once: the OpenID Provider's requests go through the library's
// storage calls, which read the same records up to four times each, and
// every Badger read waits for the writes in flight to reach the disk.
// WithReadMemo returns a context whose reads through Service.Tenant,
// Service.Client and Service.GetUser (and the use cases built on them) are
// memoized for its lifetime. Only for a request that does not rely on
// reading back a tenant, client or user it changed; the service's own
// writes of a tenant in it (ID token keys made on first use) refresh the
// memo.
func WithReadMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, readMemoKey{}, &readMemo{
		tenants: map[string]*Tenant{}, clients: map[[2]string]*Client{}, users: map[[2]string]*User{},
	})
}

// SameReadMemo returns ctx with the read memo of from, or with a new one
// when from has none: a request whose context changed hands keeps its
// memo.
func SameReadMemo(ctx, from context.Context) context.Context {
	if m, _ := from.Value(readMemoKey{}).(*readMemo); m != nil {
		return context.WithValue(ctx, readMemoKey{}, m)
	}
	return WithReadMemo(ctx)
}

type readMemoKey struct{}

type readMemo struct {
	mu      sync.Mutex
	tenants map[string]*Tenant
	clients map[[2]string]*Client
	users   map[[2]string]*User
}

// memoized returns a copy of the memo's record under k, loading and
// keeping it on a miss; without a memo in ctx it loads. Failures are not
// kept.
func memoized[K comparable, V any](ctx context.Context, pick func(*readMemo) map[K]*V, k K, load func() (*V, error)) (*V, error) {
	m, _ := ctx.Value(readMemoKey{}).(*readMemo)
	if m == nil {
		return load()
	}
	m.mu.Lock()
	v, ok := pick(m)[k]
	m.mu.Unlock()
	if ok {
		c := *v
		return &c, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	keep(m, pick, k, v)
	return v, nil
}

// keep puts a copy of v in the memo under k.
func keep[K comparable, V any](m *readMemo, pick func(*readMemo) map[K]*V, k K, v *V) {
	c := *v
	m.mu.Lock()
	pick(m)[k] = &c
	m.mu.Unlock()
}

// rememberTenant replaces the memo's copy of t after the service wrote it.
func rememberTenant(ctx context.Context, t *Tenant) {
	if m, _ := ctx.Value(readMemoKey{}).(*readMemo); m != nil {
		keep(m, memoTenants, t.ID, t)
	}
}

func memoTenants(m *readMemo) map[string]*Tenant    { return m.tenants }
func memoClients(m *readMemo) map[[2]string]*Client { return m.clients }
func memoUsers(m *readMemo) map[[2]string]*User     { return m.users }

// storeUser reads a user, through the request's memo.
func (s *Service) storeUser(ctx context.Context, tenant, id string) (*User, error) {
	return memoized(ctx, memoUsers, [2]string{tenant, id}, func() (*User, error) { return s.store.GetUser(ctx, tenant, id) })
}
