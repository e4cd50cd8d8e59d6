// Package badgerstore is the auth.Store kept in an embedded Badger v4
// database: Open for a directory (writes synced before they are
// acknowledged), OpenInMemory for tests.
//
// # Key layout
//
// Every record of a tenant lives under the tenant's prefix "t␀{tenant}␀", so
// DeleteTenant is one prefix drop and no key of one tenant is a prefix of
// another's. Tenant records live apart, under "T␀", so listing tenants is
// one short scan. The rate limiter's state lives under "R␀{limiter key}"
// (Until in Unix nanoseconds, 8 bytes; TTL: Until), outside every tenant:
// its keys name their tenant, and a deleted tenant's expire within a
// window. Console sessions live under "K␀{SHA-256 of the cookie, hex}"
// (JSON; TTL: their expiry), outside every tenant too. "␀" is the byte 0x00; ids may not contain it. Under the
// tenant prefix a key is "{kind}␀{parts}":
//
//	key (after t␀{tenant}␀)           value                       notes
//	u␀{user id}                       user JSON
//	e␀{email}                         user id                     unique index
//	n␀{username}                      user id                     unique index
//	l␀{legacy id}                     user id                     unique index
//	o␀{created_at:8}{user id}         (empty)                     creation order
//	os␀{source}␀{created_at:8}{id}    (empty)                     creation order per source
//	c␀{shard:1}                       counters JSON               8 shards, summed on read
//	mh␀{hour:8}␀{shard:1}             migrations that hour:8      8 shards, summed on read
//	sv␀                               last script version:4
//	sm␀{version:4}                    script metadata JSON
//	sb␀{version:4}{chunk:4}           module, 512 KiB pieces      value log when ≥ 64 KiB
//	s␀{session id}                    session JSON                TTL: expiry + 24 h
//	us␀{user id}␀{session id}         (empty)                     TTL: expiry + 24 h
//	r␀{refresh token hash}            {session id, rotated}       TTL: expiry + 24 h
//	sr␀{session id}␀{hash}            (empty)                     TTL: expiry + 24 h
//	a␀{^time:8}{event id}             audit event JSON            newest first
//	L␀{^time:8}{^seq:8}               log line JSON               newest first, capped
//	dr␀                               drain job JSON              counts and cursor
//	lt␀                               login timing JSON           histograms of verifying logins
//
// {x:8} is a big-endian uint64 that sorts like the time (^ inverts it, so
// newer sorts first); {version:4} a big-endian uint32. Audit events and log
// lines past their retention are one range at the end of their kind's
// prefix, which DeleteAuditBefore and DeleteLogsBefore delete (RATIONALE.md
// says why not TTLs). The ListUsers and
// ListAudit cursors are the base64url key suffix of the last item returned;
// a page resumes strictly after it.
//
// Values are JSON of private record types with explicit field names, not
// the auth types themselves: JSON is stable, readable with Badger's tools,
// and gains fields without migrations, and the records keep the stored names
// fixed when the domain types change. The cost (a few microseconds per
// record) is small next to an fsync. Module bytes are stored raw, in pieces
// of 512 KiB: in-memory Badger cannot hold values of 1 MiB or more, and on disk the
// pieces live in the value log, out of the LSM tree.
//
// # Backups
//
// Export walks every record in one read transaction and Import writes
// them back into an empty store, key by key as the methods above would
// (counters into one shard); the backup format itself is auth's
// (auth.WriteBackup), so it names no Badger detail.
//
// # Consistency
//
// Every write is one Badger transaction. Badger detects conflicts between
// transactions that read a key another one wrote meanwhile; update retries
// such a transaction (up to 64 times, with a jittered, growing pause), so
// fn passed to UpdateTenant or UpdateUser may run more than once. A check
// and its write are always in the same transaction: CreateUser reads the
// email, username and legacy id indexes it then writes, so of concurrent
// registrations of one email exactly one commits. The counters behind
// MigrationStats are updated in the transaction that creates or deletes the
// user, in a randomly chosen shard to keep concurrent registrations from
// conflicting on one key; so are the hourly migration counters behind
// MigrationHistory (history.go). Each tenant-scoped write reads the tenant record,
// so it conflicts with a concurrent UpdateTenant or DeleteTenant instead of
// writing under a deleted tenant. ImportUsers writes a whole drain page —
// its users, their counters and the drain job with its counts and cursor —
// in one transaction, so a crash leaves either all of it or none.
package badgerstore
