package imagetest

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations Docker and containerd put on index.json entries.
const (
	AnnotationRefName       = "org.opencontainers.image.ref.name"
	AnnotationContainerName = "io.containerd.image.name"
)

// Artifact is what the OCI writers accept: a v1.Image or a v1.ImageIndex.
type Artifact interface {
	MediaType() (types.MediaType, error)
}

// dockerManifestEntry is one element of a `docker save` manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// archive writes a tar with fixed times, directories first in sorted order,
// as a deterministic `docker save` would.
type archive struct {
	files map[string][]byte
}

func (a *archive) add(name string, b []byte) {
	if a.files == nil {
		a.files = map[string][]byte{}
	}
	a.files[name] = b
}

func (a *archive) writeFile(p string) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := a.write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (a *archive) write(w io.Writer) error {
	names := make([]string, 0, len(a.files))
	dirs := map[string]bool{}
	for n := range a.files {
		names = append(names, n)
		for d := filepath.ToSlash(filepath.Dir(n)); d != "."; d = filepath.ToSlash(filepath.Dir(d)) {
			dirs[d+"/"] = true
		}
	}
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			if err := tw.WriteHeader(header(n, tar.TypeDir, 0o755, 0, 0, 0, "")); err != nil {
				return err
			}
			continue
		}
		b := a.files[n]
		if err := tw.WriteHeader(header(n, tar.TypeReg, 0o644, 0, 0, int64(len(b)), "")); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return tw.Close()
}

func readAll(open func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// save is a `docker save` archive being written, in either layout: the
// image's config and layers, read once, and the tag as Docker writes it:
// the RepoTags entry and the repositories key and tag ("app:1" -> "app:1",
// "app", "1"). An empty tag is an untagged image.
type save struct {
	archive
	config     []byte
	configName v1.Hash
	layers     []v1.Layer
	repoTags   []string
	repo, tag  string
}

func newSave(tag string, img v1.Image) (*save, error) {
	s := &save{}
	if tag != "" {
		ref, err := name.NewTag(tag)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", tag, err)
		}
		s.repo, s.tag = ref.Context().RepositoryStr(), ref.TagStr()
		if reg := ref.Context().RegistryStr(); reg != name.DefaultRegistry {
			s.repo = reg + "/" + s.repo
		} else {
			s.repo = strings.TrimPrefix(s.repo, "library/")
		}
		s.repoTags = []string{s.repo + ":" + s.tag}
	}
	var err error
	if s.config, err = img.RawConfigFile(); err != nil {
		return nil, err
	}
	if s.configName, err = img.ConfigName(); err != nil {
		return nil, err
	}
	if s.layers, err = img.Layers(); err != nil {
		return nil, err
	}
	return s, nil
}

// finish adds manifest.json, naming the config and the layers at the paths
// given, and for a tagged image repositories, naming top (the top layer's
// v1 id, or the manifest's digest hex), and writes the archive to path.
func (s *save) finish(path, config string, layers []string, top string) error {
	m, err := json.Marshal([]dockerManifestEntry{{Config: config, RepoTags: s.repoTags, Layers: layers}})
	if err != nil {
		return err
	}
	s.add("manifest.json", m)
	if s.repo != "" {
		r, err := json.Marshal(map[string]map[string]string{s.repo: {s.tag: top}})
		if err != nil {
			return err
		}
		s.add("repositories", r)
	}
	return s.writeFile(path)
}

// WriteDockerArchive writes img as `docker save` did before Docker 25:
// <config hex>.json, one <v1 id>/ directory per layer with VERSION, json and
// an uncompressed layer.tar, manifest.json and repositories.
func WriteDockerArchive(path, tag string, img v1.Image) error {
	if err := writeDockerArchive(path, tag, img); err != nil {
		return fmt.Errorf("write docker archive %s: %w", path, err)
	}
	return nil
}

func writeDockerArchive(path, tag string, img v1.Image) error {
	a, err := newSave(tag, img)
	if err != nil {
		return err
	}
	a.add(a.configName.Hex+".json", a.config)
	var names []string
	parent := ""
	for _, l := range a.layers {
		d, err := l.DiffID()
		if err != nil {
			return err
		}
		// Docker's v1 layer id: a digest of the chain, so two images
		// sharing lower layers share the directories.
		s := sha256.Sum256([]byte(parent + " " + d.String()))
		id := hex.EncodeToString(s[:])
		raw, err := readAll(l.Uncompressed)
		if err != nil {
			return err
		}
		v1json, err := json.Marshal(map[string]any{"id": id, "parent": parent, "created": Epoch})
		if err != nil {
			return err
		}
		a.add(id+"/VERSION", []byte("1.0"))
		a.add(id+"/json", v1json)
		a.add(id+"/layer.tar", raw)
		names = append(names, id+"/layer.tar")
		parent = id
	}
	return a.finish(path, a.configName.Hex+".json", names, parent)
}

// Docker25Options tune WriteDockerArchive25.
type Docker25Options struct {
	// OmitLayers are the indexes of layers whose blobs are left out, as
	// Docker 25+ does for layers another saved image shares (moby#49473).
	OmitLayers []int
}

