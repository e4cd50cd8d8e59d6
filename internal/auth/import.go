package auth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/wasmauth/wasmauth/internal/ident"
)

// Import bounds.
const (
	// MaxImportLine is the longest line of an import file.
	MaxImportLine = 64 << 10
	// importBatchSize is how many users one store transaction takes.
	importBatchSize = 500
	// maxImportErrors bounds the errors an import reports; later ones are
	// counted in ImportReport.Counts.Errors only.
	maxImportErrors = 1000
)

// ImportError is a line of an import file that was not imported.
type ImportError struct {
	Line    int
	Code    string // "invalid_json", "invalid_user" or "line_too_long"
	Message string
}

// ImportReport is what an import did.
type ImportReport struct {
	Counts ImportCounts
	Errors []ImportError
}

// ParseImportLine parses one line of an import file: a user in the
// list_users shape, by the rules of ident.ParseUser. The error is an
// *ImportError without its line number.
func ParseImportLine(line []byte) (*LegacyUser, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("{")) {
		return nil, &ImportError{Code: "invalid_json", Message: "the line is not a JSON object"}
	}
	u, err := ident.ParseUser(line, "user")
	if err != nil {
		code := "invalid_user"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			code = "invalid_json"
		}
		return nil, &ImportError{Code: code, Message: err.Error()}
	}
	lu := &LegacyUser{ID: u.ID, Email: u.Email, Username: u.Username, EmailVerified: u.EmailVerified, Name: u.Name, Profile: u.Profile}
	if u.PasswordHash != nil {
		lu.PasswordHash = *u.PasswordHash
	}
	return lu, nil
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Code, e.Message)
}

// ImportUsers imports the users of an NDJSON stream, one user a line, in
// batches: each is stored as a drain stores a user, and counted the same
// way. It reads r as it goes, holding one batch at a time. A line that
// breaks the rules is reported by number and the rest go on; blank lines
// are skipped. A user whose legacy id is already local is counted
// already_local, so importing a file twice stores each user once.
func (s *Service) ImportUsers(ctx context.Context, tenant string, r io.Reader, m Meta) (*ImportReport, error) {
	t, err := s.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{}
	addErr := func(e *ImportError) {
		rep.Counts.Errors++
		if len(rep.Errors) < maxImportErrors {
			rep.Errors = append(rep.Errors, *e)
		}
	}
	var pending []*LegacyUser
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		now := s.now().UTC()
		b, err := s.importBatch(ctx, t, pending, now)
		if err != nil {
			return err
		}
		out, err := s.store.ImportUsers(ctx, tenant, b.users, false, nil)
		if err != nil {
			return err
		}
		rep.Counts.add(b.count(out))
		if logs := b.logs(out, now, "import"); len(logs) > 0 {
			s.events.Logs(tenant, logs)
		}
		pending = pending[:0]
		return nil
	}
	br := bufio.NewReaderSize(r, MaxImportLine)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			addErr(&ImportError{Line: n, Code: "line_too_long", Message: fmt.Sprintf("the line is longer than %d bytes", MaxImportLine)})
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			if errors.Is(err, io.EOF) {
				break
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			lu, perr := ParseImportLine(trimmed)
			if perr != nil {
				ie := perr.(*ImportError)
				ie.Line = n
				addErr(ie)
			} else {
				pending = append(pending, lu)
				if len(pending) == importBatchSize {
					if err := flush(); err != nil {
						return nil, err
					}
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	s.audit(tenant, EventUsersImported, m, tenant, map[string]any{
		"imported": rep.Counts.Imported, "already_local": rep.Counts.AlreadyLocal,
		"conflicts": rep.Counts.Conflicts, "errors": rep.Counts.Errors,
	})
	return rep, nil
}
