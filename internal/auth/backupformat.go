package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// The backup format is JSON lines: one JSON object per line, each line
// ended by "\n". The first line names the format and its version, each
// following line is one record with its kind, and the last line counts the
// records, so a backup cut short at a line boundary is told from a whole one:
//
//	{"format":"wasmauth-backup","version":1,"created_at":"2026-12-03T07:00:00Z"}
//	{"kind":"tenant","id":"acme","name":"Acme","created_at":"...","api_key_hash":"...","signing_keys":[...]}
//	{"kind":"counters","tenant":"acme","users_migrated":3,...,"last_script_version":2}
//	{"kind":"script","tenant":"acme","version":2,...,"module":"AGFzbQEAAAA..."}
//	{"kind":"client","tenant":"acme","id":"...","type":"confidential","secret_hash":"...",...}
//	{"kind":"user","tenant":"acme","id":"...","email":"ann@example.com",...}
//	{"kind":"session","tenant":"acme","id":"...","user_id":"...",...,"refresh_tokens":[{"hash":"...","rotated":true}]}
//	{"kind":"audit","tenant":"acme","id":"...","time":"...","type":"login_succeeded",...}
//	{"kind":"log","tenant":"acme","time":"...","level":"info","op":"login","message":"..."}
//	{"kind":"rate_limit","key":"...","until":"..."}
//	{"kind":"end","records":1234}
//
// Ephemeral records are left out: authorization requests, browser
// sessions, password reset tokens and the mail outbox (docs/API.md says why).
//
// The counters' legacy_inactive and legacy_locked are written only when not
// zero: a backup without them is read whole by readers older than them,
// and one with them is refused by those readers rather than cut.
//
// Byte fields (hashes, private keys, modules) are standard base64, times
// RFC 3339 with nanoseconds. The json names below are the format: renaming a
// Go field must not change them. A reader refuses fields and kinds it does
// not know rather than drop them; a change that an older reader could not
// take whole is a new version.
const (
	// BackupFormat is the format name in a backup's first line.
	BackupFormat = "wasmauth-backup"
	// BackupVersion is the version of the format this code writes and reads.
	BackupVersion = 1
)

// maxBackupLine bounds one line of a backup. The longest is a script: the
// base64 of the largest module a store keeps (16 MiB) is 21.4 MiB.
const maxBackupLine = 32 << 20

// backupKind is one kind of record: its name in the file, its line when rec
// is of this kind (nil otherwise), and an empty line to decode into.
type backupKind struct {
	name    string
	line    func(rec *BackupRecord) backupLine
	newLine func() backupLine
}

// backupKinds lists every kind of record, in the order Export gives them
// for a tenant. This is the one list of kinds; the decoder, the encoder and
// the tests take it from here.
var backupKinds = []backupKind{
	{"tenant", func(r *BackupRecord) backupLine { return lineOf(r.Tenant, tenantLineOf) }, func() backupLine { return new(tenantLine) }},
	{"counters", func(r *BackupRecord) backupLine { return lineOf(r.Counters, countersLineOf) }, func() backupLine { return new(countersLine) }},
	{"script", func(r *BackupRecord) backupLine { return lineOf(r.Script, scriptLineOf) }, func() backupLine { return new(scriptLine) }},
	{"client", func(r *BackupRecord) backupLine { return lineOf(r.Client, clientLineOf) }, func() backupLine { return new(clientLine) }},
	{"user", func(r *BackupRecord) backupLine { return lineOf(r.User, userLineOf) }, func() backupLine { return new(userLine) }},
	{"session", func(r *BackupRecord) backupLine { return lineOf(r.Session, sessionLineOf) }, func() backupLine { return new(sessionLine) }},
	{"audit", func(r *BackupRecord) backupLine { return lineOf(r.Audit, auditLineOf) }, func() backupLine { return new(auditLine) }},
	{"log", func(r *BackupRecord) backupLine { return lineOf(r.Log, logLineOf) }, func() backupLine { return new(logLine) }},
	{"rate_limit", func(r *BackupRecord) backupLine { return lineOf(r.RateLimit, rateLimitLineOf) }, func() backupLine { return new(rateLimitLine) }},
}

