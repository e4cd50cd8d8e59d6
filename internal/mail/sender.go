package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Outbox is what the Sender needs of the store.
type Outbox interface {
	DueMail(ctx context.Context, now time.Time, limit int) ([]*auth.Mail, error)
	UpdateMail(ctx context.Context, m *auth.Mail) error
	DeleteMail(ctx context.Context, id string) error
}

// Retries.
const (
	// MinBackoff is the wait after the first failure; it doubles with each
	// one, up to MaxBackoff.
	MinBackoff = 2 * time.Second
	MaxBackoff = time.Hour
	// MaxAttempts is how often a mail is tried before it is dropped (and
	// logged): about a day of tries.
	MaxAttempts = 30
	// pollEvery is how often the outbox is looked at without a Wake.
	pollEvery = time.Second
	batch     = 20
)

// Backoff is the wait after a mail's attempts-th failure.
func Backoff(attempts int) time.Duration {
	d := MinBackoff
	for i := 1; i < attempts && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// Sender sends the outbox's due mails. Run is the background job; the server
// runs it under a cluster lease (internal/cluster), so that one node of a
// cluster sends (a second sender would be harmless but may send a mail
// twice).
type Sender struct {
	outbox    Outbox
	transport Transport
	log       *slog.Logger
	now       func() time.Time
	wake      chan struct{}
}

// NewSender returns a Sender of outbox's mails over t.
func NewSender(outbox Outbox, t Transport, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{outbox: outbox, transport: t, log: log, now: time.Now, wake: make(chan struct{}, 1)}
}

// Wake makes Run look at the outbox now (a mail was queued).
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due mails until ctx ends. Its first pass tries every queued
// mail, whatever its back-off: a restart often follows a fixed setting.
func (s *Sender) Run(ctx context.Context) {
	first := true
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		due := s.now()
		if first {
			due = due.Add(MaxBackoff * 24)
		}
		first = false
		s.sendDue(ctx, due)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// sendDue sends the mails due at due, batch by batch, each once: a mail
// that fails is moved back by its back-off, and the pass ends when a
// batch holds only mails it tried.
func (s *Sender) sendDue(ctx context.Context, due time.Time) {
	tried := map[string]bool{}
	for ctx.Err() == nil {
		limit := batch + len(tried)
		mails, err := s.outbox.DueMail(ctx, due, limit)
		if err != nil {
			s.log.Error("reading the outbox", "err", err)
			return
		}
		sent := 0
		for _, m := range mails {
			if tried[m.ID] {
				continue
			}
			tried[m.ID] = true
			s.send(ctx, m)
			sent++
		}
		if sent == 0 || len(mails) < limit {
			return
		}
	}
}

func (s *Sender) send(ctx context.Context, m *auth.Mail) {
	err := s.transport.Send(ctx, m)
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		if err := s.outbox.DeleteMail(ctx, m.ID); err != nil {
			s.log.Error("removing a sent mail from the outbox", "mail", m.ID, "err", err)
		}
		s.log.Debug("mail sent", "tenant", m.Tenant, "mail", m.ID)
		return
	}
	m.Attempts++
	if m.Attempts >= MaxAttempts {
		s.log.Error("mail dropped after its last try", "tenant", m.Tenant, "mail", m.ID, "attempts", m.Attempts, "err", err)
		if err := s.outbox.DeleteMail(ctx, m.ID); err != nil {
			s.log.Error("removing a dropped mail from the outbox", "mail", m.ID, "err", err)
		}
		return
	}
	m.NextAttempt = s.now().Add(Backoff(m.Attempts)).UTC()
	m.LastError = err.Error()
	s.log.Warn("mail not sent; it will be retried", "tenant", m.Tenant, "mail", m.ID, "attempts", m.Attempts,
		"retry_at", m.NextAttempt, "err", err)
	if err := s.outbox.UpdateMail(ctx, m); err != nil {
		s.log.Error("storing a mail's retry", "mail", m.ID, "err", err)
	}
}
