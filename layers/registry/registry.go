// Package registry reads images from an OCI distribution registry: the
// manifest and config when an image is opened, each layer blob streamed
// (or fetched in parallel ranges, see RangedOptions) when it is walked,
// its size and digest checked as it arrives, with retries that honour
// Retry-After, and the BuildKit provenance attestation the index stores.
package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/imgdiff/imgdiff/layers/source"
)

// Options say how to reach a registry.
type Options struct {
	// Platform selects an image from a multi-arch index (nil: the
	// host's) and must match a single image's config when set.
	Platform *v1.Platform
	// Insecure allows plain-HTTP registries other than localhost.
	Insecure bool
	// Jobs is how many layer streams may be open at once.
	Jobs int
	// Keychain resolves credentials (nil = the docker config and its
	// credential helpers).
	Keychain authn.Keychain
	// Transport replaces the HTTP transport (it is still wrapped in the
	// retries).
	Transport http.RoundTripper
	// RetryBackoff is the first wait before retrying a failed request;
	// it doubles on each of the 4 retries (0 = 500ms).
	RetryBackoff time.Duration
	// Ranged configures ranged parallel fetches of big blobs (the zero
	// value: the defaults RangedOptions documents).
	Ranged RangedOptions
	// Budget is the Ranged.Total connection budget, shared by the images
	// of one run (nil: this image's own).
	Budget *Budget
}

// Budget bounds the range requests in flight over the images that share
// it (RangedOptions.Total).
type Budget struct{ conns chan struct{} }

// NewBudget makes the budget that r's Total allows.
func NewBudget(r RangedOptions) *Budget {
	return &Budget{conns: make(chan struct{}, r.withDefaults().Total)}
}

// Open reads an image's manifest and config from a registry; the layers
// are fetched when walked. Compressed sizes come from the manifest.
func Open(ctx context.Context, ref string, o Options) (*source.Image, error) {
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
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	first := o.RetryBackoff
	if first <= 0 {
		first = defaultRetryBackoff
	}
	ropts := []remote.Option{
		remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent("imgdiff"),
		// Each walker job holds one blob stream; remote blocks opening
		// more than its job count (a slot frees on Close).
		remote.WithJobs(max(o.Jobs, 1)),
		// Registry faults: remote retries a request that fails with a
		// connection reset, an EOF or a temporary error, and the status
		// codes below, with this backoff and at most RetryAttempts tries.
		// remote does not read Retry-After: retryAfter, under its retry,
		// waits what the registry asks (within bounds) before handing
		// the 429 or 503 back to be retried.
		remote.WithTransport(&retryAfter{next: base, max: maxRetryAfter}),
		remote.WithRetryBackoff(remote.Backoff{Duration: first, Factor: 2, Jitter: 0.1, Steps: RetryAttempts}),
		remote.WithRetryStatusCodes(retryStatusCodes...),
	}
	budget := o.Budget
	if budget == nil { // an image alone
		budget = NewBudget(o.Ranged)
	}
	ranged := &rangedClient{
		repo: r.Context(), kc: kc, base: transport.NewUserAgent(&retryAfter{next: http1Only(base), max: maxRetryAfter}, "imgdiff"),
		opts: o.Ranged.withDefaults(), conns: budget.conns, backoff: first,
	}
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, err
	}
	ropts = append(ropts, remote.Reuse(puller), remote.WithContext(ctx))
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, err
	}
	var rimg v1.Image
	var pd *v1.Platform
	var siblings []v1.Descriptor // the index's manifests, for the attestation
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		d, err := source.PickPlatform(im.Manifests, o.Platform)
		if err != nil {
			return nil, err
		}
		pd = d.Platform
		siblings = im.Manifests
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
	img, err := source.NewManifestImage(dg, rawManifest, m, cfgRaw, pd, o.Platform)
	if err != nil {
		return nil, err
	}
	cfg := img.Config
	for i, ld := range m.Layers {
		if !ld.MediaType.IsDistributable() {
			return nil, source.ForeignLayer(i, ld)
		}
		if ld.MediaType == types.OCIUncompressedLayer || ld.MediaType == types.DockerUncompressedLayer {
			if err := source.CheckUncompressedDiffID(i, false, ld.Digest, cfg.RootFS.DiffIDs[i]); err != nil {
				return nil, err
			}
		}
		img.Layers = append(img.Layers, &registryLayer{
			diffID: cfg.RootFS.DiffIDs[i],
			blob:   source.Blob{Digest: ld.Digest.String(), Size: ld.Size, MediaType: string(ld.MediaType)},
			ref:    r.Context().Digest(ld.Digest.String()),
			puller: puller,
			ranged: ranged,
		})
	}
	if len(siblings) > 0 {
		p, err := registryProvenance(r, siblings, dg, ropts)
		if err != nil {
			img.Notes = append(img.Notes, source.ProvenanceNote(err))
		}
		img.Provenance = p
	}
	return img, nil
}