// backupLine is the JSON form of one kind of record.
type backupLine interface {
	setKind(name string)
	// record returns the record of a decoded line, checking what the
	// format alone can check.
	record() (*BackupRecord, error)
	// tenantID is the tenant the record belongs to, "" for none.
	tenantID() string
}

// lineOf returns conv(v), or nil when v is nil.
func lineOf[T any, L backupLine](v *T, conv func(*T) L) backupLine {
	if v == nil {
		return nil
	}
	return conv(v)
}

// lineKind is the kind field every record line starts with.
type lineKind struct {
	Kind string `json:"kind"`
}

func (k *lineKind) setKind(name string) { k.Kind = name }

type backupHeader struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

type endLine struct {
	Kind    string `json:"kind"`
	Records int    `json:"records"`
}

// endKind is the kind of the last line.
const endKind = "end"

type tenantLine struct {
	lineKind
	ID               string           `json:"id"`
	Name             string           `json:"name,omitempty"`
	CreatedAt        time.Time        `json:"created_at,omitzero"`
	APIKeyHash       []byte           `json:"api_key_hash,omitempty"`
	SigningKeys      []signingKeyLine `json:"signing_keys,omitempty"`
	ActiveScript     int              `json:"active_script,omitempty"`
	Connection       *connectionLine  `json:"connection,omitempty"`
	MigrationEnabled bool             `json:"migration_enabled,omitempty"`
	Branding         *brandingLine    `json:"branding,omitempty"`
	WeakLegacy       string           `json:"weak_legacy_passwords,omitempty"`
	Settings         *settingsLine    `json:"settings,omitempty"`
}

type settingsLine struct {
	BrowserSessionSeconds int64 `json:"browser_session_seconds,omitempty"`
}

type brandingLine struct {
	DisplayName string `json:"display_name,omitempty"`
	LogoURL     string `json:"logo_url,omitempty"`
	AccentColor string `json:"accent_color,omitempty"`
}

