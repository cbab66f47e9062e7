package layers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers/dockerarchive"
	"github.com/imgdiff/imgdiff/layers/engine"
	"github.com/imgdiff/imgdiff/layers/internal/store"
)

// openDaemon is the engine source: the engine saves the images in one
// `docker save` (engine.SaveTemp) and each is read from that archive as a
// docker save archive (dockerarchive.Open), its layers marked as the
// engine's. The engine knows no image format and dockerarchive no
// engine: they meet here.
func openDaemon(ctx context.Context, e *engine.Client, ds []daemonImage, o Options) ([]*Image, error) {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.name
	}
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
	for _, d := range ds {
		n := d.name
		img, err := openSaved(s, d, o.Platform)
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

// daemonImage is an image the engine holds: the name it was asked for and
// what the engine answered.
type daemonImage struct {
	name string
	info engine.ImageInfo
}

// openSaved finds d in the engine's save: by the ID the engine resolved
// d's name to (how Podman's localhost/ and short names, image IDs and
// digests are found), else by the name, else by the engine's tags for it
// (the containerd store's ID is its manifest's, not the config's).
func openSaved(s store.Store, d daemonImage, platform *v1.Platform) (*Image, error) {
	var first error
	for _, n := range append([]string{d.info.ID, d.name}, d.info.RepoTags...) {
		if n == "" {
			continue
		}
		img, err := dockerarchive.Open(s, n, platform)
		if err == nil {
			return img, nil
		}
		if first == nil || n == d.name {
			first = err
		}
	}
	return nil, first
}