// registryProvenance fetches the provenance statement the index listing
// ds stores for the image manifest image; nil when there is none. remote
// checks the blob's digest as it is read.
func registryProvenance(r name.Reference, ds []v1.Descriptor, image v1.Hash, ropts []remote.Option) ([]byte, error) {
	att, ok := source.AttestationFor(ds, image)
	if !ok {
		return nil, nil
	}
	aimg, err := remote.Image(r.Context().Digest(att.Digest.String()), ropts...)
	if err != nil {
		return nil, fmt.Errorf("attestation manifest: %w", err)
	}
	raw, err := aimg.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("attestation manifest: %w", err)
	}
	l, ok, err := source.ProvenanceLayer(raw)
	if err != nil || !ok {
		return nil, err
	}
	layer, err := remote.Layer(r.Context().Digest(l.Digest.String()), ropts...)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, source.MaxProvenanceBlobSize+1))
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	if int64(len(b)) != l.Size {
		return nil, fmt.Errorf("provenance %s: %d bytes, manifest says %d", l.Digest, len(b), l.Size)
	}
	if got, _, err := v1.SHA256(bytes.NewReader(b)); err != nil || got != l.Digest {
		return nil, fmt.Errorf("provenance %s: digest mismatch", l.Digest)
	}
	return b, nil
}

// registryLayer streams a layer blob; remote verifies its digest at EOF.
// It is fetched with the context of the walk that opens it (not the one
// the image was opened with), so cancelling the walk stops the download.
type registryLayer struct {
	diffID v1.Hash
	blob   source.Blob
	ref    name.Digest
	puller *remote.Puller
	ranged *rangedClient

	// prefetched holds the result of a Prefetch for Open to take; nil
	// when there was none or Open took it.
	mu         sync.Mutex
	prefetched chan openResult
}

// openResult is what a prefetch's openRanged returned, and the context
// its fetch runs under.
type openResult struct {
	rc  io.ReadCloser
	err error
	ctx context.Context
}

func (l *registryLayer) DiffID() v1.Hash { return l.diffID }

// Identity implements Identified: the blob digest, which remote checks as
// the blob streams (and a registry checked on push).
func (l *registryLayer) Identity() source.Identity { return source.Identity{Digest: l.blob.Digest} }

func (l *registryLayer) Blob() source.Blob { return l.blob }

// isRanged says whether the blob is fetched in ranges (RangedOptions).
func (l *registryLayer) isRanged() bool {
	return l.ranged != nil && l.ranged.opts.Threshold >= 0 && l.blob.Size > 0 && l.blob.Size >= l.ranged.opts.Threshold
}

// Prefetch implements layers.Prefetcher: the blob starts arriving now,
// in ranges, its first PerBlob chunks buffered (within the connection
// budget all blobs share), for the Open that follows. Without it, every
// layer's walk starts with its first chunk arriving over one connection
// at that connection's rate while the decompressor, which is faster,
// waits: at 40 MB/s a connection, 8 MiB take 0.2 s a layer. A blob under
// the threshold, which Open would fetch in one stream, is prefetched in
// ranges too: in the background, one round trip a chunk costs nothing,
// and it is then ready in memory rather than arriving at one
// connection's rate (a 15 MB layer last in the walk: 0.4 s at 40 MB/s
// while the other cores idle). ctx bounds the fetch: the walk cancels it
// when it ends, whether or not Open came. Ranges off (Threshold < 0) or
// a blob of unknown size: nothing is prefetched.
func (l *registryLayer) Prefetch(ctx context.Context) {
	if l.ranged == nil || l.ranged.opts.Threshold < 0 || l.blob.Size <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.prefetched != nil {
		return
	}
	ch := make(chan openResult, 1)
	l.prefetched = ch
	go func() {
		rc, err := l.openRanged(ctx, true)
		ch <- openResult{rc, err, ctx}
	}()
}

// takePrefetched returns the pending Prefetch's result channel, once.
func (l *registryLayer) takePrefetched() chan openResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.prefetched
	l.prefetched = nil
	return ch
}

func (l *registryLayer) Open(ctx context.Context) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	noRanges := false
	if pre := l.takePrefetched(); pre != nil {
		var res openResult
		select {
		case res = <-pre:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if res.err == nil && res.ctx.Err() == nil {
			return res.rc, nil
		}
		if res.rc != nil {
			res.rc.Close()
		}
		// errNoRanges: one stream, below. Otherwise the prefetch's
		// context ended before this Open (a walk that ended without
		// opening the layer, and a later one that does): start over.
		noRanges = errors.Is(res.err, errNoRanges)
	}
	if l.isRanged() && !noRanges {
		rc, err := l.openRanged(ctx, false)
		if !errors.Is(err, errNoRanges) {
			return rc, err
		}
		// The registry serves no ranges (or the first one failed): one
		// stream through remote, with its retries.
	}
	rl, err := l.puller.Layer(ctx, l.ref)
	if err != nil {
		return nil, err
	}
	rc, err := rl.Compressed()
	if err != nil {
		return nil, err
	}
	if l.blob.Size < 0 {
		return rc, nil
	}
	return &sizeChecked{rc: rc, left: l.blob.Size, ref: l.ref.String()}, nil
}

