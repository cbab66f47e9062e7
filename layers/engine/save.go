package engine

import (
	"context"
	"fmt"
	"io"
	"os"
)

// SaveTemp saves the images names (which the caller has inspected) in one `docker save`, so layers they
// share cross the socket and the disk once, into a temp file in dir ("" =
// os.TempDir()) and returns it open for reading. The file is unlinked as
// soon as it is created, so it disappears with the process whatever
// happens (error, Ctrl-C, kill); the open descriptor keeps it readable
// meanwhile. progress, when set, is told how many bytes have been written
// so far: the slow part of reading from the engine.
func (e *Client) SaveTemp(ctx context.Context, names []string, dir string, progress func(written int64)) (*os.File, error) {
	f, err := os.CreateTemp(dir, "imgdiff-save-*.tar")
	if err != nil {
		return nil, fmt.Errorf("temp file for docker save: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("temp file for docker save: %w", err)
	}
	var w io.Writer = f
	if progress != nil {
		w = &progressWriter{w: f, report: progress}
	}
	if err := e.Save(ctx, names, w); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// progressWriter reports the bytes written through it.
type progressWriter struct {
	w       io.Writer
	written int64
	report  func(int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.written += int64(n)
	p.report(p.written)
	return n, err
}
