package auth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// eventStore records the batches the event writer stores; the writer calls
// no other Store method.
type eventStore struct {
	Store
	mu          sync.Mutex
	auditWrites [][]*AuditEvent
	logs        map[string][]LogEntry
}

func (s *eventStore) AppendAudit(_ context.Context, events ...*AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auditWrites = append(s.auditWrites, events)
	return nil
}

func (s *eventStore) AppendLogs(_ context.Context, tenant string, entries []LogEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		s.logs = map[string][]LogEntry{}
	}
	s.logs[tenant] = append(s.logs[tenant], entries...)
	return nil
}

func (s *eventStore) audited() (events, writes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.auditWrites {
		events += len(w)
	}
	return events, len(s.auditWrites)
}

// idleWriter returns an event writer without its background goroutine, so
// that a test decides when it flushes.
func idleWriter(st Store, log *slog.Logger) *eventWriter {
	return &eventWriter{store: st, log: log, logs: map[string][]LogEntry{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// TestEventWriterBatches: what is queued between two flushes is one audit
// write, and log lines are stored per tenant.
func TestEventWriterBatches(t *testing.T) {
	st := &eventStore{}
	w := idleWriter(st, slog.New(slog.DiscardHandler))
	for i := range 50 {
		w.Audit(&AuditEvent{Tenant: "acme", Type: EventLoginFailed, Subject: fmt.Sprint(i)})
	}
	w.Logs("acme", []LogEntry{{Message: "one"}, {Message: "two"}})
	w.Logs("beta", []LogEntry{{Message: "three"}})
	w.Logs("beta", nil)
	w.Flush()
	if events, writes := st.audited(); events != 50 || writes != 1 {
		t.Fatalf("%d events in %d writes, want 50 in 1", events, writes)
	}
	if len(st.logs["acme"]) != 2 || len(st.logs["beta"]) != 1 {
		t.Fatalf("logs stored: %v", st.logs)
	}
	w.Flush() // nothing queued: no write
	if _, writes := st.audited(); writes != 1 {
		t.Fatalf("%d audit writes after an empty flush, want 1", writes)
	}
}

// TestEventWriterBound: beyond maxQueuedEvents events are dropped, counted,
// and the count is logged at the next flush.
func TestEventWriterBound(t *testing.T) {
	st := &eventStore{}
	var out bytes.Buffer
	w := idleWriter(st, slog.New(slog.NewTextHandler(&out, nil)))
	for range maxQueuedEvents - 1 {
		w.Audit(&AuditEvent{Tenant: "acme"})
	}
	w.Logs("acme", []LogEntry{{Message: "fits"}})
	w.Logs("acme", []LogEntry{{Message: "dropped"}, {Message: "dropped too"}})
	w.Audit(&AuditEvent{Tenant: "acme"})
	w.Flush()
	if events, _ := st.audited(); events != maxQueuedEvents-1 || len(st.logs["acme"]) != 1 {
		t.Fatalf("stored %d events and %d log lines, want %d and 1", events, len(st.logs["acme"]), maxQueuedEvents-1)
	}
	if !strings.Contains(out.String(), "dropped=3") {
		t.Fatalf("log: %q, want the 3 dropped counted", out.String())
	}
}

// TestEventWriterClose: Close stores everything queued before it; what
// comes after is dropped, and a second Close returns.
func TestEventWriterClose(t *testing.T) {
	st := &eventStore{}
	w := newEventWriter(st, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 250 {
				w.Audit(&AuditEvent{Tenant: "acme", Subject: fmt.Sprint(g, i)})
			}
		})
	}
	wg.Wait()
	w.Close()
	w.Audit(&AuditEvent{Tenant: "acme"})
	w.Logs("acme", []LogEntry{{Message: "late"}})
	w.Close()
	if events, _ := st.audited(); events != 1000 {
		t.Fatalf("%d events stored, want the 1000 queued before Close", events)
	}
	if len(st.logs) != 0 {
		t.Fatalf("log lines after Close were stored: %v", st.logs)
	}
}
