package legacydb

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Unix sockets of the test databases.
const (
	postgresSocketDSN = "host=/var/run/postgresql user=postgres dbname=test sslmode=disable"
	mysqlSocketDSN    = "root@unix(/run/mysqld/mysqld.sock)/test"
)

func prefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestParseNetworks(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"empty", "", nil, ""},
		{"blanks", " , ,", nil, ""},
		{"two", "10.0.0.0/8,192.168.1.0/24", []string{"10.0.0.0/8", "192.168.1.0/24"}, ""},
		{"spaces", " 10.0.0.0/8 , fd00::/8 ", []string{"10.0.0.0/8", "fd00::/8"}, ""},
		{"masked", "10.1.2.3/8", []string{"10.0.0.0/8"}, ""},
		{"bare v4", "192.0.2.7", []string{"192.0.2.7/32"}, ""},
		{"bare v6", "2001:db8::1", []string{"2001:db8::1/128"}, ""},
		{"bad prefix", "10.0.0.0/33", nil, `invalid network "10.0.0.0/33"`},
		{"hostname", "db.example.com", nil, `invalid network "db.example.com"`},
		{"one bad", "10.0.0.0/8,nope", nil, `invalid network "nope"`},
		{"zone", "fe80::1%eth0", nil, "zones are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNetworks(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseNetworks(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNetworks(%q): %v", tt.in, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseNetworks(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i].String() != tt.want[i] {
					t.Errorf("ParseNetworks(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestDialGuardControl(t *testing.T) {
	private := prefixes(t, "10.0.0.0/8", "fd00::/8")
	tests := []struct {
		name     string
		allowed  []netip.Prefix
		network  string
		addr     string
		wantErr  string
		wantPass bool
	}{
		{"in list", private, "tcp4", "10.1.2.3:5432", "", true},
		{"v6 in list", private, "tcp6", "[fd12::1]:5432", "", true},
		{"loopback", private, "tcp4", "127.0.0.1:5432", "address 127.0.0.1 is not an address", false},
		{"v6 loopback", private, "tcp6", "[::1]:5432", "address ::1 is not an address", false},
		{"metadata", private, "tcp4", "169.254.169.254:80", "address 169.254.169.254 is not", false},
		{"v4-mapped loopback", private, "tcp6", "[::ffff:127.0.0.1]:5432", "address 127.0.0.1 is not", false},
		{"v4-mapped in list", private, "tcp6", "[::ffff:10.0.0.1]:5432", "", true},
		{"zoned", prefixes(t, "fe80::/10"), "tcp6", "[fe80::1%lo]:5432", "", true},
		{"udp", private, "udp4", "10.0.0.1:53", `network "udp4" refused`, false},
		{"unparsable", private, "tcp4", "nope", "unparsable address", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newDialGuard(tt.allowed).control(tt.network, tt.addr, nil)
			if err != nil && !errors.Is(err, errNotAllowed) {
				t.Errorf("control(%s, %s) = %v, not errNotAllowed", tt.network, tt.addr, err)
			}
			if tt.wantPass {
				if err != nil {
					t.Fatalf("control(%s, %s) = %v, want nil", tt.network, tt.addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("control(%s, %s) = %v, want an error containing %q", tt.network, tt.addr, err, tt.wantErr)
			}
		})
	}
}

func TestDialGuardRefusesBeforeConnecting(t *testing.T) {
	g := newDialGuard(prefixes(t, "10.0.0.0/8"))
	tests := []struct{ name, network, addr, want string }{
		{"unix socket", "unix", "/run/mysqld/mysqld.sock", "unix socket /run/mysqld/mysqld.sock refused"},
		{"udp", "udp", "10.0.0.1:53", `network "udp" refused`},
		// Nothing need listen: the refusal comes before connect(2).
		{"loopback", "tcp", "127.0.0.1:1", "address 127.0.0.1 is not an address tenants' databases may be at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := g.dial(context.Background(), tt.network, tt.addr, 0)
			if err == nil {
				c.Close()
				t.Fatalf("dial(%s, %s) succeeded", tt.network, tt.addr)
			}
			if err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, errNotAllowed) {
				t.Fatalf("dial(%s, %s) = %q, want %q", tt.network, tt.addr, err, tt.want)
			}
		})
	}
}

// TestNetworks opens the test databases (on 127.0.0.1) under several allow-lists. A
// refusal reads like any other network failure, and comes from the guard (errNotAllowed).
func TestNetworks(t *testing.T) {
	for _, m := range []struct {
		name      string
		make      func(testing.TB) backend
		socketDSN string
	}{
		{"postgres", postgresBackend, postgresSocketDSN},
		{"mysql", mysqlBackend, mysqlSocketDSN},
	} {
		t.Run(m.name, func(t *testing.T) {
			b := m.make(t)
			if !strings.Contains(b.cfg.DSN, "127.0.0.1") {
				t.Skipf("the %s DSN does not name 127.0.0.1; these tests need the database there", m.name)
			}
			localhost := strings.Replace(b.cfg.DSN, "127.0.0.1", "localhost", 1)
			private := prefixes(t, "10.0.0.0/8")
			tests := []struct {
				name    string
				dsn     string
				allowed []netip.Prefix
				refused bool
			}{
				{"loopback allowed", b.cfg.DSN, prefixes(t, "127.0.0.0/8"), false},
				{"single address allowed", b.cfg.DSN, prefixes(t, "10.0.0.0/8", "127.0.0.1/32"), false},
				{"hostname resolving to allowed", localhost, loopback, false},
				{"no list: loopback refused", b.cfg.DSN, nil, true},
				{"empty list: loopback refused", b.cfg.DSN, []netip.Prefix{}, true},
				{"loopback not in list", b.cfg.DSN, private, true},
				// localhost may resolve to ::1 as well as 127.0.0.1: either is refused.
				{"hostname resolving to refused", localhost, private, true},
				{"hostname resolving to loopback, no list", localhost, nil, true},
				{"unix socket refused", m.socketDSN, loopback, true},
				{"unix socket refused, no list", m.socketDSN, nil, true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					cfg := b.cfg
					cfg.DSN, cfg.Networks = tt.dsn, tt.allowed
					if !tt.refused {
						b.cfg = cfg
						db := openTenant(t, b)
						if got := query(t, db, "SELECT 1"); responseError(t, got) != "" {
							t.Fatalf("SELECT 1 = %s", got)
						}
						return
					}
					ce := connectError(t, cfg, "")
					if ce.Driver != m.name || ce.Reason != ReasonUnreachable || !errors.Is(ce, errNotAllowed) {
						t.Fatalf("ConnectError = %+v (%v), want %q from the guard", ce, errors.Unwrap(ce), ReasonUnreachable)
					}
				})
			}
		})
	}
}

