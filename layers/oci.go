package layers

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations that name an image in an OCI index.
const (
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerName = "io.containerd.image.name"
)

// blobName is where an OCI layout keeps a blob.
func blobName(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// readBlob reads a metadata blob and checks its digest and size.
func readBlob(s store, d v1.Descriptor) ([]byte, error) {
	name := blobName(d.Digest)
	b, err := readAll(s, name)
	if err != nil {
		return nil, err
	}
	if d.Size > 0 && int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%s: %d bytes, descriptor says %d", name, len(b), d.Size)
	}
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if got != d.Digest {
		return nil, fmt.Errorf("%s: digest mismatch: content is %s", name, got)
	}
	return b, nil
}

// openOCI opens the image an OCI layout (directory or archive) holds:
// selected by name (the ref.name annotation) when given, else the only
// image; an index is resolved to one platform.
func openOCI(s store, name string, o Options) (*Image, error) {
	raw, err := readAll(s, "index.json")
	if err != nil {
		if errors.Is(err, errNotInStore) {
			return nil, fmt.Errorf("no index.json: not an OCI layout")
		}
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	desc, err := pickNamed(idx.Manifests, name, o)
	if err != nil {
		return nil, err
	}
	img, err := openOCIDescriptor(s, desc, o, 0)
	if err != nil {
		return nil, err
	}
	if img.Provenance == nil && desc.MediaType.IsImage() {
		withProvenance(img, s, idx.Manifests, desc.Digest)
	}
	return img, nil
}

// withProvenance sets img.Provenance from the attestation that the index
// listing ds stores for image, if any; an attestation that cannot be
// read is a note, not an error.
func withProvenance(img *Image, s store, ds []v1.Descriptor, image v1.Hash) {
	p, err := ociProvenance(s, ds, image)
	if err != nil {
		img.Notes = append(img.Notes, provenanceNote(err))
		return
	}
	img.Provenance = p
}

// pickNamed chooses the top-level descriptor of a layout.
func pickNamed(ds []v1.Descriptor, name string, o Options) (v1.Descriptor, error) {
	if len(ds) == 0 {
		return v1.Descriptor{}, fmt.Errorf("index.json lists no images")
	}
	if name != "" {
		var names []string
		for _, d := range ds {
			if refMatches(d.Annotations[annotationRefName], name) || refMatches(d.Annotations[annotationContainerName], name) {
				return d, nil
			}
			if n := d.Annotations[annotationRefName]; n != "" {
				names = append(names, n)
			}
		}
		return v1.Descriptor{}, fmt.Errorf("no image named %q (it has: %s)", name, listOrNone(names))
	}
	if len(ds) == 1 {
		return ds[0], nil
	}
	// Several top-level manifests with platforms act as an index.
	withPlatform := 0
	for _, d := range ds {
		if d.Platform != nil {
			withPlatform++
		}
	}
	if withPlatform == len(ds) {
		return pickPlatform(ds, o.Platform)
	}
	var names []string
	for _, d := range ds {
		if n := d.Annotations[annotationRefName]; n != "" {
			names = append(names, n)
		}
	}
	return v1.Descriptor{}, fmt.Errorf("holds %d images; name one (%s)", len(ds), listOrNone(names))
}

// refMatches compares an annotation with a requested name: a full
// reference ("app:1"), a bare tag ("1"), or a name meaning ":latest".
func refMatches(annotation, want string) bool {
	if annotation == "" {
		return false
	}
	if annotation == want {
		return true
	}
	// ggcr and skopeo write just the tag; containerd the full name.
	a, w := normalizeName(annotation), normalizeName(want)
	if a == w {
		return true
	}
	_, tag, _ := strings.Cut(lastPath(annotation), ":")
	return tag != "" && tag == want
}

// normalizeName makes "app" and "docker.io/library/app:latest" equal.
func normalizeName(n string) string {
	if !strings.Contains(lastPath(n), ":") && !strings.Contains(n, "@") {
		n += ":latest"
	}
	n = strings.TrimPrefix(n, "docker.io/")
	n = strings.TrimPrefix(n, "index.docker.io/")
	n = strings.TrimPrefix(n, "library/")
	return n
}

func lastPath(n string) string {
	if i := strings.LastIndex(n, "/"); i >= 0 {
		return n[i+1:]
	}
	return n
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(names, ", ")
}

// pickPlatform chooses the manifest for the wanted platform (default: the
// host's), skipping attestation manifests.
func pickPlatform(ds []v1.Descriptor, want *v1.Platform) (v1.Descriptor, error) {
	w := HostPlatform()
	if want != nil {
		w = *want
	}
	var have []string
	for _, d := range ds {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		if platformMatches(*d.Platform, w) {
			return d, nil
		}
		have = append(have, FormatPlatform(*d.Platform))
	}
	slices.Sort(have)
	return v1.Descriptor{}, fmt.Errorf("no %s image in the index (it has %s); choose one with --platform", FormatPlatform(w), listOrNone(have))
}

func openOCIDescriptor(s store, d v1.Descriptor, o Options, depth int) (*Image, error) {
	switch {
	case d.MediaType.IsIndex():
		if depth > 2 {
			return nil, fmt.Errorf("indexes nested too deep")
		}
		raw, err := readBlob(s, d)
		if err != nil {
			return nil, err
		}
		idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", d.Digest, err)
		}
		child, err := pickPlatform(idx.Manifests, o.Platform)
		if err != nil {
			return nil, err
		}
		img, err := openOCIDescriptor(s, child, o, depth+1)
		if err != nil {
			return nil, err
		}
		if img.Provenance == nil && child.MediaType.IsImage() {
			withProvenance(img, s, idx.Manifests, child.Digest)
		}
		return img, nil
	case d.MediaType.IsImage():
		return openOCIManifest(s, d, o)
	}
	return nil, fmt.Errorf("descriptor %s has media type %q, not an image or index", d.Digest, d.MediaType)
}

