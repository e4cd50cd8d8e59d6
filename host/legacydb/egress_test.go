package legacydb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestDefaultRuleControl checks the default rule (no allowed networks) on resolved
// addresses: the server's own and its link's are refused, IPv4-mapped ones unmapped.
func TestDefaultRuleControl(t *testing.T) {
	g := newDialGuard(nil)
	for _, tt := range []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1:5432", false},
		{"127.1.2.3:5432", false},
		{"[::1]:5432", false},
		{"[::ffff:127.0.0.1]:5432", false},
		{"169.254.169.254:80", false},
		{"[::ffff:169.254.169.254]:80", false},
		{"[fe80::1]:5432", false},
		{"[fe80::1%lo]:5432", false},
		{"0.0.0.0:5432", false},
		{"0.1.2.3:5432", false},
		{"[::]:5432", false},
		{"224.0.0.1:5432", false},
		{"[ff02::1]:5432", false},
		{"[ff01::1]:5432", false},
		{"10.0.0.5:5432", true},
		{"192.0.2.7:3306", true},
		{"[2001:db8::1]:5432", true},
		{"[::ffff:192.0.2.7]:3306", true},
	} {
		network := "tcp4"
		if strings.HasPrefix(tt.addr, "[") {
			network = "tcp6"
		}
		err := g.control(network, tt.addr, nil)
		if tt.allowed != (err == nil) {
			t.Errorf("control(%s) = %v, want allowed %v", tt.addr, err, tt.allowed)
		}
		if err != nil && !errors.Is(err, errNotAllowed) {
			t.Errorf("control(%s) = %v, not errNotAllowed", tt.addr, err)
		}
	}
}

// TestDefaultRuleRefuses opens, with no allowed networks, DSNs that reach the test
// databases on loopback, cloud metadata and Unix sockets: every one is refused by the
// guard (errNotAllowed: its Control hook refuses before connect(2), so 169.254.169.254
// is never dialled), and reads like any network failure.
func TestDefaultRuleRefuses(t *testing.T) {
	for _, m := range []struct {
		name string
		make func(testing.TB) backend
		dsns func(b backend) []string
	}{
		{"postgres", postgresBackend, func(b backend) []string {
			return []string{
				b.cfg.DSN,
				strings.Replace(b.cfg.DSN, "127.0.0.1", "localhost", 1),
				strings.Replace(b.cfg.DSN, "127.0.0.1", "[::1]", 1),
				strings.Replace(b.cfg.DSN, "127.0.0.1", "[::ffff:127.0.0.1]", 1),
				"postgres://u:secret@169.254.169.254:5432/test?sslmode=disable&connect_timeout=2",
				"host=169.254.169.254 user=u password=secret connect_timeout=2",
				"host=/var/run/postgresql user=u dbname=test sslmode=disable",
				"postgres:///test?host=/var/run/postgresql&user=u",
			}
		}},
		{"mysql", mysqlBackend, func(b backend) []string {
			return []string{
				b.cfg.DSN,
				strings.Replace(b.cfg.DSN, "127.0.0.1", "localhost", 1),
				strings.Replace(b.cfg.DSN, "127.0.0.1", "[::1]", 1),
				strings.Replace(b.cfg.DSN, "127.0.0.1", "[::ffff:127.0.0.1]", 1),
				"u:secret@tcp(169.254.169.254:3306)/test?timeout=2s",
				"u@unix(/run/mysqld/mysqld.sock)/test",
			}
		}},
	} {
		t.Run(m.name, func(t *testing.T) {
			b := m.make(t)
			if !strings.Contains(b.cfg.DSN, "127.0.0.1") {
				t.Skipf("the %s DSN does not name 127.0.0.1; this test needs the database there", m.name)
			}
			for _, dsn := range m.dsns(b) {
				t.Run(MaskDSN(m.name, dsn), func(t *testing.T) {
					cfg := b.cfg
					cfg.DSN, cfg.Networks = dsn, nil
					ce := connectError(t, cfg, "secret")
					if ce.Reason != ReasonUnreachable || !errors.Is(ce, errNotAllowed) {
						t.Fatalf("ConnectError = %+v (%v), want %q from the guard", ce, errors.Unwrap(ce), ReasonUnreachable)
					}
				})
			}
		})
	}
}

// listen runs a TCP server on 127.0.0.1 that handles each connection with serve, until
// the test ends, and returns its address.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns an address on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestNetworkFailuresReadAlike checks Open says the same of a closed port, a port where
// something else answers, one that never answers, and an address not allowed, so PUT
// /connection is no port scanner; and that the database's own answer is kept.
func TestNetworkFailuresReadAlike(t *testing.T) {
	garbage := listen(t, func(c net.Conn) {
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	})
	ssh := listen(t, func(c net.Conn) {
		c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
		c.Read(make([]byte, 512))
	})
	silent := listen(t, func(c net.Conn) {
		// Read and never answer, until the client gives up.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, c)
	})
	closed := closedPort(t)
	for _, m := range []struct {
		driver string
		dsn    func(addr string) string
	}{
		{"postgres", func(addr string) string { return "postgres://u:secret@" + addr + "/test?sslmode=disable" }},
		{"mysql", func(addr string) string { return "u:secret@tcp(" + addr + ")/test" }},
	} {
		t.Run(m.driver, func(t *testing.T) {
			for _, tt := range []struct {
				name     string
				addr     string
				networks []netip.Prefix
			}{
				{"closed port", closed, loopback},
				{"foreign protocol", garbage, loopback},
				{"ssh banner", ssh, loopback},
				{"no answer", silent, loopback},
				{"address not allowed", garbage, prefixes(t, "10.0.0.0/8")},
				{"address refused by default", closed, nil},
			} {
				t.Run(tt.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					db, err := Open(ctx, Config{Driver: m.driver, DSN: m.dsn(tt.addr), Networks: tt.networks})
					if err == nil {
						db.Close()
						t.Fatal("Open succeeded")
					}
					var ce *ConnectError
					if !errors.As(err, &ce) || ce.Reason != ReasonUnreachable {
						t.Fatalf("Open = %v, want the reason %q", err, ReasonUnreachable)
					}
				})
			}
		})
	}
}
