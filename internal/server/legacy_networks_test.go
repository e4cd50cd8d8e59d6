package server_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wasmauth/wasmauth/host/legacydb"
	"github.com/wasmauth/wasmauth/internal/server"
	"github.com/wasmauth/wasmauth/internal/testserver"
)

// TestLegacyNetworks checks the operator's allow-list through PUT /connection: a DSN
// reaching an address outside it is 422 connection_failed, read like any network
// failure, one inside it connects.
func TestLegacyNetworks(t *testing.T) {
	for _, driver := range []string{"postgres", "mysql"} {
		t.Run(driver, func(t *testing.T) {
			tests := []struct {
				name     string
				networks []netip.Prefix
				dsn      func(dsn string) string
				refused  string // "" when the connection must succeed
			}{
				{name: "allowed", networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
				{name: "address refused", networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
					refused: legacydb.ReasonUnreachable},
				{name: "hostname refused", networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
					dsn:     func(dsn string) string { return strings.Replace(dsn, "127.0.0.1", "localhost", 1) },
					refused: legacydb.ReasonUnreachable},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ts := testserver.Start(t, server.Config{LegacyNetworks: tt.networks})
					legacy := ts.LegacyDB(t, driver, "acme")
					key := ts.CreateTenant("acme")
					dsn := legacy.DSN
					if tt.dsn != nil {
						dsn = tt.dsn(dsn)
					}
					r := ts.Do("PUT", "/admin/v1/tenants/acme/connection", key,
						map[string]any{"driver": driver, "dsn": dsn, "config": legacy.Config})
					if tt.refused == "" {
						ts.Must(r, 200, "PUT /connection")
						return
					}
					mustFailConnection(t, r, tt.refused)
				})
			}
		})
	}
}
