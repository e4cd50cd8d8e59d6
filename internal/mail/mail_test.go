package mail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmauth/wasmauth/internal/auth"
	"github.com/wasmauth/wasmauth/internal/mail"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

func testMail() *auth.Mail {
	return &auth.Mail{ID: "m1", Tenant: "acme", FromName: "Acme Inc", To: "alice@example.com", Subject: "Reset your Acme Inc password",
		Text: "Open https://auth.example.com/t/acme/password/reset?token=abc\n", HTML: `<p><a href="https://auth.example.com/t/acme/password/reset?token=abc">Choose</a></p>`}
}

// TestSMTP delivers over plain SMTP with AUTH, STARTTLS and implicit TLS
// to a real SMTP server, with both parts and the tenant's sender name.
func TestSMTP(t *testing.T) {
	serverTLS, pool := testserver.SelfSignedTLS(t)
	cases := []struct {
		name     string
		opts     testserver.SMTPOptions
		scheme   string
		wantTLS  bool
		clientCA bool
	}{
		{"plain", testserver.SMTPOptions{}, "smtp://", false, false},
		{"starttls with auth", testserver.SMTPOptions{TLS: serverTLS, User: "wa", Pass: "s3cret"}, "smtp://wa:s3cret@", true, true},
		{"implicit tls", testserver.SMTPOptions{TLS: serverTLS, Implicit: true, User: "wa", Pass: "s3cret"}, "smtps://wa:s3cret@", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms := testserver.StartSMTP(t, c.opts)
			srv, err := mail.ParseURL(c.scheme + ms.Addr)
			if err != nil {
				t.Fatal(err)
			}
			tr := &mail.SMTP{Server: srv, From: "noreply@example.com"}
			if c.clientCA {
				tr.TLS = tlsTrusting(pool)
			}
			if err := tr.Send(t.Context(), testMail()); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := ms.Wait(t, 1)[0]
			if got.TLS != c.wantTLS || got.From != "noreply@example.com" || fmt.Sprint(got.To) != "[alice@example.com]" {
				t.Fatalf("received %+v", got)
			}
			h, text, html, err := got.Parts()
			if err != nil {
				t.Fatalf("reading the mail: %v\n%s", err, got.Data)
			}
			if h.Get("From") != `"Acme Inc" <noreply@example.com>` || h.Get("Subject") != "Reset your Acme Inc password" ||
				!strings.Contains(text, "reset?token=abc") || !strings.Contains(html, `href="https://auth.example.com/t/acme/password/reset?token=abc"`) {
				t.Fatalf("mail: %v\ntext %q\nhtml %q", h, text, html)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		ms := testserver.StartSMTP(t, testserver.SMTPOptions{TLS: serverTLS, User: "wa", Pass: "s3cret"})
		srv, _ := mail.ParseURL("smtp://wa:wrong@" + ms.Addr)
		if err := (&mail.SMTP{Server: srv, From: "noreply@example.com", TLS: tlsTrusting(pool)}).Send(t.Context(), testMail()); err == nil {
			t.Fatal("Send with a wrong password succeeded")
		}
	})
	t.Run("no password in the clear", func(t *testing.T) {
		ms := testserver.StartSMTP(t, testserver.SMTPOptions{User: "wa", Pass: "s3cret"})
		srv, _ := mail.ParseURL("smtp://wa:s3cret@" + ms.Addr)
		if err := (&mail.SMTP{Server: srv, From: "noreply@example.com"}).Send(t.Context(), testMail()); err == nil {
			t.Fatal("Send offered the password over an unencrypted connection")
		}
		if n := len(ms.Mails()); n != 0 {
			t.Fatalf("%d mails received", n)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		ms := testserver.StartSMTP(t, testserver.SMTPOptions{TLS: serverTLS, Implicit: true})
		srv, _ := mail.ParseURL("smtps://" + ms.Addr)
		if err := (&mail.SMTP{Server: srv, From: "noreply@example.com"}).Send(t.Context(), testMail()); err == nil {
			t.Fatal("Send to a server with an untrusted certificate succeeded")
		}
	})
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"smtp://mail.example.com":              "smtp://mail.example.com:587",
		"smtps://u%40x:p%3Aw@mail.example.com": "smtps://u%40x@mail.example.com:465",
		"smtp://user:pass@127.0.0.1:2525":      "smtp://user@127.0.0.1:2525",
		"smtp://[::1]:25":                      "smtp://[::1]:25",
		"http://mail.example.com":              "error",
		"smtp://":                              "error",
		"smtp://host:0":                        "error",
		"smtp://host:99999":                    "error",
		"smtp://host/path":                     "error",
		"smtp://host?x=1":                      "error",
		"mail.example.com:25":                  "error",
		"smtp://user:pass@host:25#frag":        "error",
	} {
		s, err := mail.ParseURL(raw)
		got := "error"
		if err == nil {
			got = s.String()
		}
		if got != want {
			t.Errorf("ParseURL(%q) = %s (%v), want %s", raw, got, err, want)
		}
	}
	s, _ := mail.ParseURL("smtps://u:p%3Aw@h")
	if s.Username != "u" || s.Password != "p:w" || !s.ImplicitTLS {
		t.Errorf("credentials: %+v", s)
	}
}

func FuzzParseURL(f *testing.F) {
	f.Add("smtp://user:pass@host:587")
	f.Add("smtps://[::1]:465")
	f.Add("smtp://%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := mail.ParseURL(raw)
		if err != nil {
			return
		}
		if s.Host == "" || s.Port < 1 || s.Port > 65535 {
			t.Fatalf("ParseURL(%q) = %+v", raw, s)
		}
		if s.Password != "" && strings.Contains(s.String(), s.Password) && !strings.Contains(s.Host+s.Username, s.Password) {
			t.Fatalf("String shows the password: %s", s)
		}
	})
}

