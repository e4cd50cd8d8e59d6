// Command blocklistgen builds the password package's embedded list of
// common passwords from published lists (see internal/password/README.md
// for the sources and the exact command).
//
// Each argument is a source file, optionally followed by ":N" to take only
// its first N entries: a text file with one password a line (CRLF or LF,
// optionally gzip-compressed, by a ".gz" name) or a JSON array of strings
// (by a ".json" name). Every entry is NFC-normalised and lower-cased, as
// password.IsCommon does with what it checks; entries that are not valid
// UTF-8 are dropped. The union is sorted and written front-coded (one byte
// of prefix shared with the entry before, the rest of the entry, a newline)
// and gzip-compressed to the -o file. Counts go to standard error.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func main() {
	out := flag.String("o", "common-passwords.gz", "the file to write")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: blocklistgen -o FILE SOURCE[:N]...")
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "blocklistgen:", err)
		os.Exit(1)
	}
}

func run(out string, sources []string) error {
	set := map[string]struct{}{}
	for _, src := range sources {
		name, limit := src, -1
		if i := strings.LastIndexByte(src, ':'); i > 0 {
			n, err := strconv.Atoi(src[i+1:])
			if err != nil {
				return fmt.Errorf("%s: bad count: %w", src, err)
			}
			name, limit = src[:i], n
		}
		entries, err := read(name)
		if err != nil {
			return err
		}
		if limit >= 0 && limit < len(entries) {
			entries = entries[:limit]
		}
		added, invalid := 0, 0
		for _, e := range entries {
			if e == "" {
				continue
			}
			if !utf8.ValidString(e) {
				invalid++
				continue
			}
			k := strings.ToLower(norm.NFC.String(e))
			if _, ok := set[k]; !ok {
				set[k] = struct{}{}
				added++
			}
		}
		fmt.Fprintf(os.Stderr, "%s: %d entries read, %d not UTF-8, %d new after case folding\n", name, len(entries), invalid, added)
	}
	list := make([]string, 0, len(set))
	for k := range set {
		list = append(list, k)
	}
	slices.Sort(list)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(zw)
	prev := ""
	for _, e := range list {
		p := 0
		for p < min(len(e), len(prev), 255) && e[p] == prev[p] {
			p++
		}
		w.WriteByte(byte(p))
		w.WriteString(e[p:])
		w.WriteByte('\n')
		prev = e
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d entries\n", out, len(list))
	return nil
}

// read returns the entries of one source file in its order.
func read(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = zr
	}
	if strings.HasSuffix(name, ".json") {
		var entries []string
		if err := json.NewDecoder(r).Decode(&entries); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return entries, nil
	}
	var entries []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		entries = append(entries, strings.TrimSuffix(sc.Text(), "\r"))
	}
	return entries, sc.Err()
}