// TestNetworksReconnect checks that every new pooled connection is checked, not only the
// first: a reconnect to an address no longer allowed (as after a DNS change) fails the
// request with an error response.
func TestNetworksReconnect(t *testing.T) {
	for _, m := range []struct {
		name string
		make func(testing.TB) backend
	}{
		{"postgres", postgresBackend},
		{"mysql", mysqlBackend},
	} {
		t.Run(m.name, func(t *testing.T) {
			b := m.make(t)
			if !strings.Contains(b.cfg.DSN, "127.0.0.1") {
				t.Skipf("the %s DSN does not name 127.0.0.1; this test needs the database there", m.name)
			}
			g := newDialGuard(prefixes(t, "127.0.0.0/8"))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			db, err := open(ctx, b.cfg, g)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			defer db.Close()
			if e := responseError(t, query(t, db, "SELECT 1")); e != "" {
				t.Fatalf("SELECT 1 while allowed: %s", e)
			}

			// Drop the pooled connections and stop allowing the address.
			db.db.SetMaxIdleConns(0)
			g.allowed = prefixes(t, "10.0.0.0/8")

			e := responseError(t, query(t, db, "SELECT 1"))
			if e != ReasonUnreachable {
				t.Fatalf("SELECT 1 after the list changed: error %q, want %q", e, ReasonUnreachable)
			}

			// The list, nothing else, refused it.
			g.allowed = prefixes(t, "127.0.0.0/8")
			if e := responseError(t, query(t, db, "SELECT 1")); e != "" {
				t.Fatalf("SELECT 1 allowed again: %s", e)
			}
		})
	}
}

// TestUnixSockets checks the sockets the refusal tests use are real: the database
// answers there, to a client without the guard. Without CI=true a missing
// database skips it; in CI it fails, so the refusal tests cannot pass
// against sockets that do not exist.
func TestUnixSockets(t *testing.T) {
	for _, tt := range []struct{ driver, sqlDriver, dsn string }{
		{"postgres", "pgx", postgresSocketDSN},
		{"mysql", "mysql", mysqlSocketDSN},
	} {
		t.Run(tt.driver, func(t *testing.T) {
			db, err := sql.Open(tt.sqlDriver, tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := db.PingContext(ctx); err != nil {
				unavailable(t, tt.driver+" on its Unix socket ("+MaskDSN(tt.driver, tt.dsn)+")", "", err)
			}
		})
	}
}

func BenchmarkDialGuardControl(b *testing.B) {
	g := newDialGuard(prefixes(b, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"))
	for b.Loop() {
		if err := g.control("tcp4", "192.168.1.20:5432", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseNetworks(f *testing.F) {
	for _, s := range []string{"", "10.0.0.0/8,192.168.1.0/24", "2001:db8::1", "fe80::1%eth0", " , 1.2.3.4/33"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseNetworks(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
				t.Fatalf("ParseNetworks(%q) gave %v", s, p)
			}
		}
	})
}