type signingKeyLine struct {
	ID        string    `json:"id"`
	Algorithm string    `json:"alg"`
	Private   []byte    `json:"private"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Use       string    `json:"use,omitempty"`
}

type connectionLine struct {
	Driver string         `json:"driver"`
	DSN    string         `json:"dsn,omitempty"`
	Config map[string]any `json:"config,omitempty"`
	Limits Limits         `json:"limits,omitzero"`
}

func tenantLineOf(t *Tenant) *tenantLine {
	l := &tenantLine{
		ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, APIKeyHash: t.APIKeyHash,
		ActiveScript: t.ActiveScript, MigrationEnabled: t.MigrationEnabled, WeakLegacy: t.WeakLegacyPasswords,
	}
	for _, k := range t.SigningKeys {
		l.SigningKeys = append(l.SigningKeys, signingKeyLine(k))
	}
	if c := t.Connection; c != nil {
		l.Connection = &connectionLine{Driver: c.Driver, DSN: c.DSN, Config: c.Config, Limits: c.Limits}
	}
	if b := t.Branding; b != nil {
		l.Branding = (*brandingLine)(b)
	}
	if t.Settings != (Settings{}) {
		l.Settings = &settingsLine{BrowserSessionSeconds: int64(t.Settings.BrowserSessionTTL / time.Second)}
	}
	return l
}

func (l *tenantLine) tenantID() string { return l.ID }

func (l *tenantLine) record() (*BackupRecord, error) {
	if l.ID == "" {
		return nil, errors.New("no id")
	}
	t := &Tenant{
		ID: l.ID, Name: l.Name, CreatedAt: l.CreatedAt, APIKeyHash: l.APIKeyHash,
		ActiveScript: l.ActiveScript, MigrationEnabled: l.MigrationEnabled, WeakLegacyPasswords: l.WeakLegacy,
	}
	for _, k := range l.SigningKeys {
		if k.ID == "" || len(k.Private) == 0 {
			return nil, errors.New("a signing key without id or private key")
		}
		t.SigningKeys = append(t.SigningKeys, SigningKey(k))
	}
	if c := l.Connection; c != nil {
		t.Connection = &Connection{Driver: c.Driver, DSN: c.DSN, Config: c.Config, Limits: c.Limits}
	}
	if st := l.Settings; st != nil {
		t.Settings.BrowserSessionTTL = time.Duration(st.BrowserSessionSeconds) * time.Second
	}
	if b := l.Branding; b != nil {
		t.Branding = (*Branding)(b)
	}
	return &BackupRecord{Tenant: t}, nil
}

type countersLine struct {
	lineKind
	Tenant            string    `json:"tenant"`
	UsersMigrated     int64     `json:"users_migrated"`
	UsersRegistered   int64     `json:"users_registered"`
	LastMigratedAt    time.Time `json:"last_migrated_at,omitzero"`
	LegacyLoginsOK    int64     `json:"legacy_ok"`
	LegacyRejected    int64     `json:"legacy_rejected"`
	LegacyErrors      int64     `json:"legacy_errors"`
	UsersImported     int64     `json:"users_imported,omitempty"`
	LegacyInactive    int64     `json:"legacy_inactive,omitempty"`
	LegacyLocked      int64     `json:"legacy_locked,omitempty"`
	LegacyConflicts   int64     `json:"legacy_conflicts,omitempty"`
	LastScriptVersion int       `json:"last_script_version"`
}

func countersLineOf(c *TenantCounters) *countersLine {
	st := c.Stats
	return &countersLine{
		Tenant: c.Tenant, UsersMigrated: st.UsersMigrated, UsersRegistered: st.UsersRegistered,
		LastMigratedAt: st.LastMigratedAt, LegacyLoginsOK: st.LegacyLoginsOK,
		LegacyRejected: st.LegacyRejected, LegacyErrors: st.LegacyErrors,
		UsersImported: st.UsersImported, LegacyInactive: st.LegacyInactive, LegacyLocked: st.LegacyLocked,
		LegacyConflicts: st.LegacyConflicts, LastScriptVersion: c.LastScriptVersion,
	}
}

func (l *countersLine) tenantID() string { return l.Tenant }

func (l *countersLine) record() (*BackupRecord, error) {
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.LastScriptVersion < 0:
		return nil, errors.New("a negative script version")
	}
	return &BackupRecord{Counters: &TenantCounters{
		Tenant: l.Tenant,
		Stats: MigrationStats{
			UsersMigrated: l.UsersMigrated, UsersRegistered: l.UsersRegistered,
			LastMigratedAt: l.LastMigratedAt, LegacyLoginsOK: l.LegacyLoginsOK,
			LegacyRejected: l.LegacyRejected, LegacyErrors: l.LegacyErrors,
			UsersImported: l.UsersImported, LegacyInactive: l.LegacyInactive, LegacyLocked: l.LegacyLocked,
			LegacyConflicts: l.LegacyConflicts,
		},
		LastScriptVersion: l.LastScriptVersion,
	}}, nil
}

type scriptLine struct {
	lineKind
	Tenant     string    `json:"tenant"`
	Version    int       `json:"version"`
	SHA256     string    `json:"sha256"`
	Size       int       `json:"size"`
	Exports    []string  `json:"exports,omitempty"`
	UploadedAt time.Time `json:"uploaded_at,omitzero"`
	Module     []byte    `json:"module"`
}

func scriptLineOf(s *ScriptVersion) *scriptLine {
	return &scriptLine{
		Tenant: s.Tenant, Version: s.Version, SHA256: s.SHA256, Size: s.Size,
		Exports: s.Exports, UploadedAt: s.UploadedAt, Module: s.Module,
	}
}

func (l *scriptLine) tenantID() string { return l.Tenant }

func (l *scriptLine) record() (*BackupRecord, error) {
	sum := sha256.Sum256(l.Module)
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.Version <= 0:
		return nil, fmt.Errorf("version %d", l.Version)
	case l.Size != len(l.Module):
		return nil, fmt.Errorf("size %d, but the module has %d bytes", l.Size, len(l.Module))
	case l.SHA256 != hex.EncodeToString(sum[:]):
		return nil, errors.New("the module does not match its sha256")
	}
	return &BackupRecord{Script: &ScriptVersion{
		Script: Script{
			Tenant: l.Tenant, Version: l.Version, SHA256: l.SHA256, Size: l.Size,
			Exports: l.Exports, UploadedAt: l.UploadedAt,
		},
		Module: l.Module,
	}}, nil
}

type clientLine struct {
	lineKind
	Tenant                 string    `json:"tenant"`
	ID                     string    `json:"id"`
	Name                   string    `json:"name,omitempty"`
	Type                   string    `json:"type"`
	SecretHash             []byte    `json:"secret_hash,omitempty"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes             []string  `json:"grant_types"`
	IDTokenAlg             string    `json:"id_token_alg,omitempty"`
	CreatedAt              time.Time `json:"created_at,omitzero"`
	UpdatedAt              time.Time `json:"updated_at,omitzero"`
}

