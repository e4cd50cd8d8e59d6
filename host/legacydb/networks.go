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

// errNotAllowed marks a dial refused by the operator's allowed networks or, without them,
// by the default rule.
var errNotAllowed = errors.New("not an address tenants' databases may be at")

// dialGuard dials a tenant's database connections over TCP only, refusing addresses the
// operator does not allow. The check runs in the dialer's Control hook, on the address
// the socket is about to connect to, after name resolution: a hostname that resolves (or
// later re-resolves) to a refused address is refused, before connect(2).
type dialGuard struct {
	// allowed are the only networks a connection may reach; when empty, any address
	// may be reached except those of the server itself and its link (see isLocal).
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
	switch network {
	case "tcp", "tcp4", "tcp6":
	case "unix", "unixpacket", "unixgram":
		return nil, fmt.Errorf("unix socket %s refused: %w", addr, errOnlyTCP)
	default:
		return nil, fmt.Errorf("network %q refused: %w", network, errOnlyTCP)
	}
	d := net.Dialer{Timeout: timeout, Control: g.control}
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

// errOnlyTCP marks a dial refused for its network.
var errOnlyTCP = fmt.Errorf("only TCP connections are allowed: %w", errNotAllowed)

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
		return fmt.Errorf("network %q refused: %w", network, errOnlyTCP)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing unparsable address %q: %w", address, errNotAllowed)
	}
	a := ap.Addr().Unmap().WithZone("")
	if !g.allows(a) {
		return &notAllowedError{addr: a}
	}
	return nil
}

// allows reports whether a is in the allowed networks or, when there are none, not local.
func (g *dialGuard) allows(a netip.Addr) bool {
	if len(g.allowed) == 0 {
		return !isLocal(a)
	}
	for _, p := range g.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// thisNetwork is 0.0.0.0/8: connecting to 0.0.0.0 reaches the server itself.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// isLocal reports whether a (unmapped) is an address the default rule refuses: loopback
// (the server's own services), link-local (cloud metadata at 169.254.169.254, fe80::/10),
// unspecified (which connects to the server itself) or multicast.
func isLocal(a netip.Addr) bool {
	return a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || thisNetwork.Contains(a) ||
		a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast()
}
