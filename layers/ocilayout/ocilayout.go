// Package ocilayout reads the images of an OCI image layout, a directory
// or an OCI archive (the same layout in a tar), in place from a store that
// package layers opens: the image named by its ref.name annotation, or the
// only one, resolved through indexes to one platform, with the BuildKit
// provenance attestation the index stores for it.
package ocilayout

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/imgdiff/imgdiff/layers/internal/store"
	"github.com/imgdiff/imgdiff/layers/source"
)

// Annotations that name an image in an OCI index.
const (
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerName = "io.containerd.image.name"
)

// Open opens the image an OCI layout (directory or archive) holds:
// selected by name (the ref.name annotation) when given, else the only
// image; an index is resolved to platform (nil: the host's), which a
// single image must then be.
func Open(s store.Store, name string, platform *v1.Platform) (*source.Image, error) {
	raw, err := store.ReadIndex(s, "index.json", "an OCI layout")
	if err != nil {
		return nil, err
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	desc, err := pickNamed(idx.Manifests, name, platform)
	if err != nil {
		return nil, err
	}
	img, err := openOCIDescriptor(s, desc, platform, 0)
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
func withProvenance(img *source.Image, s store.Store, ds []v1.Descriptor, image v1.Hash) {
	p, err := ociProvenance(s, ds, image)
	if err != nil {
		img.Notes = append(img.Notes, source.ProvenanceNote(err))
		return
	}
	img.Provenance = p
}

// pickNamed chooses the top-level descriptor of a layout.
func pickNamed(ds []v1.Descriptor, name string, platform *v1.Platform) (v1.Descriptor, error) {
	if len(ds) == 0 {
		return v1.Descriptor{}, fmt.Errorf("index.json lists no images")
	}
	if name != "" {
		var names []string
		for _, d := range ds {
			if source.RefMatches(d.Annotations[annotationRefName], name) || source.RefMatches(d.Annotations[annotationContainerName], name) {
				return d, nil
			}
			if n := d.Annotations[annotationRefName]; n != "" {
				names = append(names, n)
			}
		}
		return v1.Descriptor{}, fmt.Errorf("no image named %q (it has: %s)", name, source.ListOrNone(names))
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
		return source.PickPlatform(ds, platform)
	}
	var names []string
	for _, d := range ds {
		if n := d.Annotations[annotationRefName]; n != "" {
			names = append(names, n)
		}
	}
	return v1.Descriptor{}, fmt.Errorf("holds %d images; name one (%s)", len(ds), source.ListOrNone(names))
}

// readBlobAs reads the blob d, digest and size checked, and parses it with
// parse; a parse error names what d is and its digest.
func readBlobAs[T any](s store.Store, d v1.Descriptor, what string, parse func(io.Reader) (*T, error)) ([]byte, *T, error) {
	raw, err := store.ReadBlob(s, d)
	if err != nil {
		return nil, nil, err
	}
	v, err := parse(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", what, d.Digest, err)
	}
	return raw, v, nil
}

func openOCIDescriptor(s store.Store, d v1.Descriptor, platform *v1.Platform, depth int) (*source.Image, error) {
	switch {
	case d.MediaType.IsIndex():
		if depth > 2 {
			return nil, fmt.Errorf("indexes nested too deep")
		}
		_, idx, err := readBlobAs(s, d, "index", v1.ParseIndexManifest)
		if err != nil {
			return nil, err
		}
		child, err := source.PickPlatform(idx.Manifests, platform)
		if err != nil {
			return nil, err
		}
		img, err := openOCIDescriptor(s, child, platform, depth+1)
		if err != nil {
			return nil, err
		}
		if img.Provenance == nil && child.MediaType.IsImage() {
			withProvenance(img, s, idx.Manifests, child.Digest)
		}
		return img, nil
	case d.MediaType.IsImage():
		return openOCIManifest(s, d, platform)
	}
	return nil, fmt.Errorf("descriptor %s has media type %q, not an image or index", d.Digest, d.MediaType)
}

func openOCIManifest(s store.Store, d v1.Descriptor, platform *v1.Platform) (*source.Image, error) {
	raw, m, err := readBlobAs(s, d, "manifest", v1.ParseManifest)
	if err != nil {
		return nil, err
	}
	cfgRaw, err := store.ReadBlob(s, m.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	img, err := source.NewManifestImage(d.Digest, raw, m, cfgRaw, d.Platform, platform)
	if err != nil {
		return nil, err
	}
	cfg := img.Config
	for i, ld := range m.Layers {
		name := store.BlobName(ld.Digest)
		sec, err := s.Open(name)
		if err != nil {
			if errors.Is(err, store.ErrNotInStore) {
				if !ld.MediaType.IsDistributable() {
					return nil, source.ForeignLayer(i, ld)
				}
				return nil, fmt.Errorf("layer %d blob %s is missing", i, ld.Digest)
			}
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		size, compressed, loc := sec.Size(), store.IsCompressed(sec), sec.Location
		sec.Close()
		if size != ld.Size {
			return nil, fmt.Errorf("layer %d blob %s: %d bytes, manifest says %d", i, ld.Digest, size, ld.Size)
		}
		if err := source.CheckUncompressedDiffID(i, compressed, ld.Digest, cfg.RootFS.DiffIDs[i]); err != nil {
			return nil, err
		}
		l := &store.Layer{Diff: cfg.RootFS.DiffIDs[i], Store: s, Name: name, Verify: ld.Digest, Location: loc,
			Stored: source.Blob{Digest: ld.Digest.String(), Size: ld.Size, MediaType: string(ld.MediaType)}}
		img.Layers = append(img.Layers, l)
	}
	return img, nil
}

// ociProvenance reads, from an OCI layout or archive, the provenance
// statement that attests image in the index listing ds; nil when there is
// none.
func ociProvenance(s store.Store, ds []v1.Descriptor, image v1.Hash) ([]byte, error) {
	att, ok := source.AttestationFor(ds, image)
	if !ok {
		return nil, nil
	}
	raw, err := store.ReadBlob(s, att)
	if err != nil {
		return nil, fmt.Errorf("attestation manifest: %w", err)
	}
	l, ok, err := source.ProvenanceLayer(raw)
	if err != nil || !ok {
		return nil, err
	}
	b, err := store.ReadBlob(s, l)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return b, nil
}