func clientLineOf(c *Client) *clientLine {
	return &clientLine{
		Tenant: c.Tenant, ID: c.ID, Name: c.Name, Type: c.Type, SecretHash: c.SecretHash,
		RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
		GrantTypes: c.GrantTypes, IDTokenAlg: c.IDTokenAlg, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func (l *clientLine) tenantID() string { return l.Tenant }

func (l *clientLine) record() (*BackupRecord, error) {
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.ID == "":
		return nil, errors.New("no id")
	case l.Type != ClientPublic && l.Type != ClientConfidential:
		return nil, fmt.Errorf("type %q", l.Type)
	case l.Type == ClientConfidential && len(l.SecretHash) == 0:
		return nil, errors.New("a confidential client without secret_hash")
	}
	return &BackupRecord{Client: &Client{
		ID: l.ID, Tenant: l.Tenant, Name: l.Name, Type: l.Type, SecretHash: l.SecretHash,
		RedirectURIs: l.RedirectURIs, PostLogoutRedirectURIs: l.PostLogoutRedirectURIs,
		GrantTypes: l.GrantTypes, IDTokenAlg: l.IDTokenAlg, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}}, nil
}

type userLine struct {
	lineKind
	Tenant        string         `json:"tenant"`
	ID            string         `json:"id"`
	Email         string         `json:"email,omitempty"`
	Username      string         `json:"username,omitempty"`
	EmailVerified bool           `json:"email_verified,omitempty"`
	Name          string         `json:"name,omitempty"`
	Profile       map[string]any `json:"profile,omitempty"`
	PasswordHash  string         `json:"password_hash,omitempty"`
	CreatedAt     time.Time      `json:"created_at,omitzero"`
	UpdatedAt     time.Time      `json:"updated_at,omitzero"`
	Source        Source         `json:"source"`
	LegacyID      string         `json:"legacy_id,omitempty"`
	MigratedAt    time.Time      `json:"migrated_at,omitzero"`
	Imported      bool           `json:"imported,omitempty"`
	LegacyHash    string         `json:"legacy_hash,omitempty"`
	ChangePW      bool           `json:"password_change_required,omitempty"`
}

func userLineOf(u *User) *userLine {
	return &userLine{
		Tenant: u.Tenant, ID: u.ID, Email: u.Email, Username: u.Username,
		EmailVerified: u.EmailVerified, Name: u.Name, Profile: u.Profile,
		PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		Source: u.Source, LegacyID: u.LegacyID, MigratedAt: u.MigratedAt,
		Imported: u.Imported, LegacyHash: u.LegacyHash, ChangePW: u.PasswordChangeRequired,
	}
}

func (l *userLine) tenantID() string { return l.Tenant }

func (l *userLine) record() (*BackupRecord, error) {
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.ID == "":
		return nil, errors.New("no id")
	}
	return &BackupRecord{User: &User{
		ID: l.ID, Tenant: l.Tenant, Email: l.Email, Username: l.Username,
		EmailVerified: l.EmailVerified, Name: l.Name, Profile: l.Profile,
		PasswordHash: l.PasswordHash, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
		Source: l.Source, LegacyID: l.LegacyID, MigratedAt: l.MigratedAt,
		Imported: l.Imported, LegacyHash: l.LegacyHash, PasswordChangeRequired: l.ChangePW,
	}}, nil
}

