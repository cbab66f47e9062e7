package layers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Options say how to open images.
type Options struct {
	// Platform selects an image from a multi-arch index (default: the
	// host's) and must match a single image's config when set.
	Platform *v1.Platform
	// Insecure allows plain-HTTP registries other than localhost.
	Insecure bool
	// Jobs is how many layer streams may be open at once (registry).
	Jobs int
	// DockerHost overrides $DOCKER_HOST for docker-daemon: references.
	DockerHost string
	// TempDir is where a daemon's image is saved ("" = os.TempDir()).
	TempDir string
	// Keychain resolves registry credentials (nil = the docker config
	// and its credential helpers).
	Keychain authn.Keychain
	// RegistryTransport replaces the HTTP transport to registries.
	RegistryTransport http.RoundTripper
}

// Open opens the image ref names. ref is "transport:…" in skopeo's
// vocabulary, an existing path (archive or OCI layout, detected), or a
// bare name:tag (the local engine when it answers and has the image, else
// the registry; the image's Notes say which). Errors name the input.
func Open(ctx context.Context, ref string, o Options) (*Image, error) {
	img, err := open(ctx, ref, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", ref, oneLine(err))
	}
	img.Ref = ref
	return img, nil
}

func open(ctx context.Context, raw string, o Options) (*Image, error) {
	ref, err := ParseReference(raw)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), raw+": "))
	}
	switch ref.Transport {
	case DockerArchive, OCIArchive, OCILayout:
		path, name := ref.Path, ref.Name
		if name != "" && exists(path+":"+name) {
			path, name = path+":"+name, "" // a path with a colon
		}
		return openFile(path, name, ref.Transport, o)
	case Registry:
		return openRegistry(ctx, ref.Name, o)
	case DockerDaemon:
		e, err := newEngine(o.DockerHost)
		if err != nil {
			return nil, err
		}
		return openDaemon(ctx, e, ref.Name, o)
	}
	return openBare(ctx, raw, o)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// openFile opens an archive or layout; transport "" detects which.
func openFile(path, name, transport string, o Options) (*Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no such file or directory")
		}
		return nil, err
	}
	if fi.IsDir() {
		if transport != "" && transport != OCILayout {
			return nil, fmt.Errorf("is a directory; %s: wants a file (did you mean oci:%s?)", transport, path)
		}
		d := &dirStore{root: path}
		if !d.has("index.json") {
			return nil, fmt.Errorf("directory has no index.json: not an OCI layout")
		}
		img, err := openOCI(d, name, o)
		if err != nil {
			d.close()
			return nil, err
		}
		img.Transport = OCILayout
		img.onClose(d.close)
		return img, nil
	}
	if transport == OCILayout {
		return nil, fmt.Errorf("is a file; oci: wants a layout directory (did you mean oci-archive:%s?)", path)
	}
	s, err := openTarStore(path)
	if err != nil {
		return nil, err
	}
	if transport == "" {
		switch {
		case s.has("manifest.json"):
			transport = DockerArchive
		case s.has("index.json"):
			transport = OCIArchive
		default:
			s.close()
			return nil, fmt.Errorf("tar archive has neither manifest.json nor index.json: not an image archive")
		}
	}
	var img *Image
	if transport == DockerArchive {
		img, err = openDockerArchive(s, name, o)
	} else {
		img, err = openOCI(s, name, o)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	img.Transport = transport
	img.onClose(s.close)
	return img, nil
}

// daemonPing bounds how long a bare name waits for a local engine before
// going to the registry.
const daemonPing = 2 * time.Second

// openBare resolves a reference without a transport.
func openBare(ctx context.Context, raw string, o Options) (*Image, error) {
	if exists(raw) {
		return openFile(raw, "", "", o)
	}
	if strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, ".") || filepath.Ext(raw) == ".tar" {
		return nil, fmt.Errorf("no such file or directory")
	}
	if _, err := name.ParseReference(raw); err != nil {
		return nil, fmt.Errorf("neither an existing file nor an image reference (%v)", err)
	}
	var note string
	if e, err := newEngine(o.DockerHost); err == nil {
		if err := e.ping(ctx, daemonPing); err != nil {
			note = "no local docker engine answers"
		} else {
			img, err := openDaemon(ctx, e, raw, o)
			if err == nil {
				img.Notes = append(img.Notes, "read from the local docker engine (docker-daemon:"+raw+")")
				return img, nil
			}
			if !errors.Is(err, errNoSuchImage) {
				return nil, err
			}
			note = "not in the local docker engine"
		}
	}
	img, err := openRegistry(ctx, raw, o)
	if err != nil {
		if note != "" {
			return nil, fmt.Errorf("%s; registry: %w", note, err)
		}
		return nil, err
	}
	img.Notes = append(img.Notes, note+"; read from the registry (docker://"+raw+")")
	return img, nil
}

// oneLine flattens multi-line errors (registry error bodies) into one line.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	const max = 400
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
