package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imgdiff/imgdiff/layers/cache"
	"github.com/imgdiff/imgdiff/layers/index"
)

// The media types of a fleet store artifact: an OCI image manifest whose
// artifactType and config say what it is, with one layer, the entry.
const (
	ArtifactType    = "application/vnd.imgdiff.layer-index.v1"
	ConfigMediaType = "application/vnd.imgdiff.layer-index.config.v1+json"
	EntryMediaType  = "application/vnd.imgdiff.layer-index.entry.v1"
)

// Annotations of the artifact's manifest (Get trusts only the entry, which
// carries its version and key; Has, which reads no entry, trusts them).
const (
	AnnotationLayer   = "org.imgdiff.layer.digest"
	AnnotationVersion = "org.imgdiff.cache.version"
	// AnnotationKey is the whole key the entry was written for, which
	// Has compares without downloading the entry.
	AnnotationKey = "org.imgdiff.key"
)

// defaultKeychain is the user's: the docker config and its credential
// helpers.
var defaultKeychain = authn.DefaultKeychain

// RegistryOptions configure a registry store.
type RegistryOptions struct {
	// Keychain resolves credentials; nil means authn.DefaultKeychain (the
	// docker config and its credential helpers).
	Keychain authn.Keychain
	// Transport replaces the HTTP transport (nil: remote.DefaultTransport).
	Transport http.RoundTripper
	// Insecure allows plain HTTP to a registry other than localhost.
	Insecure bool
}

// Registry is a store in an OCI registry repository.
type Registry struct {
	repo name.Repository
	opts RegistryOptions
}

// OpenRegistry opens the store in repository repo ("HOST/REPO"). It does
// not contact the registry.
func OpenRegistry(repo string, o RegistryOptions) (*Registry, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.NewRepository(repo, nopts...)
	if err != nil {
		return nil, fmt.Errorf("fleet store docker://%s: %w", repo, err)
	}
	if o.Keychain == nil {
		o.Keychain = defaultKeychain
	}
	return &Registry{repo: r, opts: o}, nil
}

func (r *Registry) String() string { return "docker://" + r.repo.String() }

func (r *Registry) remote(ctx context.Context) []remote.Option {
	o := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(r.opts.Keychain)}
	if r.opts.Transport != nil {
		o = append(o, remote.WithTransport(r.opts.Transport))
	}
	return o
}

// Tag is the tag of the artifact that holds key's entry: the cache format
// version and a hash of the key (a key holds ':' and '+', which tags
// cannot, and may be longer than a tag's 128 characters).
func Tag(key string) string {
	h := sha256.Sum256([]byte(key))
	return "imgdiff-v" + strconv.Itoa(cache.FormatVersion) + "-" + hex.EncodeToString(h[:])[:48]
}

// artifactConfig is the config blob of an artifact.
type artifactConfig struct {
	Version int    `json:"imgdiffCacheVersion"`
	Layer   string `json:"layerDigest"`
	Key     string `json:"key"`
}

// rawManifest is a manifest remote.Put pushes as it is.
type rawManifest struct {
	body []byte
	mt   types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.body, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// Put implements Store: it uploads the entry and the config, then tags
// the manifest, so the tag only ever names an artifact whose blobs are
// there.
func (r *Registry) Put(ctx context.Context, key string, l *index.Layer) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	entry := cache.EncodeEntry(key, l)
	cfg, err := json.Marshal(artifactConfig{Version: cache.FormatVersion, Layer: LayerDigest(key), Key: key})
	if err != nil {
		return err
	}
	return r.push(ctx, key, cfg, entry, ArtifactType)
}