type sessionLine struct {
	lineKind
	Tenant        string             `json:"tenant"`
	ID            string             `json:"id"`
	UserID        string             `json:"user_id"`
	CreatedAt     time.Time          `json:"created_at,omitzero"`
	ExpiresAt     time.Time          `json:"expires_at"`
	RevokedAt     time.Time          `json:"revoked_at,omitzero"`
	ClientID      string             `json:"client_id,omitempty"`
	Scopes        []string           `json:"scopes,omitempty"`
	AuthTime      time.Time          `json:"auth_time,omitzero"`
	RefreshTokens []refreshTokenLine `json:"refresh_tokens"`
}

type refreshTokenLine struct {
	Hash    []byte `json:"hash"`
	Rotated bool   `json:"rotated,omitempty"`
}

func sessionLineOf(s *SessionBackup) *sessionLine {
	l := &sessionLine{
		Tenant: s.Tenant, ID: s.ID, UserID: s.UserID,
		CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt,
		ClientID: s.ClientID, Scopes: s.Scopes, AuthTime: s.AuthTime,
	}
	for _, t := range s.RefreshTokens {
		l.RefreshTokens = append(l.RefreshTokens, refreshTokenLine(t))
	}
	return l
}

func (l *sessionLine) tenantID() string { return l.Tenant }

func (l *sessionLine) record() (*BackupRecord, error) {
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.ID == "" || l.UserID == "":
		return nil, errors.New("no id or user_id")
	case l.ExpiresAt.IsZero():
		return nil, errors.New("no expires_at")
	case len(l.RefreshTokens) == 0:
		return nil, errors.New("no refresh tokens")
	}
	s := &SessionBackup{Session: Session{
		ID: l.ID, Tenant: l.Tenant, UserID: l.UserID,
		CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, RevokedAt: l.RevokedAt,
		ClientID: l.ClientID, Scopes: l.Scopes, AuthTime: l.AuthTime,
	}}
	for _, t := range l.RefreshTokens {
		if len(t.Hash) == 0 {
			return nil, errors.New("a refresh token without hash")
		}
		s.RefreshTokens = append(s.RefreshTokens, RefreshToken(t))
	}
	return &BackupRecord{Session: s}, nil
}

type auditLine struct {
	lineKind
	Tenant  string         `json:"tenant"`
	ID      string         `json:"id"`
	Time    time.Time      `json:"time"`
	Type    string         `json:"type"`
	Actor   string         `json:"actor,omitempty"`
	Subject string         `json:"subject,omitempty"`
	IP      string         `json:"ip,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`
}

func auditLineOf(e *AuditEvent) *auditLine {
	return &auditLine{
		Tenant: e.Tenant, ID: e.ID, Time: e.Time, Type: e.Type,
		Actor: e.Actor, Subject: e.Subject, IP: e.IP, Detail: e.Detail,
	}
}

func (l *auditLine) tenantID() string { return l.Tenant }

func (l *auditLine) record() (*BackupRecord, error) {
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.ID == "":
		return nil, errors.New("no id")
	case l.Time.IsZero():
		return nil, errors.New("no time")
	}
	return &BackupRecord{Audit: &AuditEvent{
		ID: l.ID, Tenant: l.Tenant, Time: l.Time, Type: l.Type,
		Actor: l.Actor, Subject: l.Subject, IP: l.IP, Detail: l.Detail,
	}}, nil
}

