package legacydb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ParseNetworks parses a comma-separated list of CIDR prefixes (such as
// "10.0.0.0/8,192.168.1.0/24"), the operator's allowed networks for Config.Networks. A
// bare address is a prefix of one address. Blank entries are skipped; an empty s is nil.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(f, "/") {
			var err error
			if p, err = netip.ParsePrefix(f); err != nil {
				return nil, fmt.Errorf("invalid network %q: want a CIDR prefix such as 10.0.0.0/8", f)
			}
		} else {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("invalid network %q: want a CIDR prefix such as 10.0.0.0/8", f)
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("invalid network %q: zones are not allowed", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// errNotAllowed marks a dial refused by the operator's allowed networks.
var errNotAllowed = errors.New("not in the operator's allowed networks")

// dialGuard dials a tenant's database connections, refusing addresses outside the
// operator's allowed networks. The check runs in the dialer's Control hook, on the
// address the socket is about to connect to, after name resolution: a hostname that
// resolves (or later re-resolves) to a refused address is refused.
type dialGuard struct {
	// allowed are the networks a connection may reach; empty allows any address and
	// any network, Unix sockets included.
	allowed []netip.Prefix
}

func newDialGuard(allowed []netip.Prefix) *dialGuard {
	g := &dialGuard{}
	for _, p := range allowed {
		if p.IsValid() {
			g.allowed = append(g.allowed, p.Masked())
		}
	}
	return g
}

// dialer returns a dial function whose dials time out after timeout (if positive).
func (g *dialGuard) dialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return g.dial(ctx, network, addr, timeout)
	}
}

// dial dials addr on network, checking the address actually connected to.
func (g *dialGuard) dial(ctx context.Context, network, addr string, timeout time.Duration) (net.Conn, error) {
	if len(g.allowed) > 0 {
		switch network {
		case "tcp", "tcp4", "tcp6":
		case "unix", "unixpacket", "unixgram":
			return nil, fmt.Errorf("unix socket %s refused: only TCP connections to the operator's allowed networks are allowed", addr)
		default:
			return nil, fmt.Errorf("network %q refused: only TCP connections to the operator's allowed networks are allowed", network)
		}
	}
	d := net.Dialer{Timeout: timeout}
	if len(g.allowed) > 0 {
		d.Control = g.control
	}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		// net.OpError's message would repeat the address; say it once, clearly.
		var nae *notAllowedError
		if errors.As(err, &nae) {
			return nil, nae
		}
		return nil, err
	}
	return c, nil
}

// notAllowedError is a refused address.
type notAllowedError struct{ addr netip.Addr }

func (e *notAllowedError) Error() string {
	return fmt.Sprintf("address %s is %v", e.addr, errNotAllowed)
}

func (e *notAllowedError) Unwrap() error { return errNotAllowed }

// control is the dialer's Control hook: it runs after resolution, just before connect.
func (g *dialGuard) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp4", "tcp6":
	default:
		return fmt.Errorf("network %q refused: only TCP connections to the operator's allowed networks are allowed", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing unparsable address %q: %v", address, err)
	}
	a := ap.Addr().Unmap().WithZone("")
	if !g.allows(a) {
		return &notAllowedError{addr: a}
	}
	return nil
}

// allows reports whether a is in the allowed networks (always, when there are none).
func (g *dialGuard) allows(a netip.Addr) bool {
	if len(g.allowed) == 0 {
		return true
	}
	for _, p := range g.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
