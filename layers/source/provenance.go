package source

import (
	"bytes"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BuildKit stores attestations as a manifest of their own in the image
// index (docs/attestations/attestation-storage.md in moby/buildkit): its
// platform is unknown/unknown, its annotations name the image manifest it
// attests, and each attestation is a layer of media type in-toto JSON
// whose annotation names the predicate type.
const (
	annotationRefType     = "vnd.docker.reference.type"
	annotationRefDigest   = "vnd.docker.reference.digest"
	refTypeAttestation    = "attestation-manifest"
	mediaTypeInToto       = "application/vnd.in-toto+json"
	annotationPredicate   = "in-toto.io/predicate-type"
	predicateSLSA02       = "https://slsa.dev/provenance/v0.2"
	predicateSLSA1        = "https://slsa.dev/provenance/v1"
	MaxProvenanceBlobSize = 16 << 20
)

// AttestationFor returns the descriptor of the attestation manifest that
// attests the image manifest digest in an index's manifests.
func AttestationFor(ds []v1.Descriptor, image v1.Hash) (v1.Descriptor, bool) {
	for _, d := range ds {
		if d.Annotations[annotationRefType] == refTypeAttestation && d.Annotations[annotationRefDigest] == image.String() {
			return d, true
		}
	}
	return v1.Descriptor{}, false
}

// ProvenanceLayer returns the descriptor of the SLSA provenance statement
// in an attestation manifest.
func ProvenanceLayer(raw []byte) (v1.Descriptor, bool, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return v1.Descriptor{}, false, fmt.Errorf("attestation manifest: %w", err)
	}
	for _, l := range m.Layers {
		if string(l.MediaType) != mediaTypeInToto {
			continue
		}
		if p := l.Annotations[annotationPredicate]; p == predicateSLSA02 || p == predicateSLSA1 {
			if l.Size > MaxProvenanceBlobSize {
				return v1.Descriptor{}, false, fmt.Errorf("provenance %s: %d bytes, more than %d", l.Digest, l.Size, MaxProvenanceBlobSize)
			}
			return l, true, nil
		}
	}
	return v1.Descriptor{}, false, nil
}

// ProvenanceNote is what a source notes when an attestation it found
// cannot be read: the image still opens, without the mapping.
func ProvenanceNote(err error) string {
	return fmt.Sprintf("provenance attestation not read: %v", err)
}
