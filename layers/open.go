package layers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/imgdiff/imgdiff/layers/dockerarchive"
	"github.com/imgdiff/imgdiff/layers/engine"
	"github.com/imgdiff/imgdiff/layers/internal/store"
	"github.com/imgdiff/imgdiff/layers/ocilayout"
	"github.com/imgdiff/imgdiff/layers/registry"
	"github.com/imgdiff/imgdiff/layers/snapshot"
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
	// DockerHost names the engine for docker-daemon: references and bare
	// names, as the docker CLI's --host does ("": the docker CLI's order,
	// engine.Resolve).
	DockerHost string
	// DockerContext is the docker CLI context whose engine serves them
	// (--context; "": the docker CLI's order).
	DockerContext string
	// Getenv reads the variables the docker CLI's order reads
	// (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, HOME, DOCKER_TLS_VERIFY,
	// DOCKER_CERT_PATH, XDG_RUNTIME_DIR, CONTAINER_HOST); nil: os.Getenv.
	Getenv func(string) string
	// TempDir is where a daemon's image is saved ("" = os.TempDir()).
	TempDir string
	// Keychain resolves registry credentials (nil = the docker config
	// and its credential helpers).
	Keychain authn.Keychain
	// RegistryTransport replaces the HTTP transport to registries (it is
	// still wrapped in imgdiff's retries).
	RegistryTransport http.RoundTripper
	// RetryBackoff is the first wait before retrying a failed registry
	// request; it doubles on each of the 4 retries (0 = 500ms).
	RetryBackoff time.Duration
	// Ranged configures ranged parallel fetches of big registry blobs
	// (the zero value: the defaults RangedOptions documents).
	Ranged registry.RangedOptions
	// SaveProgress, when set, is told how many bytes a `docker save` from
	// the engine has written so far: the slow part of reading from it.
	SaveProgress func(written int64)

	// budget is the Ranged.Total budget shared by the images of one
	// OpenAll (made there when nil).
	budget *registry.Budget
}

// The defaults of RangedOptions, for the CLI's flags.
const (
	DefaultRangeThreshold = registry.DefaultRangeThreshold
	DefaultRangeTotal     = registry.DefaultRangeTotal
)

// Open opens the image ref names. ref is "transport:…" in skopeo's
// vocabulary, an existing path (archive or OCI layout, detected), or a
// bare name:tag (the local engine when it answers and has the image, else
// the registry; the image's Notes say which). Errors name the input.
func Open(ctx context.Context, ref string, o Options) (*Image, error) {
	imgs, err := OpenAll(ctx, []string{ref}, o)
	if err != nil {
		return nil, err
	}
	return imgs[0], nil
}

