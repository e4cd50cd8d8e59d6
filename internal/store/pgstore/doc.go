// Package pgstore is the auth.Store kept in PostgreSQL, which any number of
// wasmauth servers may share. Open connects (pgxpool), creates or upgrades
// the schema and refuses one newer than the binary.
//
// # Schema
//
// The schema is the numbered SQL files in migrations/, embedded in the
// binary and applied by goose under a PostgreSQL advisory lock, so that
// servers starting together apply each once. Every tenant-scoped table
// leads with tenant_id and cascades from tenants:
//
//	table             key                     notes
//	tenants           id                      keys and connection as jsonb; last_script numbers versions
//	scripts           tenant_id, version      module bytea; the tenant's active_script references it
//	users             tenant_id, id           unique (tenant_id, email | username | legacy_id), NULL when empty
//	tenant_stats      tenant_id, shard        8 counter rows per tenant, summed on read
//	sessions          tenant_id, id           cascades from its user; swept 24 h after expiry
//	refresh_tokens    tenant_id, hash         rotated marks a used token; cascades from its session
//	audit             tenant_id, id           listed by (time DESC, id)
//	script_logs       seq                     listed by (time DESC, seq DESC); about LogCap per tenant
//	rate_limits       key (bytea)             until in Unix nanoseconds
//	login_timing      tenant_id               the login-time calibration as jsonb
//	migration_history tenant_id, hour, shard  migrations per hour, 8 shards summed on read
//	clients           tenant_id, id           OpenID Connect clients as jsonb, listed by (created_at, id)
//	auth_requests     tenant_id, id           pending authorization requests as jsonb; unique code_hash
//	browser_sessions  tenant_id, id_hash      cascades from its user; swept with auth_requests at expiry
//	drains            tenant_id               the drain job as jsonb, saved with each page's users and counts
//	console_sessions  id_hash                 web console sessions of any tenant or the operator; expired ones dropped at a sign-in
//
// Times are bigint Unix nanoseconds, as Badger and the backup format keep
// them; the zero time is NULL.
//
// # Consistency
//
// The database enforces the rules the conformance suite checks: unique
// constraints (mapped to auth.ErrEmailTaken and the others), foreign keys
// (an unknown tenant or user is auth.ErrNotFound, deleting the active script
// auth.ErrScriptActive), row locks (a refresh rotation locks the token and
// its session first; an upload locks its tenant's row to take the next
// version number and count the quota). Lost or refused connections are
// auth.ErrUnavailable, which the HTTP API answers with 503; the pool
// reconnects by itself. A trigger announces deleted tenants on a channel
// that Watch listens to, so other servers drop what they keep of them.
package pgstore
