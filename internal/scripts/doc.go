// Package scripts runs tenants' WebAssembly modules for the auth service: it
// implements auth.Scripts on top of the wazero engine in runtime/ and the
// legacy database pools of host/legacydb. It builds each call's input JSON,
// maps a tenant's limits onto the engine's, keeps one database pool per
// tenant, and turns the engine's answers, failures and log lines into the
// domain's types.
package scripts