// memOutbox is an outbox in memory.
type memOutbox struct {
	mu    sync.Mutex
	mails map[string]*auth.Mail
}

func (o *memOutbox) DueMail(_ context.Context, now time.Time, limit int) ([]*auth.Mail, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*auth.Mail
	for _, id := range []string{"a", "b", "c"} {
		if m, ok := o.mails[id]; ok && !m.NextAttempt.After(now) && len(out) < limit {
			c := *m
			out = append(out, &c)
		}
	}
	return out, nil
}

func (o *memOutbox) UpdateMail(_ context.Context, m *auth.Mail) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.mails[m.ID]; !ok {
		return auth.ErrNotFound
	}
	c := *m
	o.mails[m.ID] = &c
	return nil
}

func (o *memOutbox) DeleteMail(_ context.Context, id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.mails, id)
	return nil
}

func (o *memOutbox) get(id string) *auth.Mail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mails[id]
}

// flaky fails the first n sends of each mail.
type flaky struct {
	mu    sync.Mutex
	n     int
	tries map[string]int
	sent  chan string
}

func (f *flaky) Send(_ context.Context, m *auth.Mail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[m.ID]++
	if f.tries[m.ID] <= f.n {
		return errors.New("421 try again later")
	}
	f.sent <- m.ID
	return nil
}

// TestSenderRetries: a failed mail stays in the outbox with its back-off
// and error, and the first pass after a start tries every mail at once.
func TestSenderRetries(t *testing.T) {
	now := time.Now()
	o := &memOutbox{mails: map[string]*auth.Mail{
		"a": {ID: "a", To: "a@example.com", NextAttempt: now},
		"b": {ID: "b", To: "b@example.com", NextAttempt: now.Add(time.Hour), Attempts: 5},
	}}
	tr := &flaky{n: 1, tries: map[string]int{}, sent: make(chan string, 10)}
	s := mail.NewSender(o, tr, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	// Both were tried in the first pass (b despite its back-off) and failed.
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, b := o.get("a"), o.get("b")
		if a != nil && b != nil && a.Attempts == 1 && b.Attempts == 6 {
			if a.LastError != "421 try again later" || !a.NextAttempt.After(now) || b.NextAttempt.Sub(a.NextAttempt) < 30*time.Second {
				t.Fatalf("after a failure: a %+v, b %+v", a, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retry recorded: %+v %+v", a, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	// A new start (a new pass) delivers both.
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	go s.Run(ctx)
	got := map[string]bool{<-tr.sent: true, <-tr.sent: true}
	if !got["a"] || !got["b"] {
		t.Fatalf("sent %v", got)
	}
	for o.get("a") != nil || o.get("b") != nil {
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := mail.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if mail.Backoff(100) != mail.MaxBackoff {
		t.Errorf("Backoff(100) = %v", mail.Backoff(100))
	}
}
