package source

import (
	"bytes"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the sources share to turn a manifest and a config into an Image:
// the checks that a manifest, its config and the user's request agree,
// and the names by which an archive or layout picks one of its images.

// NewManifestImage checks a manifest against its config and makes the
// Image both describe (layers are the caller's to add): described is the
// platform the descriptor that pointed at the manifest gives, want the
// one the user asked for (nil: any).
func NewManifestImage(digest v1.Hash, rawManifest []byte, m *v1.Manifest, cfgRaw []byte, described, want *v1.Platform) (*Image, error) {
	cfg, err := ParseConfig(cfgRaw)
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
		Platform:     ConfigPlatform(cfg, described),
		Annotations:  m.Annotations,
	}
	if err := CheckPlatform(img.Platform, want); err != nil {
		return nil, err
	}
	return img, nil
}

// ParseConfig parses an image config, refusing a rootfs that is not
// layers.
func ParseConfig(raw []byte) (*v1.ConfigFile, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if cfg.RootFS.Type != "" && cfg.RootFS.Type != "layers" {
		return nil, fmt.Errorf("image config: rootfs type %q, want layers", cfg.RootFS.Type)
	}
	return cfg, nil
}

// ForeignLayer is the error for a foreign (non-distributable) layer, one
// a manifest points at by URL (Windows base layers) rather than ships.
func ForeignLayer(i int, d v1.Descriptor) error {
	from := ""
	if len(d.URLs) > 0 {
		from = ", from " + d.URLs[0]
	}
	return fmt.Errorf("layer %d is a foreign (non-distributable) layer (%s%s): its blob is not shipped with the image, and imgdiff does not read foreign layers", i, d.MediaType, from)
}

// CheckUncompressedDiffID checks the diffID a config claims for a layer
// whose blob is the uncompressed tar: the blob's digest, which is verified
// when the blob is read, is then the diffID.
func CheckUncompressedDiffID(i int, compressed bool, blob, claimed v1.Hash) error {
	if compressed || blob == claimed {
		return nil
	}
	return fmt.Errorf("layer %d: the config claims diffID %s, but the layer is an uncompressed tar with digest %s", i, claimed, blob)
}

// MediaTypeOf names a stored layer's type for the report.
func MediaTypeOf(compressed bool) types.MediaType {
	if compressed {
		return types.OCILayer
	}
	return types.OCIUncompressedLayer
}

// RefMatches compares an annotation with a requested name: a full
// reference ("app:1"), a bare tag ("1"), or a name meaning ":latest".
func RefMatches(annotation, want string) bool {
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

// ListOrNone lists the names an archive or layout holds, for errors.
func ListOrNone(names []string) string {
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(names, ", ")
}