// OpenAll opens several images in parallel. The ones the local engine
// holds are saved in one `docker save`, so layers they share are saved
// once. The first failure cancels the other opens; on error, nothing
// stays open. Errors name the reference and keep their cause for
// errors.Is (context.Canceled when interrupted).
func OpenAll(ctx context.Context, refs []string, o Options) ([]*Image, error) {
	out := make([]*Image, len(refs))
	if o.budget == nil {
		o.budget = registry.NewBudget(o.Ranged)
	}
	closeAll := func() {
		for _, img := range out {
			if img != nil {
				img.Close()
			}
		}
	}

	// Decide which references the engine serves before opening anything.
	r := &resolver{o: o}
	var daemonIdx []int
	var daemonImgs []daemonImage
	notes := make([]string, len(refs))
	// tried says, for a bare name sent to the registry because no engine
	// answers, which engines were tried: its registry error names both.
	tried := make([]string, len(refs))
	parsed := make([]Reference, len(refs))
	for i, raw := range refs {
		// Each reference is parsed once, here, into the value that
		// decides its source.
		ref, err := ParseReference(raw)
		if err != nil {
			return nil, &RefError{Ref: raw, Err: errors.New(strings.TrimPrefix(err.Error(), raw+": "))}
		}
		parsed[i] = ref
		d, note, err := r.daemonImage(ctx, ref)
		if err != nil {
			return nil, &RefError{Ref: raw, Err: err}
		}
		notes[i] = note
		if d.name != "" {
			daemonIdx = append(daemonIdx, i)
			daemonImgs = append(daemonImgs, d)
		} else if r.noEngine != nil && ref.Transport == "" {
			tried[i] = r.noEngine.Error()
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	for i, raw := range refs {
		if slices.Contains(daemonIdx, i) {
			continue
		}
		g.Go(func() error {
			img, err := openOne(gctx, parsed[i], o)
			if err != nil && tried[i] != "" && isBareName(raw) {
				err = fmt.Errorf("%s; %s: %w", tried[i], registryName(raw), err)
			}
			if err != nil {
				return &RefError{Ref: raw, Err: err}
			}
			out[i] = img
			return nil
		})
	}
	if len(daemonIdx) > 0 {
		g.Go(func() error {
			imgs, err := openDaemon(gctx, r.engine, daemonImgs, o)
			if err != nil {
				ref := refs[daemonIdx[0]]
				if len(daemonIdx) > 1 {
					var names []string
					for _, d := range daemonImgs {
						names = append(names, d.name)
					}
					ref = strings.Join(names, ", ")
				}
				return &RefError{Ref: ref, Err: err}
			}
			for k, i := range daemonIdx {
				out[i] = imgs[k]
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		closeAll()
		return nil, err
	}
	for i, img := range out {
		img.Ref = refs[i]
		if notes[i] != "" {
			img.Notes = append(img.Notes, notes[i])
		}
	}
	return out, nil
}

// RefError is an error opening one reference. Its message is one line
// (registry error bodies span several) that names the reference; the
// cause stays reachable through errors.Is and errors.As.
type RefError struct {
	Ref string
	Err error
}

func (e *RefError) Error() string { return e.Ref + ": " + oneLine(e.Err) }
func (e *RefError) Unwrap() error { return e.Err }

// resolver decides whether the engine serves a reference, finding the
// engine (engine.Resolve, engine.Connect) at most once.
type resolver struct {
	o         Options
	engine    *engine.Client
	connected bool
	err       error
	// noEngine is set when no engine answers (err is then the same).
	noEngine *engine.NoEngineError
}

// daemonImage returns the engine's image for ref when the engine serves
// it, with a note saying which engine (or, for a bare name, which source)
// was chosen. A bare name goes to the engine when one answers; to a
// registry only when none does, or when the engine lacks it and the name
// names its registry (ghcr.io/…, localhost:5000/…): a short name the
// engine lacks is an error, never a silent Docker Hub lookup.
func (r *resolver) daemonImage(ctx context.Context, ref Reference) (daemonImage, string, error) {
	raw := ref.Raw
	switch {
	case ref.Transport == DockerDaemon:
		if err := r.connect(ctx); err != nil {
			return daemonImage{}, "", err
		}
		info, err := r.engine.Inspect(ctx, ref.Name)
		if err != nil {
			return daemonImage{}, "", err
		}
		return daemonImage{name: ref.Name, info: info}, "read from " + r.engine.String(), nil
	case ref.Transport != "" || !isBareName(raw):
		return daemonImage{}, "", nil
	}
	if err := r.connect(ctx); err != nil {
		if r.noEngine != nil {
			return daemonImage{}, r.noEngine.Error() + "; read from the registry (docker://" + raw + ")", nil
		}
		return daemonImage{}, "", err
	}
	info, err := r.engine.Inspect(ctx, raw)
	switch {
	case err == nil:
		return daemonImage{name: raw, info: info}, "read from " + r.engine.String(), nil
	case errors.Is(err, engine.ErrNoSuchImage) && namesRegistry(raw):
		return daemonImage{}, "not in " + r.engine.String() + "; read from the registry (docker://" + raw + ")", nil
	case errors.Is(err, engine.ErrNoSuchImage):
		return daemonImage{}, "", fmt.Errorf("%w (docker://%s reads it from %s)", err, raw, registryName(raw))
	default:
		return daemonImage{}, "", err
	}
}

// connect finds the engine once: the docker CLI's choice (engine.Resolve)
// and the sockets tried after it, the first that answers a ping.
func (r *resolver) connect(ctx context.Context) error {
	if r.connected {
		return r.err
	}
	r.connected = true
	getenv := r.o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	eps, err := engine.Resolve(engine.Env{Context: r.o.DockerContext, Host: r.o.DockerHost, Getenv: getenv})
	if err == nil {
		r.engine, err = engine.Connect(ctx, eps, daemonPing)
	}
	errors.As(err, &r.noEngine)
	r.err = err
	return err
}

// namesRegistry reports whether the image name raw starts with a
// registry host (a dot or a port in its first component, or localhost),
// as the docker CLI decides; a short name ("app:1", "library/app") does
// not.
func namesRegistry(raw string) bool {
	first, _, ok := strings.Cut(raw, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// registryName is raw as the registry reads it
// (docker.io/library/app:multi).
func registryName(raw string) string {
	ref, err := name.ParseReference(raw)
	if err != nil {
		return raw
	}
	reg := ref.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	sep := ":"
	if _, ok := ref.(name.Digest); ok {
		sep = "@"
	}
	return reg + "/" + ref.Context().RepositoryStr() + sep + ref.Identifier()
}

// isBareName reports whether raw, without a transport, is an image name
// rather than a path: no such file exists and it parses as a reference.
func isBareName(raw string) bool {
	if exists(raw) || strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, ".") || filepath.Ext(raw) == ".tar" {
		return false
	}
	_, err := name.ParseReference(raw)
	return err == nil
}

// openOne opens a reference the engine does not serve: the one place a
// transport picks its source.
func openOne(ctx context.Context, ref Reference, o Options) (*Image, error) {
	raw := ref.Raw
	switch ref.Transport {
	case DockerArchive, OCIArchive, OCILayout:
		path, name := ref.Path, ref.Name
		if name != "" && exists(path+":"+name) {
			path, name = path+":"+name, "" // a path with a colon
		}
		return openFile(path, name, ref.Transport, o)
	case Registry:
		return openRegistry(ctx, ref.Name, o)
	case Snapshot:
		return snapshot.Open(ref.Path, snapshot.Options{})
	}
	if isBareName(raw) {
		return openRegistry(ctx, raw, o)
	}
	if exists(raw) {
		return openFile(raw, "", "", o)
	}
	if _, err := name.ParseReference(raw); err != nil && !strings.ContainsAny(raw, "/.") {
		return nil, fmt.Errorf("neither an existing file nor an image reference (%v)", err)
	}
	return nil, fmt.Errorf("no such file or directory")
}

// openRegistry opens ref from its registry (package registry).
func openRegistry(ctx context.Context, ref string, o Options) (*Image, error) {
	img, err := registry.Open(ctx, ref, registry.Options{
		Platform: o.Platform, Insecure: o.Insecure, Jobs: o.Jobs, Keychain: o.Keychain,
		Transport: o.RegistryTransport, RetryBackoff: o.RetryBackoff, Ranged: o.Ranged, Budget: o.budget,
	})
	if err != nil {
		return nil, err
	}
	img.Transport = Registry
	return img, nil
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
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		// A FIFO would block open(2) forever, a device never end.
		return nil, store.NotRegular(fi)
	}
	if fi.IsDir() {
		if transport != "" && transport != OCILayout {
			return nil, fmt.Errorf("is a directory; %s: wants a file (did you mean oci:%s?)", transport, path)
		}
		d := store.NewDir(path)
		if !d.Has("index.json") {
			return nil, fmt.Errorf("directory has no index.json: not an OCI layout")
		}
		return openStored(d, OCILayout, name, o)
	}
	if transport == OCILayout {
		return nil, fmt.Errorf("is a file; oci: wants a layout directory (did you mean oci-archive:%s?)", path)
	}
	s, err := store.OpenTar(path)
	if err != nil {
		return nil, err
	}
	if transport == "" {
		switch {
		case s.Has("manifest.json"):
			transport = DockerArchive
		case s.Has("index.json"):
			transport = OCIArchive
		default:
			s.Close()
			return nil, fmt.Errorf("tar archive has neither manifest.json nor index.json: not an image archive")
		}
	}
	return openStored(s, transport, name, o)
}

// openStored opens the image s holds as a docker save archive or an OCI
// layout or archive, as transport says; the image closes s when it is
// closed, and s is closed at once when the open fails.
func openStored(s interface {
	store.Store
	Close() error
}, transport, name string, o Options) (*Image, error) {
	open := ocilayout.Open
	if transport == DockerArchive {
		open = dockerarchive.Open
	}
	img, err := open(s, name, o.Platform)
	if err != nil {
		s.Close()
		return nil, err
	}
	img.Transport = transport
	img.OnClose(s.Close)
	return img, nil
}

// daemonPing bounds how long a bare name waits for a local engine before
// going to the registry.
const daemonPing = 2 * time.Second

// oneLine flattens multi-line errors (registry error bodies) into one line.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	const max = 400
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// RangedOptions configures ranged fetches of big registry blobs (see
// registry.RangedOptions).
type RangedOptions = registry.RangedOptions
