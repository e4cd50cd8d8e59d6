package server

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/cluster"
	"github.com/wasmauth/wasmauth/internal/store/badgerstore"
	"github.com/wasmauth/wasmauth/internal/store/pgstore"
)

// StoreBadger is the Store setting of the embedded Badger store in the data
// folder, the default.
const StoreBadger = "badger"

// OpenStore opens the store cfg.Store names, as Start does: Badger in the
// data folder, or PostgreSQL at a postgres:// (or postgresql://) URL. Tools
// and tests use it on a stopped server's configuration.
func OpenStore(ctx context.Context, cfg Config) (auth.Store, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.Store == "" || cfg.Store == StoreBadger:
		return badgerstore.Open(filepath.Join(cfg.DataDir, "badger"), badgerstore.Options{Logger: log})
	case strings.HasPrefix(cfg.Store, "postgres://"), strings.HasPrefix(cfg.Store, "postgresql://"):
		return pgstore.Open(ctx, cfg.Store, pgstore.Options{Logger: log, Tracer: cfg.StoreTracer})
	}
	return nil, fmt.Errorf("unknown store %q: want %q or a postgres:// URL", redactURL(cfg.Store), StoreBadger)
}

// redactURL hides the password of a store URL in messages.
func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…" + s[i:]
		}
	}
	return s
}

// tenantWatcher is a store that several servers share, which announces
// tenant deletions (pgstore.Store).
type tenantWatcher interface {
	Watch(ctx context.Context, deleted func(tenant string), resync func())
}

// watchTenants drops what this server keeps of tenants that other servers
// delete, until ctx ends. After a lost connection, when deletions may have
// been missed, it drops what it keeps of every tenant, so that nothing of a
// tenant deleted and created again meanwhile survives.
func (s *Server) watchTenants(ctx context.Context) {
	w, ok := s.store.(tenantWatcher)
	if !ok {
		return
	}
	w.Watch(ctx, s.svc.ForgetTenant, func() {
		tenants, err := s.store.ListTenants(ctx)
		if err != nil {
			s.log.Warn("listing tenants to resynchronise failed", "err", err)
			return
		}
		for _, t := range tenants {
			s.svc.ForgetTenant(t.ID)
		}
	})
}

// leasesOf returns the cluster leases of st: PostgreSQL advisory locks when
// several servers may share it, else leases within this process.
func leasesOf(st auth.Store) cluster.Leases {
	if pg, ok := st.(*pgstore.Store); ok {
		return pg.Leases()
	}
	return cluster.NewLocal()
}

// drainCheckEvery is how often a server on a shared store looks for
// running drains that no node runs (their node died).
const drainCheckEvery = 30 * time.Second

// resumeDrains resumes the drains that were running, at once and, on a
// shared store, every drainCheckEvery until ctx ends.
func (s *Server) resumeDrains(ctx context.Context) {
	_, shared := s.store.(*pgstore.Store)
	t := time.NewTicker(drainCheckEvery)
	defer t.Stop()
	for {
		if err := s.svc.ResumeDrains(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("resuming the migration drains", "err", err)
		}
		if !shared {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
