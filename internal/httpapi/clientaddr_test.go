package httpapi_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/internal/httpapi"
)

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	tests := []struct {
		name     string
		peer     string
		trusted  []netip.Prefix
		xff, fwd []string
		want     string
	}{
		{name: "no proxies: headers ignored", peer: "192.0.2.1", xff: []string{"198.51.100.7"}, fwd: []string{"for=198.51.100.8"}, want: "192.0.2.1"},
		{name: "untrusted peer: headers ignored", peer: "192.0.2.1", trusted: proxies, xff: []string{"198.51.100.7"}, want: "192.0.2.1"},
		{name: "trusted peer without headers", peer: "10.0.0.5", trusted: proxies, want: "10.0.0.5"},
		{name: "one hop", peer: "10.0.0.5", trusted: proxies, xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "spoofed left entries skipped", peer: "10.0.0.5", trusted: proxies, xff: []string{"1.2.3.4, 5.6.7.8, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "chain of trusted proxies", peer: "10.0.0.5", trusted: proxies, xff: []string{"1.2.3.4, 198.51.100.7, 10.1.1.1, 10.2.2.2"}, want: "198.51.100.7"},
		{name: "several header lines in order", peer: "10.0.0.5", trusted: proxies, xff: []string{"1.2.3.4", "198.51.100.7, 10.1.1.1"}, want: "198.51.100.7"},
		{name: "every hop trusted: the leftmost", peer: "10.0.0.5", trusted: proxies, xff: []string{"10.9.9.9, 10.1.1.1"}, want: "10.9.9.9"},
		{name: "garbage ends the walk at the trusted hop", peer: "10.0.0.5", trusted: proxies, xff: []string{"198.51.100.7, junk, 10.1.1.1"}, want: "10.1.1.1"},
		{name: "garbage rightmost: the peer", peer: "10.0.0.5", trusted: proxies, xff: []string{"198.51.100.7, not-an-ip"}, want: "10.0.0.5"},
		{name: "empty header: the peer", peer: "10.0.0.5", trusted: proxies, xff: []string{""}, want: "10.0.0.5"},
		{name: "IPv4 with port", peer: "10.0.0.5", trusted: proxies, xff: []string{"198.51.100.7:5123"}, want: "198.51.100.7"},
		{name: "IPv6", peer: "10.0.0.5", trusted: proxies, xff: []string{"2001:db8::17"}, want: "2001:db8::17"},
		{name: "IPv6 in brackets with port", peer: "10.0.0.5", trusted: proxies, xff: []string{"[2001:db8::17]:443"}, want: "2001:db8::17"},
		{name: "IPv4-mapped IPv6 unmapped", peer: "::ffff:10.0.0.5", trusted: proxies, xff: []string{"::ffff:198.51.100.7"}, want: "198.51.100.7"},
		{name: "zones refused", peer: "10.0.0.5", trusted: proxies, xff: []string{"fe80::1%eth0"}, want: "10.0.0.5"},
		{name: "IPv6 proxy", peer: "2001:db8:ffff::1", trusted: proxies, xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "Forwarded", peer: "10.0.0.5", trusted: proxies, fwd: []string{"for=198.51.100.7;proto=https;by=10.0.0.5"}, want: "198.51.100.7"},
		{name: "Forwarded quoted IPv6 with port", peer: "10.0.0.5", trusted: proxies, fwd: []string{`for="[2001:db8:cafe::17]:4711"`}, want: "2001:db8:cafe::17"},
		{name: "Forwarded rightmost untrusted", peer: "10.0.0.5", trusted: proxies, fwd: []string{"for=1.2.3.4, for=198.51.100.7;proto=http, For=10.1.1.1"}, want: "198.51.100.7"},
		{name: "Forwarded comma inside quotes", peer: "10.0.0.5", trusted: proxies, fwd: []string{`for=1.2.3.4;x="a,b", for="198.51.100.7"`}, want: "198.51.100.7"},
		{name: "Forwarded unknown", peer: "10.0.0.5", trusted: proxies, fwd: []string{"for=198.51.100.7, for=unknown"}, want: "10.0.0.5"},
		{name: "Forwarded element without for", peer: "10.0.0.5", trusted: proxies, fwd: []string{"for=198.51.100.7, proto=https"}, want: "10.0.0.5"},
		{name: "X-Forwarded-For wins over Forwarded", peer: "10.0.0.5", trusted: proxies, xff: []string{"198.51.100.7"}, fwd: []string{"for=1.2.3.4"}, want: "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := httpapi.ClientAddr(netip.MustParseAddr(tt.peer), tt.trusted, tt.xff, tt.fwd)
			if got.String() != tt.want {
				t.Fatalf("ClientAddr = %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzClientAddr checks that whatever the headers say, the answer is the
// peer when it is not trusted, and otherwise the peer or an address the
// headers name, valid and without a zone.
func FuzzClientAddr(f *testing.F) {
	f.Add("198.51.100.7, 10.1.1.1", `for="[2001:db8::1]:80";proto=https`, true)
	f.Add("", `for=unknown, for="\"x,y\""`, true)
	f.Add("[::1]:1, ::ffff:1.2.3.4", "for=", false)
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, xff, fwd string, peerTrusted bool) {
		peer := netip.MustParseAddr("192.0.2.1")
		if peerTrusted {
			peer = netip.MustParseAddr("10.0.0.5")
		}
		var xffs []string
		if xff != "" {
			xffs = []string{xff}
		}
		got := httpapi.ClientAddr(peer, trusted, xffs, []string{fwd})
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("ClientAddr = %v", got)
		}
		if !peerTrusted && got != peer {
			t.Fatalf("untrusted peer: ClientAddr = %v, want %v", got, peer)
		}
		if got != peer && !strings.Contains(xff+fwd, strings.TrimPrefix(got.String(), "::ffff:")) && !got.Is6() {
			t.Fatalf("ClientAddr = %v, named by neither the peer nor the headers", got)
		}
	})
}
