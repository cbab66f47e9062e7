// Package dockerarchive reads the images of a `docker save` archive in
// place, the layout before Docker 25 (<id>/layer.tar) and 25+ (an OCI
// layout inside the tar), from a store that package layers opens (a file
// the user names, or what the engine saved).
package dockerarchive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/internal/store"
	"github.com/imgdiff/imgdiff/layers/source"
)

// dockerManifestEntry is one image of a `docker save` manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
	// LayerSources describes, by diffID, the foreign layers the archive
	// does not hold (Windows base layers).
	LayerSources map[v1.Hash]v1.Descriptor `json:",omitempty"`
}

// Open opens an image of a `docker save` archive, both the
// layout before Docker 25 (<id>/layer.tar, uncompressed) and 25+ (an OCI
// layout inside the tar: blobs/sha256/…, layers possibly compressed,
// shared layers possibly missing). manifest.json, present in both, is
// the index; 25+ archives also give the manifest digest. name selects
// the image by tag or image ID ("" when the archive holds one); platform,
// when set, is the platform the image must be.
func Open(s store.Store, name string, platform *v1.Platform) (*source.Image, error) {
	raw, err := store.ReadIndex(s, "manifest.json", "a docker save archive")
	if err != nil {
		return nil, err
	}
	var entries []dockerManifestEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	e, err := pickDockerEntry(entries, name)
	if err != nil {
		return nil, err
	}
	cfgRaw, err := store.ReadAll(s, e.Config)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", e.Config, err)
	}
	cfg, err := source.ParseConfig(cfgRaw)
	if err != nil {
		return nil, err
	}
	if len(e.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("manifest.json lists %d layers, config %d diffIDs", len(e.Layers), len(cfg.RootFS.DiffIDs))
	}
	img := &source.Image{
		ConfigSize: int64(len(cfgRaw)),
		Config:     cfg,
		Platform:   source.ConfigPlatform(cfg, nil),
	}
	if err := source.CheckPlatform(img.Platform, platform); err != nil {
		return nil, err
	}
	cfgDigest, _, _ := v1.SHA256(bytes.NewReader(cfgRaw))
	if s.Has("index.json") {
		img.Digest, img.ManifestSize = dockerManifestDigest(s, cfgDigest)
	}
	for i, ln := range e.Layers {
		sec, err := s.Open(ln)
		if err != nil {
			if d, ok := e.LayerSources[cfg.RootFS.DiffIDs[i]]; ok && errors.Is(err, store.ErrNotInStore) && !d.MediaType.IsDistributable() {
				return nil, source.ForeignLayer(i, d)
			}
			if errors.Is(err, store.ErrNotInStore) {
				return nil, fmt.Errorf("layer %d (%s) is not in the archive: Docker 25+ may leave out layers another saved image shares; save the images together or with a current Docker", i, ln)
			}
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		size, compressed, loc := sec.Size(), store.IsCompressed(sec), sec.Location
		sec.Close()
		l := &store.Layer{Diff: cfg.RootFS.DiffIDs[i], Store: s, Name: ln, Location: loc}
		l.Stored = source.Blob{Size: index.Unknown, MediaType: string(types.DockerUncompressedLayer)}
		if compressed {
			// A compressed layer in a Docker 25+ archive is an OCI blob
			// named by its digest: that digest and size are what a
			// registry holds. Other writers (crane, tarball.Write) name
			// it "<hex>.tar.gz": its size is known, its digest claimed.
			l.Stored = source.Blob{Size: size, MediaType: string(source.MediaTypeOf(true))}
			if h, ok := digestFromBlobPath(ln); ok {
				l.Verify = h
				l.Stored.Digest = h.String()
			}
		}
		img.Layers = append(img.Layers, l)
	}
	return img, nil
}

func pickDockerEntry(entries []dockerManifestEntry, name string) (dockerManifestEntry, error) {
	if len(entries) == 0 {
		return dockerManifestEntry{}, fmt.Errorf("manifest.json lists no images")
	}
	var tags []string
	for _, e := range entries {
		for _, t := range e.RepoTags {
			if name != "" && source.RefMatches(t, name) {
				return e, nil
			}
			tags = append(tags, t)
		}
	}
	if name != "" {
		// An image ID (sha256:… or a prefix) names the config.
		id := strings.TrimPrefix(name, "sha256:")
		if len(id) >= 12 && isHex(id) {
			for _, e := range entries {
				if strings.HasPrefix(path.Base(e.Config), id) {
					return e, nil
				}
			}
		}
		if len(entries) == 1 && len(entries[0].RepoTags) == 0 {
			return entries[0], nil // saved by ID: no tags to match
		}
		return dockerManifestEntry{}, fmt.Errorf("no image tagged %q (it has: %s)", name, source.ListOrNone(tags))
	}
	if len(entries) > 1 {
		return dockerManifestEntry{}, fmt.Errorf("holds %d images; name one as docker-archive:PATH:NAME (%s)", len(entries), source.ListOrNone(tags))
	}
	return entries[0], nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// dockerManifestDigest finds, in a Docker 25+ archive's index.json, the
// manifest of the image with the given config digest.
func dockerManifestDigest(s store.Store, cfg v1.Hash) (string, int64) {
	raw, err := store.ReadAll(s, "index.json")
	if err != nil {
		return "", 0
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return "", 0
	}
	var find func(ds []v1.Descriptor, depth int) (string, int64)
	find = func(ds []v1.Descriptor, depth int) (string, int64) {
		for _, d := range ds {
			b, err := store.ReadBlob(s, d)
			if err != nil {
				continue
			}
			switch {
			case d.MediaType.IsImage():
				if m, err := v1.ParseManifest(bytes.NewReader(b)); err == nil && m.Config.Digest == cfg {
					return d.Digest.String(), d.Size
				}
			case d.MediaType.IsIndex() && depth < 2:
				if sub, err := v1.ParseIndexManifest(bytes.NewReader(b)); err == nil {
					if dg, n := find(sub.Manifests, depth+1); dg != "" {
						return dg, n
					}
				}
			}
		}
		return "", 0
	}
	return find(idx.Manifests, 0)
}

// digestFromBlobPath reads the digest from "blobs/sha256/<hex>".
func digestFromBlobPath(p string) (v1.Hash, bool) {
	dir, hex := path.Split(p)
	alg := path.Base(strings.TrimSuffix(dir, "/"))
	h, err := v1.NewHash(alg + ":" + hex)
	return h, err == nil && strings.HasPrefix(p, "blobs/")
}
