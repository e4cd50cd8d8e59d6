package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// backup streams an online backup of the whole store (operator only; a
// project extension of the contract) in the format of auth.WriteBackup. The
// body is chunked: a failure mid-stream aborts the connection before the
// last chunk, so a client never takes a cut-short stream for a whole backup
// (and the backup's end line would tell it anyway).
func (s *Server) backup(c *fiber.Ctx) error {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	rid := requestID(c)
	go func() {
		start := time.Now()
		cw := &countingWriter{w: pw}
		err := s.svc.Backup(ctx, cw)
		if err != nil {
			s.log.Error("backup failed", "request_id", rid, "bytes", cw.n, "err", err)
			pw.CloseWithError(fmt.Errorf("backup failed: %w", err))
			return
		}
		s.log.Info("backup written", "request_id", rid, "bytes", cw.n, "duration_ms", time.Since(start).Milliseconds())
		pw.Close()
	}()
	// Wait for the first bytes, so a backup that cannot start is answered
	// with a problem document rather than a cut connection.
	br := bufio.NewReaderSize(pr, 64<<10)
	if _, err := br.Peek(1); err != nil && !errors.Is(err, io.EOF) {
		cancel()
		pr.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, BackupContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="wasmauth-`+time.Now().UTC().Format("20060102T150405Z")+`.jsonl"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Context().SetBodyStream(&backupStream{r: br, closer: pr, cancel: cancel, conn: c.Context().Conn(), timeout: s.cfg.WriteTimeout}, -1)
	return nil
}

// BackupContentType is the media type of a backup: JSON lines.
const BackupContentType = "application/x-ndjson"

// backupStream is the response body of a backup. Each read renews the
// connection's write deadline, so WriteTimeout bounds a stalled client, not
// the length of the whole backup. Fasthttp closes it when the response is
// done or the client went away, which stops the backup.
type backupStream struct {
	r       io.Reader
	closer  io.Closer
	cancel  context.CancelFunc
	conn    net.Conn
	timeout time.Duration
}

func (b *backupStream) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 && b.conn != nil && b.timeout > 0 {
		_ = b.conn.SetWriteDeadline(time.Now().Add(b.timeout))
	}
	return n, err
}

// Close stops the backup if it is still running.
func (b *backupStream) Close() error {
	b.cancel()
	return b.closer.Close()
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
