package pipeline

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/rules"
	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/fleet"
	"github.com/imgdiff/imgdiff/layers/index"
)

// ScanOptions say how to run a fleet scan.
type ScanOptions struct {
	// Open says how to open the images; its Jobs (> 0) also bounds the
	// layers read at once.
	Open layers.Options
	// Store receives the layer indexes.
	Store fleet.Store
	// Shard (0 ≤ Shard < Shards) is this worker's share of the layers.
	Shard, Shards int
	// MaxEntries caps the entries of a layer (0: layers.DefaultMaxEntries).
	MaxEntries int
	// Verify reads every stored entry whole to decide whether a layer
	// is done (a damaged entry is then rewritten); by default the store
	// is only asked whether the entries exist (Store.Has), which reads
	// no entry body, so a re-run over a stored fleet downloads nothing.
	Verify bool
	// Layer, when set, is told as each layer of the shard is done:
	// stored says it was already in the store.
	Layer func(digest string, stored bool)
}

// ScanResult is what a fleet scan did.
type ScanResult struct {
	Images int
	// Layers are the distinct layer blobs of all images; Shard those of
	// this worker's shard, Stored those of the shard whose entries were
	// all in the store already, Walked those read.
	Layers, Shard, Stored, Walked int
	// Entries are the entries written to the store (a layer has one per
	// distinct capture set of the images that hold it).
	Entries int
}

// ShardOf is the shard, of n, that reads the layer blob with this digest:
// FNV-1a of the digest, modulo n. Workers started anywhere agree on it
// without talking.
func ShardOf(digest string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(digest))
	return int(h.Sum64() % uint64(n))
}

// fleetLayer is one distinct layer blob of a fleet and the capture sets
// (by capture key) of the images that hold it.
type fleetLayer struct {
	digest   string
	layer    layers.Layer
	where    string
	captures map[string]func(string, int64) bool
}

// fleetKeys are the store keys of img's layers, in order, with the
// capture key and set the analysis of img walks them with: those of
// Load for this image alone.
func fleetKeys(img *layers.Image) (keys []string, captureKey string, capture func(string, int64) bool, err error) {
	capture, captureKey, _ = captureSet([]*layers.Image{img}, false)
	for i, l := range img.Layers {
		k, ok := layers.CacheKey(l, captureKey)
		if !ok || fleet.CheckKey(k) != nil {
			return nil, "", nil, fmt.Errorf("%s: layer %d is not a registry blob: a fleet reads images from registries", img.Ref, i)
		}
		keys = append(keys, k)
	}
	return keys, captureKey, capture, nil
}

