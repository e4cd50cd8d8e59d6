package httpapi

import (
	"net/netip"
	"strings"
)

// ClientAddr returns the address of the client behind a request whose socket
// peer is peer. Only when peer is in trusted are the forwarding headers
// read: X-Forwarded-For (every value, in order) when present, else the
// "for" parameters of RFC 7239 Forwarded. The hops are walked from the
// right, the one the peer added, and the first address not itself trusted
// is the client; when every hop is trusted, the leftmost one is. A hop that
// does not parse (such as "unknown" or an obfuscated name) ends the walk at
// the trusted hop to its right, so a client never names itself through
// garbage.
func ClientAddr(peer netip.Addr, trusted []netip.Prefix, xff []string, forwarded []string) netip.Addr {
	peer = peer.Unmap()
	if !inAny(trusted, peer) {
		return peer
	}
	var hops []string
	if len(xff) > 0 {
		for _, v := range xff {
			hops = append(hops, strings.Split(v, ",")...)
		}
	} else {
		for _, v := range forwarded {
			hops = append(hops, forwardedFor(v)...)
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = a
		if !inAny(trusted, a) {
			break
		}
	}
	return client
}

func inAny(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the "for" value of each element of a Forwarded
// header, in order; an element without one gives "" (which does not parse,
// ending the walk there).
func forwardedFor(v string) []string {
	var out []string
	for _, elem := range splitQuoted(v, ',') {
		found := ""
		for _, pair := range splitQuoted(elem, ';') {
			k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
				found = unquote(strings.TrimSpace(val))
			}
		}
		out = append(out, found)
	}
	return out
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote removes the quotes of an RFC 7230 quoted-string and its escapes.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseHop parses one hop: an IPv4 or IPv6 address, optionally with a port
// ("192.0.2.1:80", "[2001:db8::1]:80") or in brackets ("[2001:db8::1]").
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil && a.Is6() && a.Zone() == "" {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