// WriteDockerArchive25 writes img as Docker 25+ `docker save` does: an OCI
// layout (oci-layout, index.json, blobs/sha256/...) plus manifest.json and
// repositories naming the blobs. Layer blobs are written as img holds them:
// build with Uncompressed for the classic image store's layout, with Gzip
// or Zstd for the containerd store's.
func WriteDockerArchive25(path, tag string, img v1.Image, opts Docker25Options) error {
	if err := writeDockerArchive25(path, tag, img, opts); err != nil {
		return fmt.Errorf("write docker 25 archive %s: %w", path, err)
	}
	return nil
}

func writeDockerArchive25(path, tag string, img v1.Image, opts Docker25Options) error {
	a, err := newSave(tag, img)
	if err != nil {
		return err
	}
	blob := func(h v1.Hash, b []byte) string {
		n := "blobs/" + h.Algorithm + "/" + h.Hex
		a.add(n, b)
		return n
	}
	cfgPath := blob(a.configName, a.config)
	ls := a.layers
	omit := map[int]bool{}
	for _, i := range opts.OmitLayers {
		if i < 0 || i >= len(ls) {
			return fmt.Errorf("omit layer %d: the image has %d layers", i, len(ls))
		}
		omit[i] = true
	}
	var names []string
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		n := "blobs/" + d.Algorithm + "/" + d.Hex
		if !omit[i] {
			b, err := readAll(l.Compressed)
			if err != nil {
				return err
			}
			blob(d, b)
		}
		names = append(names, n)
	}
	man, err := img.RawManifest()
	if err != nil {
		return err
	}
	manDigest, err := img.Digest()
	if err != nil {
		return err
	}
	mt, err := img.MediaType()
	if err != nil {
		return err
	}
	blob(manDigest, man)
	desc := v1.Descriptor{MediaType: mt, Digest: manDigest, Size: int64(len(man))}
	if tag != "" {
		ref, _ := name.NewTag(tag) // dockerTags checked it
		desc.Annotations = map[string]string{
			AnnotationContainerName: ref.Name(),
			AnnotationRefName:       a.tag,
		}
	}
	idx, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{desc}})
	if err != nil {
		return err
	}
	a.add("index.json", idx)
	a.add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	return a.finish(path, cfgPath, names, manDigest.Hex)
}

// WriteOCILayout writes an image or an index as an OCI image layout
// directory (created if needed, replaced if it holds a layout), its
// index.json entry annotated with org.opencontainers.image.ref.name = tag
// when tag is not empty.
func WriteOCILayout(dir, tag string, art Artifact) error {
	if err := writeOCILayout(dir, tag, art); err != nil {
		return fmt.Errorf("write oci layout %s: %w", dir, err)
	}
	return nil
}

func writeOCILayout(dir, tag string, art Artifact) error {
	// A fresh directory: ggcr appends to an existing index.json, and the
	// same call must always give the same bytes.
	for _, n := range []string{"index.json", "oci-layout", "blobs"} {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	var opts []layout.Option
	if tag != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{AnnotationRefName: tag}))
	}
	switch a := art.(type) {
	case v1.ImageIndex:
		return p.AppendIndex(a, opts...)
	case v1.Image:
		return p.AppendImage(a, opts...)
	}
	return fmt.Errorf("%T is neither an image nor an index", art)
}

// WriteOCIArchive writes an image or an index as an OCI archive: the tar of
// the layout WriteOCILayout writes.
func WriteOCIArchive(path, tag string, art Artifact) error {
	if err := writeOCIArchive(path, tag, art); err != nil {
		return fmt.Errorf("write oci archive %s: %w", path, err)
	}
	return nil
}

func writeOCIArchive(path, tag string, art Artifact) error {
	dir, err := os.MkdirTemp("", "imagetest-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeOCILayout(dir, tag, art); err != nil {
		return err
	}
	var a archive
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		a.add(filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		return err
	}
	return a.writeFile(path)
}

// Index builds an OCI image index of the images, keyed by platform
// ("linux/amd64", "linux/arm64/v8"); each descriptor carries the platform.
func Index(images map[string]v1.Image) (v1.ImageIndex, error) {
	keys := make([]string, 0, len(images))
	for k := range images {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, k := range keys {
		p, err := v1.ParsePlatform(k)
		if err != nil {
			return nil, fmt.Errorf("index: platform %q: %w", k, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: images[k], Descriptor: v1.Descriptor{Platform: p}})
	}
	return mutate.AppendManifests(idx, adds...), nil
}

// BuildIndex builds spec once per platform ("linux/amd64", ...) and
// indexes the images.
func BuildIndex(spec Image, platforms ...string) (v1.ImageIndex, error) {
	images := map[string]v1.Image{}
	for _, ps := range platforms {
		p, err := v1.ParsePlatform(ps)
		if err != nil {
			return nil, fmt.Errorf("index: platform %q: %w", ps, err)
		}
		s := spec
		s.Platform = *p
		img, err := Build(s)
		if err != nil {
			return nil, err
		}
		images[ps] = img
	}
	return Index(images)
}
