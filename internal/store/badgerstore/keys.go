package badgerstore

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// sep separates the parts of a key. Tenant ids, user ids, session ids and
// sources may not contain it, so every prefix scan stays inside its kind.
const sep = "\x00"

// The kinds of record under a tenant's prefix; see doc.go for the layout.
const (
	kindUser          = "u"
	kindEmail         = "e"
	kindUsername      = "n"
	kindLegacyID      = "l"
	kindOrder         = "o"
	kindSourceOrder   = "os"
	kindStats         = "c"
	kindScriptSeq     = "sv"
	kindScriptMeta    = "sm"
	kindScriptModule  = "sb"
	kindSession       = "s"
	kindUserSession   = "us"
	kindRefresh       = "r"
	kindSessionTokens = "sr"
	kindAudit         = "a"
	kindLog           = "L"
)

// tenantRecordPrefix is the prefix of every tenant record; ListTenants scans it.
var tenantRecordPrefix = []byte("T" + sep)

// tenantKey is the key of tenant id's record. It lies outside the tenant's
// data prefix, so the tenant list is one short scan.
func tenantKey(id string) []byte { return []byte("T" + sep + id) }

// tenantPrefix is the prefix of every record of tenant id; DeleteTenant drops it.
func tenantPrefix(id string) []byte { return []byte("t" + sep + id + sep) }

// key joins the tenant's prefix, the kind and the parts into one key. The
// kind is followed by sep and the parts are joined by sep.
func key(tenant, kind string, parts ...string) []byte {
	var b strings.Builder
	b.Grow(3 + len(tenant) + len(kind) + 8*len(parts) + 32)
	b.WriteString("t" + sep)
	b.WriteString(tenant)
	b.WriteString(sep)
	b.WriteString(kind)
	b.WriteString(sep)
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return []byte(b.String())
}

// prefix is the scan prefix of kind under tenant, with the given leading
// parts, each followed by sep.
func prefix(tenant, kind string, parts ...string) []byte {
	k := key(tenant, kind)
	for _, p := range parts {
		k = append(k, p...)
		k = append(k, sep...)
	}
	return k
}

// sortableTime encodes t as 8 bytes whose byte order is time order.
func sortableTime(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano())^(1<<63))
	return b[:]
}

// newestFirstTime encodes t as 8 bytes whose byte order is reverse time order.
func newestFirstTime(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], ^(uint64(t.UnixNano()) ^ (1 << 63)))
	return b[:]
}

// versionPart encodes a script version so that byte order is version order.
func versionPart(v int) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	return string(b[:])
}

// shardPart encodes a stats shard number.
func shardPart(n int) string { return string([]byte{byte(n)}) }

// encodeCursor makes an opaque cursor of the key suffix a page ended at.
func encodeCursor(suffix []byte) string {
	return base64.RawURLEncoding.EncodeToString(suffix)
}

// decodeCursor reads a cursor made by encodeCursor. A cursor is resumed
// strictly after its key, so any bytes are safe; only the encoding and the
// length are checked.
func decodeCursor(c string) ([]byte, bool) {
	if len(c) > 2048 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 {
		return nil, false
	}
	return b, true
}

// validID reports whether s can be part of a key: non-empty, at most 512
// bytes, without sep.
func validID(s string) bool {
	return s != "" && len(s) <= 512 && !strings.Contains(s, sep)
}

// afterKey returns the smallest key greater than k, to resume a forward scan
// strictly after k.
func afterKey(k []byte) []byte {
	out := make([]byte, len(k), len(k)+1)
	copy(out, k)
	return append(out, 0)
}