func openOCIManifest(s store, d v1.Descriptor, o Options) (*Image, error) {
	raw, err := readBlob(s, d)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	cfgRaw, err := readBlob(s, m.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	img, err := newManifestImage(d.Digest, raw, m, cfgRaw, d.Platform, o)
	if err != nil {
		return nil, err
	}
	cfg := img.Config
	for i, ld := range m.Layers {
		name := blobName(ld.Digest)
		sec, err := s.open(name)
		if err != nil {
			if errors.Is(err, errNotInStore) {
				if !ld.MediaType.IsDistributable() {
					return nil, foreignLayer(i, ld)
				}
				return nil, fmt.Errorf("layer %d blob %s is missing", i, ld.Digest)
			}
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		size, compressed, loc := sec.Size(), isCompressed(sec), sec.loc
		sec.Close()
		if size != ld.Size {
			return nil, fmt.Errorf("layer %d blob %s: %d bytes, manifest says %d", i, ld.Digest, size, ld.Size)
		}
		if err := checkUncompressedDiffID(i, compressed, ld.Digest, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, err
		}
		l := &storeLayer{diffID: cfg.RootFS.DiffIDs[i], s: s, name: name, verify: ld.Digest, compressed: compressed, loc: loc}
		l.blob = Blob{Digest: ld.Digest.String(), Size: ld.Size, MediaType: string(ld.MediaType)}
		img.Layers = append(img.Layers, l)
	}
	return img, nil
}

// foreignLayer is the error for a foreign (non-distributable) layer, one
// a manifest points at by URL (Windows base layers) rather than ships.
func foreignLayer(i int, d v1.Descriptor) error {
	from := ""
	if len(d.URLs) > 0 {
		from = ", from " + d.URLs[0]
	}
	return fmt.Errorf("layer %d is a foreign (non-distributable) layer (%s%s): its blob is not shipped with the image, and imgdiff does not read foreign layers", i, d.MediaType, from)
}

// checkUncompressedDiffID checks the diffID a config claims for a layer
// whose blob is the uncompressed tar: the blob's digest, which is verified
// when the blob is read, is then the diffID.
func checkUncompressedDiffID(i int, compressed bool, blob, claimed v1.Hash) error {
	if compressed || blob == claimed {
		return nil
	}
	return fmt.Errorf("layer %d: the config claims diffID %s, but the layer is an uncompressed tar with digest %s", i, claimed, blob)
}

// newManifestImage checks a manifest against its config and makes the
// Image both describe (layers are the caller's to add).
func newManifestImage(digest v1.Hash, rawManifest []byte, m *v1.Manifest, cfgRaw []byte, described *v1.Platform, o Options) (*Image, error) {
	cfg, err := parseConfig(cfgRaw)
	if err != nil {
		return nil, err
	}
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("manifest lists %d layers, config %d diffIDs", len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	img := &Image{
		Digest:       digest.String(),
		ManifestSize: int64(len(rawManifest)),
		ConfigSize:   int64(len(cfgRaw)),
		Config:       cfg,
		Platform:     configPlatform(cfg, described),
	}
	if err := checkPlatform(img.Platform, o.Platform); err != nil {
		return nil, err
	}
	return img, nil
}

func parseConfig(raw []byte) (*v1.ConfigFile, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if cfg.RootFS.Type != "" && cfg.RootFS.Type != "layers" {
		return nil, fmt.Errorf("image config: rootfs type %q, want layers", cfg.RootFS.Type)
	}
	return cfg, nil
}

// configPlatform is the image's platform, from its config (authoritative)
// or the descriptor that pointed at it.
func configPlatform(cfg *v1.ConfigFile, d *v1.Platform) v1.Platform {
	p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if p.OS == "" && d != nil {
		return *d
	}
	return p
}

// checkPlatform fails when the user asked for a platform the image is not.
func checkPlatform(have v1.Platform, want *v1.Platform) error {
	if want == nil || platformMatches(have, *want) {
		return nil
	}
	return fmt.Errorf("image is %s, not the requested %s", FormatPlatform(have), FormatPlatform(*want))
}

// mediaTypeOf names a stored layer's type for the report.
func mediaTypeOf(compressed bool) types.MediaType {
	if compressed {
		return types.OCILayer
	}
	return types.OCIUncompressedLayer
}
