package httpapi

import (
	"bytes"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wasmauth/wasmauth/internal/auth"
)

// MaxImportBody bounds a user import's body (64 MiB).
const MaxImportBody = 64 << 20

// mediaNDJSON is the media type of a user import.
const mediaNDJSON = "application/x-ndjson"

// drainJSON is a drain job as GET /migration/drain shows it.
type drainJSON struct {
	State           string     `json:"state"`
	Imported        int64      `json:"imported"`
	AlreadyLocal    int64      `json:"already_local"`
	Conflicts       int64      `json:"conflicts"`
	WithoutPassword int64      `json:"without_password"`
	UnsupportedHash int64      `json:"unsupported_hash"`
	Errors          int64      `json:"errors"`
	Pages           int64      `json:"pages"`
	PageSize        int        `json:"page_size"`
	MaxUsersPerSec  int        `json:"max_users_per_second"`
	DryRun          bool       `json:"dry_run"`
	StartedAt       *time.Time `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	LastError       *string    `json:"last_error"`
}

func toDrain(j *auth.DrainJob) *drainJSON {
	if j == nil {
		return nil
	}
	c := j.Counts
	out := &drainJSON{
		State: j.State, Imported: c.Imported, AlreadyLocal: c.AlreadyLocal, Conflicts: c.Conflicts,
		WithoutPassword: c.WithoutPassword, UnsupportedHash: c.UnsupportedHash, Errors: c.Errors,
		Pages: j.Pages, PageSize: j.PageSize, MaxUsersPerSec: j.MaxUsersPerSecond, DryRun: j.DryRun,
		StartedAt: optionalTime(j.StartedAt), FinishedAt: optionalTime(j.FinishedAt),
	}
	if j.LastError != "" {
		out.LastError = &j.LastError
	}
	return out
}

func (s *Server) startDrain(c *fiber.Ctx) error {
	var in struct {
		PageSize          *int  `json:"page_size"`
		MaxUsersPerSecond *int  `json:"max_users_per_second"`
		DryRun            *bool `json:"dry_run"`
	}
	if len(bytes.TrimSpace(c.Body())) > 0 {
		if err := s.decode(c, &in); err != nil {
			return err
		}
	}
	job, err := s.svc.StartDrain(c.UserContext(), tenantParam(c), auth.DrainOptions{
		PageSize: in.PageSize, MaxUsersPerSecond: in.MaxUsersPerSecond, DryRun: in.DryRun,
	}, adminMeta(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toDrain(job))
}

func (s *Server) getDrain(c *fiber.Ctx) error {
	job, err := s.svc.DrainStatus(c.UserContext(), tenantParam(c))
	if err != nil {
		return err
	}
	return c.JSON(toDrain(job))
}

func (s *Server) stopDrain(c *fiber.Ctx) error {
	if err := s.svc.StopDrain(c.UserContext(), tenantParam(c), adminMeta(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type importErrorJSON struct {
	Line    int    `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type importJSON struct {
	Imported        int64             `json:"imported"`
	AlreadyLocal    int64             `json:"already_local"`
	Conflicts       int64             `json:"conflicts"`
	WithoutPassword int64             `json:"without_password"`
	UnsupportedHash int64             `json:"unsupported_hash"`
	Errors          []importErrorJSON `json:"errors"`
}

// importUsers reads the NDJSON body line by line as it arrives (a stream,
// never whole in memory); bodyLimit lets it be up to MaxImportBody for a
// token that may write to the tenant.
func (s *Server) importUsers(c *fiber.Ctx) error {
	if err := checkMediaType(c, mediaNDJSON); err != nil {
		return err
	}
	rep, err := s.svc.ImportUsers(c.UserContext(), tenantParam(c), s.streamedBody(c, MaxImportBody), adminMeta(c))
	if err != nil {
		// The rest of the body, if any, is unread.
		c.Context().SetConnectionClose()
		return err
	}
	out := importJSON{
		Imported: rep.Counts.Imported, AlreadyLocal: rep.Counts.AlreadyLocal, Conflicts: rep.Counts.Conflicts,
		WithoutPassword: rep.Counts.WithoutPassword, UnsupportedHash: rep.Counts.UnsupportedHash,
		Errors: []importErrorJSON{},
	}
	for _, e := range rep.Errors {
		out.Errors = append(out.Errors, importErrorJSON{Line: e.Line, Code: e.Code, Message: e.Message})
	}
	return c.JSON(out)
}
