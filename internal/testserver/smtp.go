package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPOptions configure a test SMTP server.
type SMTPOptions struct {
	// Addr is the address to listen on; empty picks a free port on
	// 127.0.0.1.
	Addr string
	// User and Pass, when User is set, are the only credentials AUTH PLAIN
	// accepts, and mail without AUTH is refused.
	User, Pass string
	// TLS, when set, is offered with STARTTLS, or from the first byte when
	// Implicit is set.
	TLS      *tls.Config
	Implicit bool
}

// Received is a mail the test SMTP server took.
type Received struct {
	From string
	To   []string
	Data string
	// TLS is whether the connection was encrypted.
	TLS bool
}

// MailServer is a real SMTP server (github.com/emersion/go-smtp) on
// loopback that keeps what it receives.
type MailServer struct {
	// Addr is host:port.
	Addr string
	srv  *smtp.Server

	mu    sync.Mutex
	mails []Received
	added chan struct{}
}

// StartSMTP starts an SMTP server for the test, closed when it ends.
func StartSMTP(t testing.TB, o SMTPOptions) *MailServer {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // a port just given up may take a moment to be free
		if ln, err = net.Listen("tcp", o.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("SMTP server: %v", err)
	}
	m := &MailServer{Addr: ln.Addr().String(), added: make(chan struct{}, 1)}
	s := smtp.NewServer(&smtpBackend{m: m, o: o})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	if o.TLS != nil {
		s.TLSConfig = o.TLS
		if o.Implicit {
			ln = tls.NewListener(ln, o.TLS)
		}
	}
	m.srv = s
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(m.Close)
	return m
}

// Close stops the server.
func (m *MailServer) Close() { _ = m.srv.Close() }

// Mails returns what the server received so far.
func (m *MailServer) Mails() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Received(nil), m.mails...)
}

// Wait returns the received mails once there are at least n, failing the
// test after a generous bound.
func (m *MailServer) Wait(t testing.TB, n int) []Received {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if got := m.Mails(); len(got) >= n {
			return got
		}
		select {
		case <-m.added:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("the SMTP server received %d mails, want %d", len(m.Mails()), n)
		}
	}
}

type smtpBackend struct {
	m *MailServer
	o SMTPOptions
}

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, tlsOn := c.TLSConnectionState()
	return &smtpSession{b: b, conn: c, tls: tlsOn}, nil
}

type smtpSession struct {
	b      *smtpBackend
	conn   *smtp.Conn
	tls    bool
	authed bool
	cur    Received
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.b.o.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.b.o.User || pass != s.b.o.Pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.o.User != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = Received{From: from}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.cur.TLS = s.conn.TLSConnectionState()
	s.cur.Data = strings.ReplaceAll(string(b), "\r\n", "\n")
	s.b.m.mu.Lock()
	s.b.m.mails = append(s.b.m.mails, s.cur)
	s.b.m.mu.Unlock()
	select {
	case s.b.m.added <- struct{}{}:
	default:
	}
	return nil
}

func (s *smtpSession) Reset()        { s.cur = Received{} }
func (s *smtpSession) Logout() error { return nil }

// SelfSignedTLS returns a server TLS configuration with a new certificate
// for 127.0.0.1 and localhost, and a pool that trusts it.
func SelfSignedTLS(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}

// Parts returns the mail's headers and its decoded text/plain and
// text/html parts (of a multipart/alternative body or a single part).
func (r Received) Parts() (h textproto.MIMEHeader, text, html string, err error) {
	msg, err := mail.ReadMessage(strings.NewReader(r.Data))
	if err != nil {
		return nil, "", "", err
	}
	h = textproto.MIMEHeader(msg.Header)
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return h, "", "", err
	}
	read := func(ct, cte string, body io.Reader) error {
		if strings.EqualFold(cte, "quoted-printable") {
			body = quotedprintable.NewReader(body)
		} else if strings.EqualFold(cte, "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			html = string(b)
		}
		return nil
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return h, text, html, read(mt, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return h, text, html, nil
		}
		if err != nil {
			return h, text, html, err
		}
		if err := read(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
			return h, text, html, err
		}
	}
}
