package layers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/imgdiff/imgdiff/layers/dockerarchive"
	"github.com/imgdiff/imgdiff/layers/engine"
	"github.com/imgdiff/imgdiff/layers/internal/store"
)

// openDaemon is the engine source: the engine saves the images in one
// `docker save` (engine.SaveTemp) and each is read from that archive as a
// docker save archive (dockerarchive.Open), its layers marked as the
// engine's. The engine knows no image format and dockerarchive no
// engine: they meet here.
func openDaemon(ctx context.Context, e *engine.Client, names []string, o Options) ([]*Image, error) {
	f, err := e.SaveTemp(ctx, names, o.TempDir, o.SaveProgress)
	if err != nil {
		return nil, err
	}
	s, err := store.NewTar(f, "docker save")
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
			return s.Close()
		}
		return nil
	}
	imgs := make([]*Image, 0, len(names))
	for _, n := range names {
		img, err := dockerarchive.Open(s, n, o.Platform)
		if err != nil {
			for _, img := range imgs {
				img.Close()
			}
			s.Close()
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		img.Transport = DockerDaemon
		for _, l := range img.Layers {
			if sl, ok := l.(*store.Layer); ok {
				sl.Engine = true
			}
		}
		img.OnClose(release)
		imgs = append(imgs, img)
	}
	return imgs, nil
}
