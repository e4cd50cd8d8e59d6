package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// commonGz is the list of common passwords (README.md names the sources),
// made by internal/blocklistgen: every entry NFC-normalised and lower-cased,
// sorted, without duplicates, front-coded (a byte counting the bytes shared
// with the entry before, the rest of the entry, a newline) and gzipped.
//
//go:embed common-passwords.gz
var commonGz []byte

// blocklist is the decoded list: the entries in order, each followed by a
// newline, in one string, and where each starts. A lookup is a binary
// search; the list holds its entries exactly, so it has no false positives.
type blocklist struct {
	text   string
	starts []uint32
}

// Len returns the number of entries.
func (b *blocklist) Len() int { return len(b.starts) }

// entry returns the i-th entry.
func (b *blocklist) entry(i int) string {
	end := len(b.text)
	if i+1 < len(b.starts) {
		end = int(b.starts[i+1])
	}
	return b.text[b.starts[i] : end-1]
}

// Contains reports whether key, already folded, is on the list.
func (b *blocklist) Contains(key string) bool {
	i := sort.Search(len(b.starts), func(i int) bool { return b.entry(i) >= key })
	return i < len(b.starts) && b.entry(i) == key
}

// decodeBlocklist expands the front-coded, gzipped list. It panics on a
// malformed list: the list is embedded at build time and tested.
func decodeBlocklist(gz []byte) *blocklist {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		panic("password: embedded list: " + err.Error())
	}
	fc, err := io.ReadAll(zr)
	if err != nil {
		panic("password: embedded list: " + err.Error())
	}
	// The expanded text is at most twice the front-coded one for this
	// list; grow as needed for any other.
	text := make([]byte, 0, 2*len(fc))
	starts := make([]uint32, 0, bytes.Count(fc, []byte{'\n'}))
	prev := 0 // start of the previous entry in text
	for len(fc) > 0 {
		shared := int(fc[0])
		// The shared-prefix byte itself may be a newline: look after it.
		nl := bytes.IndexByte(fc[1:], '\n') + 1
		if nl == 0 || (len(starts) > 0 && shared > len(text)-1-prev) || (len(starts) == 0 && shared != 0) {
			panic("password: embedded list is malformed")
		}
		start := len(text)
		text = append(text, text[prev:prev+shared]...)
		text = append(text, fc[1:nl]...)
		text = append(text, '\n')
		starts = append(starts, uint32(start))
		prev = start
		fc = fc[nl+1:]
	}
	return &blocklist{text: string(text), starts: starts}
}

// commonList is decoded on first use (about 5 ms and 1.2 MB; see
// BenchmarkBlocklistLoad): most processes that import the package only
// verify passwords and never need it.
var commonList = sync.OnceValue(func() *blocklist { return decodeBlocklist(commonGz) })

// foldPassword is the form in which passwords are compared with the list.
func foldPassword(password string) string {
	return strings.ToLower(norm.NFC.String(password))
}

// IsCommon reports whether password is on the embedded list of common
// passwords, ignoring case.
func IsCommon(password string) bool {
	return commonList().Contains(foldPassword(password))
}