// Scan reads the distinct layers of the images refs name that fall in
// o.Shard and are not in o.Store yet, with the walk and capture set of
// `imgdiff analyze`, and writes their indexes to the store. Each layer is
// read once, whatever number of images and capture sets share it; each
// entry is published whole. A scan killed half-way leaves whole entries
// only, and the next run reads what is missing.
func Scan(ctx context.Context, o ScanOptions, refs []string) (ScanResult, error) {
	var res ScanResult
	if o.Shards <= 0 || o.Shard < 0 || o.Shard >= o.Shards {
		return res, fmt.Errorf("fleet scan: shard %d of %d: want 0 <= shard < shards", o.Shard, o.Shards)
	}
	if o.Open.Jobs <= 0 {
		return res, fmt.Errorf("fleet scan: jobs must be at least 1, got %d", o.Open.Jobs)
	}
	imgs, err := layers.OpenAll(ctx, refs, o.Open)
	if err != nil {
		return res, err
	}
	defer func() {
		for _, img := range imgs {
			img.Close()
		}
	}()
	res.Images = len(imgs)
	byDigest := map[string]*fleetLayer{}
	for _, img := range imgs {
		keys, ck, capture, err := fleetKeys(img)
		if err != nil {
			return res, err
		}
		for i, k := range keys {
			d := fleet.LayerDigest(k)
			fl := byDigest[d]
			if fl == nil {
				fl = &fleetLayer{digest: d, layer: img.Layers[i], where: fmt.Sprintf("%s: layer %d", img.Ref, i),
					captures: map[string]func(string, int64) bool{}}
				byDigest[d] = fl
			}
			fl.captures[ck] = capture
		}
	}
	res.Layers = len(byDigest)
	var mine []*fleetLayer
	for _, d := range slices.Sorted(maps.Keys(byDigest)) {
		if ShardOf(d, o.Shards) == o.Shard {
			mine = append(mine, byDigest[d])
		}
	}
	res.Shard = len(mine)
	// Largest first, as Walk does: a big layer started last idles the
	// other workers.
	slices.SortStableFunc(mine, func(a, b *fleetLayer) int {
		return int(min(max(b.layer.Blob().Size-a.layer.Blob().Size, -1), 1))
	})

	var stored, walked, entries atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Open.Jobs)
	for _, fl := range mine {
		g.Go(func() error {
			n, err := scanLayer(gctx, o, fl)
			if err != nil {
				return err
			}
			if n == 0 {
				stored.Add(1)
			} else {
				walked.Add(1)
				entries.Add(int64(n))
			}
			if o.Layer != nil {
				o.Layer(fl.digest, n == 0)
			}
			return nil
		})
	}
	err = g.Wait()
	res.Stored, res.Walked, res.Entries = int(stored.Load()), int(walked.Load()), int(entries.Load())
	return res, err
}

