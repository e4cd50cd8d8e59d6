package auth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"
)

// BackupRecord is one record of a store's export, the unit of a backup and
// of a restore. Exactly one field is set. The kinds are listed once, in
// backupKinds (backupformat.go); a new kind is a field here, a row there, and
// a case in each backend's Export and Import.
//
// Export gives each tenant's records after the tenant itself and each
// user's sessions after the user; the rate limiter's states belong to no
// tenant.
type BackupRecord struct {
	Tenant    *Tenant
	Counters  *TenantCounters
	Script    *ScriptVersion
	Client    *Client
	User      *User
	Session   *SessionBackup
	Audit     *AuditEvent
	Log       *TenantLogEntry
	RateLimit *RateLimitState
}

// TenantCounters are the counts of a tenant that its other records do not
// determine: the migration stats (the legacy outcomes are counted nowhere
// else) and the last script version given out, which stays above the
// versions deleted since so that their numbers are not given out again.
type TenantCounters struct {
	Tenant            string
	Stats             MigrationStats
	LastScriptVersion int
}

// ScriptVersion is one stored script version with its module.
type ScriptVersion struct {
	Script
	Module []byte
}

// SessionBackup is a session with every refresh token it has issued.
type SessionBackup struct {
	Session
	RefreshTokens []RefreshToken
}

// RefreshToken is the hash of a refresh token of a session. Rotated is set
// once it has been exchanged; presenting it again is reuse.
type RefreshToken struct {
	Hash    []byte
	Rotated bool
}

// RecordError is an Import error about a record read before the last one:
// the Record-th of the import, counting from 1.
type RecordError struct {
	Record int
	Err    error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Record, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// TenantLogEntry is one line of a tenant's script log.
type TenantLogEntry struct {
	Tenant string
	LogEntry
}

// Backup writes a backup of the whole store to w: versioned JSON lines (see
// backupformat.go), read from one consistent snapshot. Nothing reaches w
// until the first 64 KiB are ready, so a backup that fails at once has
// written nothing; one that fails later has written no end line, and
// RestoreBackup refuses it.
func (s *Service) Backup(ctx context.Context, w io.Writer) error {
	return WriteBackup(ctx, s.store, w, s.now())
}

// backupBuffer is the size of the buffer between a backup and its writer.
const backupBuffer = 64 << 10

// WriteBackup writes a backup of st to w; Service.Backup describes it. now
// is the time written in the header.
func WriteBackup(ctx context.Context, st Store, w io.Writer, now time.Time) error {
	bw := bufio.NewWriterSize(w, backupBuffer)
	enc := newBackupEncoder(bw)
	if err := enc.header(now); err != nil {
		return err
	}
	if err := st.Export(ctx, enc.record); err != nil {
		return err
	}
	if err := enc.end(); err != nil {
		return err
	}
	return bw.Flush()
}

// RestoreBackup reads a backup made by WriteBackup from r and imports it
// into st, which must be empty (ErrStoreNotEmpty). It refuses an unknown
// format or version, a malformed, unknown or out-of-order line, and a
// backup without its end line (cut short), with an error that names the
// line; a record the store refuses (a duplicate email, say) is reported
// with its line too. A failed restore leaves part of the backup in st:
// throw st away.
func RestoreBackup(ctx context.Context, st Store, r io.Reader) error {
	dec := newBackupDecoder(r)
	err := st.Import(ctx, dec.records())
	if err == nil {
		err = dec.finish()
	}
	return dec.wrap(err)
}
