package layers

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/imgdiff/imgdiff/layers/engine"
)

// openDaemon saves the images from the engine, in one `docker save` so
// layers they share cross the socket and the disk once, into a temp file,
// and reads each as a docker save archive. The file is unlinked as soon as
// it is created, so it disappears with the process whatever happens
// (error, Ctrl-C, kill); the open descriptor keeps it readable meanwhile.
func openDaemon(ctx context.Context, e *engine.Client, names []string, o Options) ([]*Image, error) {
	for _, n := range names {
		if err := e.Has(ctx, n); err != nil {
			return nil, err
		}
	}
	f, err := os.CreateTemp(o.TempDir, "imgdiff-save-*.tar")
	if err != nil {
		return nil, fmt.Errorf("temp file for docker save: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("temp file for docker save: %w", err)
	}
	var w io.Writer = f
	if o.SaveProgress != nil {
		w = &progressWriter{w: f, report: o.SaveProgress}
	}
	if err := e.Save(ctx, names, w); err != nil {
		f.Close()
		return nil, err
	}
	s, err := newTarStore(f, "docker save")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("docker save %s: %w", strings.Join(names, " "), err)
	}
	// The images share the store: the last one closed closes it.
	var mu sync.Mutex
	open := len(names)
	release := func() error {
		mu.Lock()
		defer mu.Unlock()
		if open--; open == 0 {
			return s.close()
		}
		return nil
	}
	imgs := make([]*Image, 0, len(names))
	for _, n := range names {
		img, err := openDockerArchive(s, n, o)
		if err != nil {
			for _, img := range imgs {
				img.Close()
			}
			s.close()
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		img.Transport = DockerDaemon
		for _, l := range img.Layers {
			if sl, ok := l.(*storeLayer); ok {
				sl.engine = true
			}
		}
		img.onClose(release)
		imgs = append(imgs, img)
	}
	return imgs, nil
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
