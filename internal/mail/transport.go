package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// Transport delivers one mail.
type Transport interface {
	Send(ctx context.Context, m *auth.Mail) error
}

// DefaultFrom is the sender address without --mail-from.
const DefaultFrom = "wasmauth@localhost"

// sendTimeout bounds one delivery.
const sendTimeout = 30 * time.Second

// SMTP delivers over SMTP.
type SMTP struct {
	Server *Server
	// From is the sender address; each mail's FromName is its name.
	From string
	// TLS, when set, replaces the default TLS settings (for a private CA).
	TLS *tls.Config
}

// Send delivers m: one connection, one mail, with a plain-text and an
// HTML part.
func (s *SMTP) Send(ctx context.Context, m *auth.Mail) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.FromName, s.From); err != nil {
		return fmt.Errorf("sender %q: %w", s.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	opts := []gomail.Option{gomail.WithPort(s.Server.Port), gomail.WithTimeout(sendTimeout)}
	if s.Server.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	tc := s.TLS
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = s.Server.Host
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	if s.Server.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.Server.Username), gomail.WithPassword(s.Server.Password))
	}
	c, err := gomail.NewClient(s.Server.Host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return c.DialAndSendWithContext(ctx, msg)
}

// Log "delivers" a mail by writing it to the log at info level: the
// server's behaviour without --smtp, which the demo uses.
type Log struct {
	Log *slog.Logger
}

// Send logs m.
func (l Log) Send(_ context.Context, m *auth.Mail) error {
	l.Log.Info("mail (no --smtp: written to the log, not sent)", "tenant", m.Tenant, "to", m.To, "from_name", m.FromName,
		"subject", m.Subject, "text", m.Text)
	return nil
}
