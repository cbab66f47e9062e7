// Package source holds what every image source produces and the walk
// reads: the small Image, Layer, Blob and Identity values, and what the
// sources share to make them honestly (platforms, manifest and config
// checks, provenance attestations, digest-checking readers). It is the
// leaf of the layers tree: the sources (dockerarchive, ocilayout,
// registry, the engine) import it and never each other.
package source

import (
	"context"
	"errors"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers/index"
)

// Layer is one layer of an image as its source holds it.
type Layer interface {
	// DiffID is the digest of the uncompressed tar, as the config lists it.
	DiffID() v1.Hash
	// Blob describes the stored blob. Digest is empty and Size is -1 when the
	// source holds the layer uncompressed and has no compressed form.
	Blob() Blob
	// Open returns the layer's bytes as stored: a tar, gzip or zstd stream
	// (the walker sniffs which by magic bytes). When the stream is an
	// uncompressed tar that also implements io.Seeker, the walker seeks
	// past file bodies instead of reading them. Sources that can verify a
	// digest return an error from Read at EOF on a mismatch; the walker
	// always reads non-seekable streams to EOF so that check runs. The
	// caller closes the reader.
	Open(ctx context.Context) (io.ReadCloser, error)
}

// Blob describes a layer blob as stored or transferred.
type Blob struct {
	Digest    string
	Size      int64
	MediaType string
}

// Image is an opened image: metadata read eagerly, layers opened on demand.
// Close releases what the source holds (temp files, open archives).
type Image struct {
	// Ref is the reference as the user gave it.
	Ref string
	// Transport is the source actually used, one of the layers
	// transports ("docker-archive", "oci", "oci-archive", "docker",
	// "docker-daemon"); layers.Open sets it.
	Transport string
	Platform  v1.Platform
	// Digest is the manifest digest, when the source has a manifest.
	Digest       string
	ManifestSize int64
	ConfigSize   int64
	Config       *v1.ConfigFile
	Layers       []Layer
	// Annotations are the manifest's annotations, nil when it has none
	// (or the source has no manifest: docker save before Docker 25).
	Annotations map[string]string
	// Notes are facts worth telling the user, such as which source a bare
	// reference resolved to.
	Notes []string
	// Provenance is the in-toto statement of the BuildKit provenance
	// attestation (SLSA v0.2 or v1) the index stores for this image, as
	// stored; nil when there is none (docker save and the engine never
	// have one). Registries, OCI layouts and OCI archives read it.
	Provenance []byte
	// Snapshot is set on an image read from a snapshot file: what the
	// snapshot recorded of the image it was taken of.
	Snapshot *index.Snapshot

	closers []func() error
}

// Close releases the resources the source holds. It is safe to call twice.
func (img *Image) Close() error {
	var errs []error
	for i := len(img.closers) - 1; i >= 0; i-- {
		errs = append(errs, img.closers[i]())
	}
	img.closers = nil
	return errors.Join(errs...)
}

// OnClose registers f to run on Close, last registered first: a source
// hands the image the resources (files, stores) it holds.
func (img *Image) OnClose(f func() error) { img.closers = append(img.closers, f) }

// Identity is what a source can show about a layer's bytes. The walk
// de-duplicates layers, caches their indexes and tells analyze which layers
// two images share by it, never by the diffID a config claims: an image
// built from a pull request can claim any diffID.
type Identity struct {
	// Digest is the digest the blob's bytes are checked against while they
	// are read ("sha256:…"): a registry blob, an OCI layout blob, a Docker
	// 25+ archive blob. Empty when the source hands the layer out
	// unhashed (an uncompressed layer whose file bodies the walker seeks
	// past).
	Digest string
	// Location names, for a layer in a local file, which bytes it is in
	// this run: the file's fingerprint (device, inode, size, mtime, ctime)
	// and the layer's offset and length in it. The same Location is the
	// same bytes; a file changed since has another. Empty for remote
	// blobs, and when the platform gives no fingerprint.
	Location string
	// Local is set when the bytes are in a local file the engine did not
	// write: a digest is then only shown once this run has read them.
	Local bool
	// Engine is set when the layer comes from the local Docker engine,
	// which computed the diffID itself (on build, pull or load, where it
	// checks diffIDs against the tars): the diffID then names the content.
	Engine bool
}

// Identified is implemented by layers whose source gives an Identity. A
// Layer without it is read every time: never de-duplicated, never cached.
type Identified interface {
	Identity() Identity
}

// Prefetcher is implemented by layers whose blob can start arriving
// before Open (a registry blob fetched in ranges): the walk calls
// Prefetch on the layer it will open next, so that its first bytes are
// at hand when a worker gets to it. ctx ends the prefetch; Open, when it
// comes, takes over what arrived.
type Prefetcher interface {
	Prefetch(ctx context.Context)
}

// Indexed is implemented by layers whose file index is already known,
// with no bytes to read: a snapshot's (package snapshot). The walk takes
// their index from Index instead of reading them, never shares it with
// another image's layer (the index is only what a file claims) and never
// caches it; Same is what index.Layer.Identity says of it (what the walk
// showed the layer's bytes to be when the snapshot was taken).
type Indexed interface {
	Index() (*index.Layer, error)
	Same() string
}
