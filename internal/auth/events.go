package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Audit event types.
const (
	EventTenantCreated      = "tenant_created"
	EventAPIKeyRotated      = "api_key_rotated"
	EventScriptUploaded     = "script_uploaded"
	EventScriptActivated    = "script_activated"
	EventScriptDeleted      = "script_deleted"
	EventConnectionSet      = "connection_set"
	EventConnectionClosed   = "connection_closed"
	EventMigrationEnabled   = "migration_enabled"
	EventMigrationDisabled  = "migration_disabled"
	EventMigrationSettings  = "migration_settings_changed"
	EventUserRegistered     = "user_registered"
	EventUserMigrated       = "user_migrated"
	EventUserDeleted        = "user_deleted"
	EventLoginSucceeded     = "login_succeeded"
	EventLoginFailed        = "login_failed"
	EventPasswordChanged    = "password_changed"
	EventRefreshTokenReused = "refresh_token_reused"
	EventMigrationConflict  = "migration_conflict"
	EventPasswordReset      = "password_reset"
)

// eventWriter stores audit events and script log lines in the background, in
// batches, so that logging never adds a synchronous disk write to a login.
// Close flushes what is queued; a crash may lose the last few milliseconds.
type eventWriter struct {
	store Store
	log   *slog.Logger

	flushMu sync.Mutex // one flush at a time, so Flush waits for a running one
	mu      sync.Mutex
	audit   []*AuditEvent
	logs    map[string][]LogEntry
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	dropped int
}

// maxQueuedEvents bounds the queue; beyond it events are dropped and counted.
const maxQueuedEvents = 100_000

func newEventWriter(store Store, log *slog.Logger) *eventWriter {
	w := &eventWriter{
		store: store,
		log:   log,
		logs:  map[string][]LogEntry{},
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *eventWriter) queued() int {
	n := len(w.audit)
	for _, l := range w.logs {
		n += len(l)
	}
	return n
}

// Audit queues an event.
func (w *eventWriter) Audit(e *AuditEvent) {
	w.mu.Lock()
	if w.closed || w.queued() >= maxQueuedEvents {
		w.dropped++
		w.mu.Unlock()
		return
	}
	w.audit = append(w.audit, e)
	w.mu.Unlock()
	w.signal()
}

// Logs queues script log lines of a tenant.
func (w *eventWriter) Logs(tenant string, entries []LogEntry) {
	if len(entries) == 0 {
		return
	}
	w.mu.Lock()
	if w.closed || w.queued() >= maxQueuedEvents {
		w.dropped += len(entries)
		w.mu.Unlock()
		return
	}
	w.logs[tenant] = append(w.logs[tenant], entries...)
	w.mu.Unlock()
	w.signal()
}

func (w *eventWriter) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *eventWriter) run() {
	defer close(w.done)
	for range w.wake {
		// Let a burst collect into one batch.
		time.Sleep(2 * time.Millisecond)
		w.flush()
		w.mu.Lock()
		closed := w.closed
		w.mu.Unlock()
		if closed {
			w.flush()
			return
		}
	}
}

func (w *eventWriter) flush() {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	audit, logs, dropped := w.audit, w.logs, w.dropped
	w.audit, w.logs, w.dropped = nil, map[string][]LogEntry{}, 0
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if dropped > 0 {
		w.log.Warn("audit and log queue full; events dropped", "dropped", dropped)
	}
	for tenant, entries := range logs {
		if err := w.store.AppendLogs(ctx, tenant, entries); err != nil {
			w.log.Error("storing script logs", "tenant", tenant, "err", err)
		}
	}
	if len(audit) > 0 {
		// One batch: a burst of logins costs one disk sync, not one each.
		if err := w.store.AppendAudit(ctx, audit...); err != nil {
			w.log.Error("storing audit events", "events", len(audit), "err", err)
		}
	}
}

// Flush writes everything queued so far before it returns.
func (w *eventWriter) Flush() { w.flush() }

// Close flushes and stops the writer.
func (w *eventWriter) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	w.signal()
	<-w.done
}

// maxAuditText is the most characters of an identifier an audit event
// stores: a login with a 1 MB identifier must not store 1 MB.
const maxAuditText = 256

// cutText returns s cut to its first n characters.
func cutText(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// audit queues an audit event of a tenant; the subject is cut to
// maxAuditText characters.
func (s *Service) audit(tenant, typ string, m Meta, subject string, detail map[string]any) {
	actor := m.Actor
	if actor == "" {
		// Public endpoints act for whoever sent the request; a successful
		// login names its user as the subject.
		actor = "anonymous"
	}
	s.events.Audit(&AuditEvent{
		Tenant:  tenant,
		Time:    s.now().UTC(),
		Type:    typ,
		Actor:   actor,
		Subject: cutText(subject, maxAuditText),
		IP:      m.IP,
		Detail:  detail,
	})
}
