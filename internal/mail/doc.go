// Package mail delivers the outbox: mails the domain queued in the store
// (auth.Mail) are sent by a Sender over a Transport, SMTP through
// github.com/wneessen/go-mail (STARTTLS when the server offers it, or
// implicit TLS) or the log when no SMTP server is set. A mail leaves the
// outbox only once the server took it; failures are retried with back-off,
// so a restart or an SMTP outage loses nothing.
package mail