// push writes an artifact with the given config and entry blobs under
// key's tag (tests push foreign artifacts through it).
func (r *Registry) push(ctx context.Context, key string, cfg, entry []byte, artifactType string) error {
	cl := static.NewLayer(cfg, ConfigMediaType)
	el := static.NewLayer(entry, EntryMediaType)
	for _, b := range []v1.Layer{cl, el} {
		if err := remote.WriteLayer(r.repo, b, r.remote(ctx)...); err != nil {
			return fmt.Errorf("fleet store %s: %w", r, err)
		}
	}
	desc := func(l v1.Layer, mt types.MediaType) (v1.Descriptor, error) {
		d, err := l.Digest()
		if err != nil {
			return v1.Descriptor{}, err
		}
		n, err := l.Size()
		return v1.Descriptor{MediaType: mt, Digest: d, Size: n}, err
	}
	cd, err := desc(cl, ConfigMediaType)
	if err != nil {
		return err
	}
	ed, err := desc(el, EntryMediaType)
	if err != nil {
		return err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        cd,
		Layers:        []v1.Descriptor{ed},
		Annotations: map[string]string{AnnotationLayer: LayerDigest(key), AnnotationVersion: strconv.Itoa(cache.FormatVersion),
			AnnotationKey: key},
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := remote.Put(r.repo.Tag(Tag(key)), rawManifest{body: body, mt: types.OCIManifestSchema1}, r.remote(ctx)...); err != nil {
		return fmt.Errorf("fleet store %s: %w", r, err)
	}
	return nil
}

// maxManifest bounds the manifest Get reads.
const maxManifest = 64 << 10

// manifest reads the manifest of key's artifact; ok is false when there
// is none or it is not an entry for key (another artifact type, another
// layer, key or version in its annotations, a malformed entry layer).
func (r *Registry) manifest(ctx context.Context, key string) (*v1.Manifest, bool, error) {
	if CheckKey(key) != nil {
		return nil, false, nil
	}
	desc, err := remote.Get(r.repo.Tag(Tag(key)), r.remote(ctx)...)
	if err != nil {
		if notFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("fleet store %s: %w", r, err)
	}
	if len(desc.Manifest) > maxManifest {
		return nil, false, nil
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, false, nil
	}
	if m.MediaType != types.OCIManifestSchema1 || m.ArtifactType != ArtifactType || m.Config.MediaType != ConfigMediaType ||
		len(m.Layers) != 1 || m.Layers[0].MediaType != EntryMediaType || m.Layers[0].Size < 0 || m.Layers[0].Size > cache.MaxEntrySize ||
		m.Annotations[AnnotationLayer] != LayerDigest(key) || m.Annotations[AnnotationKey] != key ||
		m.Annotations[AnnotationVersion] != strconv.Itoa(cache.FormatVersion) {
		return nil, false, nil
	}
	return &m, true, nil
}

// Has implements Store: the artifact's manifest is there and says it
// holds key's entry, of this format version. The entry blob is not
// downloaded (a registry accepts a manifest only once the blobs it
// names are in the repository).
func (r *Registry) Has(ctx context.Context, key string) (bool, error) {
	_, ok, err := r.manifest(ctx, key)
	return ok, err
}

// Get implements Store. A tag that is not there is a miss; so is an
// artifact of another type, an entry blob that does not match its digest,
// or an entry of another version or key.
func (r *Registry) Get(ctx context.Context, key string) (*index.Layer, bool, error) {
	m, ok, err := r.manifest(ctx, key)
	if !ok {
		return nil, false, err
	}
	ed := m.Layers[0]
	bl, err := remote.Layer(r.repo.Digest(ed.Digest.String()), r.remote(ctx)...)
	if err != nil {
		return nil, false, fmt.Errorf("fleet store %s: %w", r, err)
	}
	rc, err := bl.Compressed()
	if err != nil {
		if notFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("fleet store %s: %w", r, err)
	}
	defer rc.Close()
	// ggcr checks the blob's digest as it is read: a blob that is not
	// what the manifest names fails the read.
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(rc, ed.Size+1)); err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		var te *transport.Error
		if errors.As(err, &te) {
			return nil, false, fmt.Errorf("fleet store %s: %w", r, err)
		}
		return nil, false, nil // digest or size mismatch: not trusted
	}
	if int64(buf.Len()) != ed.Size {
		return nil, false, nil
	}
	l, err := cache.DecodeEntry(key, buf.Bytes())
	if err != nil {
		return nil, false, nil
	}
	return l, true, nil
}

// notFound says whether err is the registry saying there is no such
// manifest, blob or repository.
func notFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return true
		}
	}
	return false
}
