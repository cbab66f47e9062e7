package layers

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// openRegistry reads an image's manifest and config from a registry; the
// layers are fetched when walked. Compressed sizes come from the manifest.
func openRegistry(ctx context.Context, ref string, o Options) (*Image, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("not an image reference: %w", err)
	}
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ropts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent("imgdiff"),
		// Each walker job holds one blob stream; remote blocks opening
		// more than its job count (a slot frees on Close).
		remote.WithJobs(max(o.Jobs, 1)),
	}
	if o.RegistryTransport != nil {
		ropts = append(ropts, remote.WithTransport(o.RegistryTransport))
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, err
	}
	var rimg v1.Image
	var pd *v1.Platform
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		d, err := pickPlatform(im.Manifests, o.Platform)
		if err != nil {
			return nil, err
		}
		pd = d.Platform
		if rimg, err = remote.Image(r.Context().Digest(d.Digest.String()), ropts...); err != nil {
			return nil, err
		}
	} else if rimg, err = desc.Image(); err != nil {
		return nil, err
	}
	rawManifest, err := rimg.RawManifest()
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(rawManifest))
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	dg, _, _ := v1.SHA256(bytes.NewReader(rawManifest))
	cfgRaw, err := rimg.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	img, err := newManifestImage(dg, rawManifest, m, cfgRaw, pd, o)
	if err != nil {
		return nil, err
	}
	img.Transport = Registry
	cfg := img.Config
	for i, ld := range m.Layers {
		if !ld.MediaType.IsDistributable() {
			return nil, foreignLayer(i, ld)
		}
		if ld.MediaType == types.OCIUncompressedLayer || ld.MediaType == types.DockerUncompressedLayer {
			if err := checkUncompressedDiffID(i, false, ld.Digest, cfg.RootFS.DiffIDs[i]); err != nil {
				return nil, err
			}
		}
		rl, err := rimg.LayerByDigest(ld.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		img.Layers = append(img.Layers, &registryLayer{
			diffID: cfg.RootFS.DiffIDs[i],
			blob:   Blob{Digest: ld.Digest.String(), Size: ld.Size, MediaType: string(ld.MediaType)},
			l:      rl,
		})
	}
	return img, nil
}

// registryLayer streams a layer blob; remote verifies its digest at EOF.
type registryLayer struct {
	diffID v1.Hash
	blob   Blob
	l      v1.Layer
}

func (l *registryLayer) DiffID() v1.Hash { return l.diffID }

// Identity implements Identified: the blob digest, which remote checks as
// the blob streams (and a registry checked on push).
func (l *registryLayer) Identity() Identity { return Identity{Digest: l.blob.Digest} }
func (l *registryLayer) Blob() Blob         { return l.blob }
func (l *registryLayer) Open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.l.Compressed()
}