// scanLayer stores the entries of fl the store lacks, reading the layer
// once with the union of their capture sets; it returns how many it
// wrote.
func scanLayer(ctx context.Context, o ScanOptions, fl *fleetLayer) (int, error) {
	var missing []string
	for _, ck := range slices.Sorted(maps.Keys(fl.captures)) {
		k := fleet.StoreKey(fl.digest, ck)
		var ok bool
		var err error
		if o.Verify {
			_, ok, err = o.Store.Get(ctx, k)
		} else {
			ok, err = o.Store.Has(ctx, k)
		}
		if err != nil {
			return 0, err
		}
		if !ok {
			missing = append(missing, ck)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	union := func(p string, size int64) bool {
		for _, ck := range missing {
			if fl.captures[ck](p, size) {
				return true
			}
		}
		return false
	}
	// The walk of one layer, as Walk reads it for an image: through a
	// one-layer image, and a cache that only keeps what the walk puts
	// (the index before any image's blob facts are set on it).
	one := &layers.Image{Ref: fl.where, Layers: []layers.Layer{fl.layer},
		Config: &v1.ConfigFile{RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{fl.layer.DiffID()}}}}
	kept := &keepCache{}
	if _, err := layers.Walk(ctx, layers.WalkOptions{Jobs: 1, Capture: union, Head: rules.HeadLen, CaptureKey: "fleet", MaxEntries: o.MaxEntries, Cache: kept}, one); err != nil {
		return 0, err
	}
	if kept.l == nil {
		return 0, fmt.Errorf("%s: the walk kept no index", fl.where)
	}
	for _, ck := range missing {
		if err := o.Store.Put(ctx, fleet.StoreKey(fl.digest, ck), restrict(kept.l, fl.captures[ck])); err != nil {
			return 0, err
		}
	}
	return len(missing), nil
}

// restrict is l with only the captured bodies capture selects, and the
// heads rules.HeadLen selects: what a walk with capture alone keeps (a
// walk captures a regular file's whole body, and the first
// bytes (rules.HeadLen) of a file Head selects that capture does not; the
// entries do not depend on what is captured).
func restrict(l *index.Layer, capture func(string, int64) bool) *index.Layer {
	out := *l
	out.Contents = nil
	if len(l.Contents) == 0 {
		return &out
	}
	size := make(map[string]int64, len(l.Contents))
	for _, e := range l.Entries {
		if _, ok := l.Contents[e.Path]; ok && e.Kind == index.File {
			size[e.Path] = e.Size
		}
	}
	for p, b := range l.Contents {
		switch n := size[p]; {
		case capture(p, n):
		case rules.HeadLen(p, n) > 0:
			b = b[:min(len(b), rules.HeadLen(p, n), index.HeadSize)]
		default:
			continue
		}
		if out.Contents == nil {
			out.Contents = map[string][]byte{}
		}
		out.Contents[p] = b
	}
	return &out
}

// keepCache is a layers.Cache that misses and keeps the last index put.
type keepCache struct {
	mu sync.Mutex
	l  *index.Layer
}

func (c *keepCache) Get(string) (*index.Layer, bool) { return nil, false }
func (c *keepCache) Put(_ string, l *index.Layer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l = l
	return nil
}

// blobGuard is an HTTP transport that refuses GETs of the blobs deny
// names (a fleet report's layers).
type blobGuard struct {
	base http.RoundTripper
	deny map[string]bool
}

func (g *blobGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if i := strings.LastIndex(r.URL.Path, "/blobs/"); i >= 0 && g.deny[r.URL.Path[i+len("/blobs/"):]] {
		return nil, fmt.Errorf("fleet report: refusing to download layer blob %s (its index should come from the store)", r.URL.Path[i+len("/blobs/"):])
	}
	base := g.base
	if base == nil {
		base = remote.DefaultTransport
	}
	return base.RoundTrip(r)
}

// FleetImage is one image of a fleet report: its analysis assembled from
// the store, or the layers the store lacks.
type FleetImage struct {
	Ref string
	// Analysis is nil when the image is incomplete.
	Analysis *analyze.Analysis
	// Missing are the digests of the layers the store lacks.
	Missing []string
}

// mapCache is a layers.Cache of the entries fetched from the store for
// one image: the walk finds every layer in it and opens no blob.
type mapCache map[string]*index.Layer

func (m mapCache) Get(k string) (*index.Layer, bool) { l, ok := m[k]; return l, ok }
func (m mapCache) Put(string, *index.Layer) error    { return nil }

// FleetAnalyze assembles the analysis of each image refs name from the
// layer indexes in store, its manifest and its config: the same stages
// and figures as Analyze, without reading a layer blob. An image with a
// layer the store lacks is returned with Missing set and no analysis.
// Images are done one at a time (a fleet's analyses would not fit in
// memory at once); each is handed to each before the next is loaded.
func FleetAnalyze(ctx context.Context, o Options, store fleet.Store, refs []string, top int, each func(FleetImage) error) error {
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := layers.Open(ctx, ref, o.Open)
		if err != nil {
			return err
		}
		keys, _, _, err := fleetKeys(img)
		img.Close()
		if err != nil {
			return err
		}
		fi := FleetImage{Ref: ref}
		got := mapCache{}
		for _, k := range keys {
			if _, ok := got[k]; ok {
				continue
			}
			l, ok, err := store.Get(ctx, k)
			if err != nil {
				return err
			}
			if !ok {
				fi.Missing = append(fi.Missing, fleet.LayerDigest(k))
				continue
			}
			got[k] = l
		}
		if len(fi.Missing) == 0 {
			ao := o
			ao.Cache = func() layers.Cache { return got }
			// Every layer is in the map, so the walk opens none; should
			// a key ever differ, the registry transport refuses the
			// image's layer blobs rather than let a report download.
			deny := map[string]bool{}
			for _, k := range keys {
				deny[fleet.LayerDigest(k)] = true
			}
			ao.Open.RegistryTransport = &blobGuard{base: o.Open.RegistryTransport, deny: deny}
			if fi.Analysis, err = Analyze(ctx, ao, ref, top); err != nil {
				return err
			}
		}
		if err := each(fi); err != nil {
			return err
		}
	}
	return nil
}