// openRanged fetches the blob in ranges (see RangedOptions), checking its
// SHA-256 over the whole blob as the chunks are read in order. A server
// that answers the first range request with the whole blob (200) is read
// in that one stream, size- and digest-checked the same way.
func (l *registryLayer) openRanged(ctx context.Context, buffered bool) (io.ReadCloser, error) {
	want, err := v1.NewHash(l.blob.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.ref, err)
	}
	client, err := l.ranged.client(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %w", errNoRanges, err)
	}
	reg := l.ref.Context().Registry
	f := &rangeFetcher{
		client:  client,
		url:     fmt.Sprintf("%s://%s/v2/%s/blobs/%s", reg.Scheme(), reg.RegistryStr(), l.ref.Context().RepositoryStr(), l.blob.Digest),
		size:    l.blob.Size,
		opts:    l.ranged.opts,
		conns:   l.ranged.conns,
		backoff: l.ranged.backoff,
		name:    l.ref.String(),
	}
	rc, ranged, err := f.open(ctx, buffered)
	if err != nil {
		return nil, err
	}
	if !ranged {
		rc = &sizeChecked{rc: rc, left: l.blob.Size, ref: l.ref.String()}
	}
	return source.NewVerifier(rc, want, l.ref.String())
}

// rangedClient makes, once per repository, the HTTP client that range
// requests go through: ggcr's authenticated transport (which sends the
// registry's token only to the registry, not to the storage a blob GET
// redirects to) over imgdiff's Retry-After wait. The client follows
// redirects, carrying the Range header.
type rangedClient struct {
	repo    name.Repository
	kc      authn.Keychain
	base    http.RoundTripper
	opts    RangedOptions
	conns   chan struct{}
	backoff time.Duration

	mu sync.Mutex
	c  *http.Client
}

func (rc *rangedClient) client(ctx context.Context) (*http.Client, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.c != nil {
		return rc.c, nil
	}
	auth, err := rc.kc.Resolve(rc.repo)
	if err != nil {
		return nil, err
	}
	t, err := transport.NewWithContext(ctx, rc.repo.Registry, auth, rc.base, []string{rc.repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, err // not kept: a later blob tries again
	}
	rc.c = &http.Client{Transport: t}
	return rc.c, nil
}

// http1Only returns a copy of an *http.Transport that speaks HTTP/1.1
// only; other round trippers are returned as they are. Range requests are
// sent at once to get several TCP connections, each with its own
// throughput: over HTTP/2 they would share one.
func http1Only(rt http.RoundTripper) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok {
		return rt
	}
	t = t.Clone()
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	t.ForceAttemptHTTP2 = false
	if c := t.TLSClientConfig; c != nil && slices.Contains(c.NextProtos, "h2") {
		// Offered by ALPN, h2 would be chosen and spoken to an HTTP/1 client.
		c = c.Clone()
		c.NextProtos = slices.DeleteFunc(slices.Clone(c.NextProtos), func(p string) bool { return p == "h2" })
		t.TLSClientConfig = c
	}
	return t
}

// sizeChecked fails a blob stream that runs past the size the manifest
// gives (remote checks the digest only at the end, which an endless
// stream never reaches) or ends short of it.
type sizeChecked struct {
	rc   io.ReadCloser
	left int64
	ref  string
}

func (s *sizeChecked) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.left -= int64(n)
	switch {
	case s.left < 0:
		return n, fmt.Errorf("%s: blob is larger than the manifest says", s.ref)
	case err == io.EOF && s.left > 0:
		return n, fmt.Errorf("%s: blob ends %d bytes short of the manifest's size: %w", s.ref, s.left, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (s *sizeChecked) Close() error { return s.rc.Close() }

// Registry retries: how many attempts a request gets, the first wait
// (doubling after each failure), and which statuses are worth retrying.
const (
	RetryAttempts       = 5
	defaultRetryBackoff = 500 * time.Millisecond
	// maxRetryAfter caps what a Retry-After may make a run wait per try.
	maxRetryAfter = 30 * time.Second
)

var retryStatusCodes = []int{
	http.StatusRequestTimeout, http.StatusTooManyRequests,
	http.StatusInternalServerError, http.StatusBadGateway,
	http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// retryAfter waits, on a 429 or 503 that carries Retry-After, as long as
// the registry asks (at most max, never past the request's context) before
// returning the response, which remote's retry then retries.
type retryAfter struct {
	next http.RoundTripper
	max  time.Duration
}

func (t *retryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return resp, err
	}
	wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if !ok || wait <= 0 {
		return resp, nil
	}
	timer := time.NewTimer(min(wait, t.max))
	defer timer.Stop()
	select {
	case <-timer.C:
		return resp, nil
	case <-req.Context().Done():
		resp.Body.Close()
		return nil, req.Context().Err()
	}
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}