type logLine struct {
	lineKind
	Tenant  string    `json:"tenant"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Op      string    `json:"op,omitempty"`
	Message string    `json:"message"`
}

func logLineOf(e *TenantLogEntry) *logLine {
	return &logLine{Tenant: e.Tenant, Time: e.Time, Level: e.Level, Op: e.Op, Message: e.Message}
}

func (l *logLine) tenantID() string { return l.Tenant }

func (l *logLine) record() (*BackupRecord, error) {
	switch {
	case l.Tenant == "":
		return nil, errors.New("no tenant")
	case l.Time.IsZero():
		return nil, errors.New("no time")
	}
	return &BackupRecord{Log: &TenantLogEntry{
		Tenant:   l.Tenant,
		LogEntry: LogEntry{Time: l.Time, Level: l.Level, Op: l.Op, Message: l.Message},
	}}, nil
}

type rateLimitLine struct {
	lineKind
	Key   string    `json:"key"`
	Until time.Time `json:"until"`
}

func rateLimitLineOf(s *RateLimitState) *rateLimitLine {
	return &rateLimitLine{Key: s.Key, Until: s.Until}
}

func (l *rateLimitLine) tenantID() string { return "" }

func (l *rateLimitLine) record() (*BackupRecord, error) {
	if l.Key == "" || l.Until.IsZero() {
		return nil, errors.New("no key or until")
	}
	return &BackupRecord{RateLimit: &RateLimitState{Key: l.Key, Until: l.Until}}, nil
}

// backupEncoder writes the lines of a backup.
type backupEncoder struct {
	enc     *json.Encoder
	records int
}

func newBackupEncoder(w io.Writer) *backupEncoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &backupEncoder{enc: enc}
}

func (e *backupEncoder) header(now time.Time) error {
	return e.enc.Encode(backupHeader{Format: BackupFormat, Version: BackupVersion, CreatedAt: now.UTC()})
}

// record writes one record. A record with no kind or two is a bug of the
// store that exported it.
func (e *backupEncoder) record(rec *BackupRecord) error {
	var line backupLine
	for _, k := range backupKinds {
		if l := k.line(rec); l != nil {
			if line != nil {
				return errors.New("auth: a backup record of two kinds")
			}
			l.setKind(k.name)
			line = l
		}
	}
	if line == nil {
		return errors.New("auth: an empty backup record")
	}
	e.records++
	return e.enc.Encode(line)
}

func (e *backupEncoder) end() error {
	return e.enc.Encode(endLine{Kind: endKind, Records: e.records})
}

// backupDecoder reads the lines of a backup and checks what the format
// alone can: the header, each line's shape, that a tenant's records follow
// the tenant, and the end line. The store checks the rest as it imports.
type backupDecoder struct {
	sc    *bufio.Scanner
	line  int // the number of the last line read
	count int // records read
	ended bool
	// tenants maps each tenant read to its active script version; scripts
	// holds the versions read, so finish can check each active one came.
	tenants map[string]int
	scripts map[tenantVersion]bool
}

type tenantVersion struct {
	tenant  string
	version int
}

// lineError is an error about one line of a backup.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

func newBackupDecoder(r io.Reader) *backupDecoder {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxBackupLine)
	return &backupDecoder{sc: sc, tenants: map[string]int{}, scripts: map[tenantVersion]bool{}}
}

// records yields the records of the backup, then stops at its end line. A
// problem ends it with an error that names the line.
func (d *backupDecoder) records() iter.Seq2[*BackupRecord, error] {
	return func(yield func(*BackupRecord, error) bool) {
		if err := d.header(); err != nil {
			yield(nil, err)
			return
		}
		for {
			rec, err := d.next()
			if err != nil {
				yield(nil, err)
				return
			}
			if rec == nil || !yield(rec, nil) {
				return
			}
		}
	}
}

// scan reads the next line; false at the end of the input.
func (d *backupDecoder) scan() (bool, error) {
	if d.sc.Scan() {
		d.line++
		return true, nil
	}
	err := d.sc.Err()
	if errors.Is(err, bufio.ErrTooLong) {
		return false, &lineError{d.line + 1, fmt.Errorf("longer than %d bytes", maxBackupLine)}
	}
	return false, err
}

func (d *backupDecoder) header() error {
	ok, err := d.scan()
	if !ok {
		if err != nil {
			return fmt.Errorf("not a wasmauth backup: %w", err)
		}
		return errors.New("the backup is empty")
	}
	var h backupHeader
	if err := json.Unmarshal(d.sc.Bytes(), &h); err != nil || h.Format != BackupFormat {
		return &lineError{1, fmt.Errorf("not a wasmauth backup: the first line does not name the format %q", BackupFormat)}
	}
	if h.Version != BackupVersion {
		return &lineError{1, fmt.Errorf("backup format version %d; this wasmauth reads version %d", h.Version, BackupVersion)}
	}
	return nil
}

// next returns the next record, or nil after the end line.
func (d *backupDecoder) next() (*BackupRecord, error) {
	ok, err := d.scan()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the backup ends after line %d without its end line: it is cut short", d.line)
	}
	b := d.sc.Bytes()
	var k lineKind
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, &lineError{d.line, fmt.Errorf("not a JSON object: %v", err)}
	}
	if k.Kind == endKind {
		return nil, d.end(b)
	}
	var kind *backupKind
	for i := range backupKinds {
		if backupKinds[i].name == k.Kind {
			kind = &backupKinds[i]
		}
	}
	if kind == nil {
		return nil, &lineError{d.line, fmt.Errorf("unknown kind %q", k.Kind)}
	}
	line := kind.newLine()
	if err := decodeStrict(b, line); err != nil {
		return nil, &lineError{d.line, fmt.Errorf("%s record: %v", k.Kind, err)}
	}
	rec, err := line.record()
	if err != nil {
		return nil, &lineError{d.line, fmt.Errorf("%s record: %v", k.Kind, err)}
	}
	tenant := line.tenantID()
	_, known := d.tenants[tenant]
	switch {
	case rec.Tenant != nil && known:
		return nil, &lineError{d.line, fmt.Errorf("tenant %q appears twice", tenant)}
	case rec.Tenant != nil:
		d.tenants[tenant] = rec.Tenant.ActiveScript
	case tenant != "" && !known:
		return nil, &lineError{d.line, fmt.Errorf("%s record of tenant %q before the tenant's own record", k.Kind, tenant)}
	case rec.Script != nil:
		d.scripts[tenantVersion{tenant, rec.Script.Version}] = true
	}
	d.count++
	return rec, nil
}

// end checks the end line and that nothing follows it.
func (d *backupDecoder) end(b []byte) error {
	var e endLine
	if err := decodeStrict(b, &e); err != nil {
		return &lineError{d.line, fmt.Errorf("end line: %v", err)}
	}
	if e.Records != d.count {
		return &lineError{d.line, fmt.Errorf("the end line counts %d records, the backup holds %d", e.Records, d.count)}
	}
	d.ended = true
	if ok, err := d.scan(); ok || err != nil {
		return &lineError{d.line, errors.New("data after the end line")}
	}
	return nil
}

// finish checks, after a whole import, what only the whole backup shows.
func (d *backupDecoder) finish() error {
	if !d.ended {
		return errors.New("the store stopped importing before the end of the backup")
	}
	for tenant, v := range d.tenants {
		if v != 0 && !d.scripts[tenantVersion{tenant, v}] {
			return fmt.Errorf("the active script version %d of tenant %q is not in the backup", v, tenant)
		}
	}
	return nil
}

// wrap names the line an import error came at, or the line of the record
// a RecordError names (the header is line 1, so record n is line n+1),
// unless it names one or is about the whole store.
func (d *backupDecoder) wrap(err error) error {
	if re := (*RecordError)(nil); errors.As(err, &re) {
		return &lineError{re.Record + 1, re.Err}
	}
	var le *lineError
	if err == nil || errors.As(err, &le) || errors.Is(err, ErrStoreNotEmpty) || d.ended || d.line == 0 {
		return err
	}
	return &lineError{d.line, err}
}

// decodeStrict decodes the JSON value b (one value, as next checked) into v,
// refusing fields v does not have.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
