package layers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// prefetchLayer is a cacheable layer that records Prefetch and Open.
type prefetchLayer struct {
	bytesLayer
	name string
	size int64
	log  *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (e *eventLog) add(s string) {
	e.mu.Lock()
	e.events = append(e.events, s)
	e.mu.Unlock()
}

func (p *prefetchLayer) DiffID() v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", p.size)}
}
func (p *prefetchLayer) Blob() Blob { return Blob{Digest: p.DiffID().String(), Size: p.size} }
func (p *prefetchLayer) Identity() Identity {
	return Identity{Digest: p.DiffID().String()}
}
func (p *prefetchLayer) Prefetch(context.Context) { p.log.add("prefetch " + p.name) }
func (p *prefetchLayer) Open(ctx context.Context) (io.ReadCloser, error) {
	p.log.add("open " + p.name)
	return p.bytesLayer.Open(ctx)
}

// hasCache is a cache that holds the keys in has and says so without
// decoding (Has), as the layer cache does.
type hasCache struct{ has map[string]bool }

func (c hasCache) Get(key string) (*index.Layer, bool) {
	if c.has[key] {
		return &index.Layer{}, true
	}
	return nil, false
}
func (c hasCache) Put(string, *index.Layer) error { return nil }
func (c hasCache) Has(key string) bool            { return c.has[key] }

// TestWalkPrefetchesNextLayer: with one worker, each layer's Prefetch
// comes before its Open, while the layer before it is being walked,
// largest first; a layer the cache holds is neither prefetched nor
// opened.
func TestWalkPrefetchesNextLayer(t *testing.T) {
	log := &eventLog{}
	tarData := tarOf(t, "etc/os-release", "ID=test\n")
	var ls []*prefetchLayer
	for i, size := range []int64{300, 200, 100} {
		ls = append(ls, &prefetchLayer{bytesLayer: bytesLayer{data: tarData}, name: fmt.Sprint("L", i), size: size, log: log})
	}
	cached, _ := CacheKey(ls[1], "")
	img := &Image{Ref: "x", Layers: []Layer{ls[2], ls[1], ls[0]}}
	img.Config = &v1.ConfigFile{RootFS: v1.RootFS{DiffIDs: []v1.Hash{ls[2].DiffID(), ls[1].DiffID(), ls[0].DiffID()}}}
	if _, err := Walk(context.Background(), WalkOptions{Jobs: 1, Cache: hasCache{map[string]bool{cached: true}}}, img); err != nil {
		t.Fatal(err)
	}
	want := []string{"prefetch L2", "open L0", "open L2"}
	// L0 (the largest) is opened first; L2's prefetch is issued as soon
	// as L0's worker started, so it may come before or after "open L0".
	got := log.events
	if len(got) != 3 || got[2] != "open L2" || !(got[0] == "prefetch L2" && got[1] == "open L0" || got[0] == "open L0" && got[1] == "prefetch L2") {
		t.Fatalf("events %q, want %q (the first two in either order); L1 is cached", got, want)
	}
}

// TestRangedRegistryPrefetch: through ggcr's registry, with one worker,
// the second blob's ranges are asked for while the first blob is still
// being read (its last chunk is held back until they are), each chunk
// of each blob exactly once (the small third blob's too), and the walk
// indexes as the OCI layout does.
func TestRangedRegistryPrefetch(t *testing.T) {
	img, gz, plain := bigImage(t)
	gzD, _ := gz.Digest()
	plainD, _ := plain.Digest()
	lastGz := int64(chunksOf(t, gz, smallRanges.ChunkSize)-1) * smallRanges.ChunkSize
	if s, _ := plain.Size(); s >= func() int64 { s, _ := gz.Size(); return s }() {
		t.Fatal("the fixture's gzip blob must be the larger, read first")
	}
	plainAsked := make(chan struct{})
	var once sync.Once
	held := make(chan bool, 1)
	host, reqs := rangedRegistry(t, img, func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool {
		if isBlob(r) && r.Header.Get("Range") != "" {
			switch d := r.URL.Path[len(r.URL.Path)-len(gzD.String()):]; {
			case d == plainD.String():
				once.Do(func() { close(plainAsked) })
			case d == gzD.String() && registrytest.RangeStart(r) == lastGz:
				select {
				case <-plainAsked:
					held <- true
				case <-time.After(10 * time.Second):
					held <- false
				}
			}
		}
		return false
	})
	o := Options{Ranged: smallRanges, Jobs: 1, RetryBackoff: time.Millisecond}
	o.RegistryTransport = http.DefaultTransport.(*http.Transport).Clone()
	im, err := Open(context.Background(), "docker://"+host+"/app:1", o)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	walked, err := Walk(context.Background(), WalkOptions{Jobs: 1}, im)
	if err != nil {
		t.Fatal(err)
	}
	if !<-held {
		t.Error("the second blob was not asked for while the first was read")
	}
	ref := t.TempDir()
	writeLayout(t, ref, img, "latest")
	_, want := walkOne(t, "oci:"+ref, Options{})
	if got := figures(walked[0]); got != figures(want) {
		t.Errorf("figures %q, want %q", got, figures(want))
	}
	// The third layer, under the threshold, is prefetched too: in
	// ranges, where Open alone would have fetched it in one stream.
	ls, _ := img.Layers()
	wantOneRangeAChunk(t, reqs, smallRanges.ChunkSize, gz, plain, ls[2])
}

// TestPrefetchOutlivedByOpen: a prefetch whose context ended after its
// fetch had started (a walk that ended without opening the layer) is not
// handed to a later Open, which would read a cancelled fetch: that Open
// starts over and the walk indexes as the OCI layout does.
func TestPrefetchOutlivedByOpen(t *testing.T) {
	img, gz, _ := bigImage(t)
	gzD, _ := gz.Digest()
	started := make(chan struct{})
	var once sync.Once
	host, _ := rangedRegistry(t, img, func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool {
		// Chunk 1 is asked for once the probe's answer was taken.
		if isBlob(r) && strings.HasSuffix(r.URL.Path, gzD.String()) && registrytest.RangeStart(r) == smallRanges.ChunkSize {
			once.Do(func() { close(started) })
		}
		return false
	})
	o := Options{Ranged: smallRanges, Jobs: 1, RetryBackoff: time.Millisecond}
	o.RegistryTransport = http.DefaultTransport.(*http.Transport).Clone()
	im, err := Open(context.Background(), "docker://"+host+"/app:1", o)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	var first Layer
	for _, l := range im.Layers {
		if l.Blob().Digest == gzD.String() {
			first = l
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	first.(Prefetcher).Prefetch(ctx)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the prefetch never got past its first range")
	}
	cancel()
	walked, err := Walk(context.Background(), WalkOptions{Jobs: 1}, im)
	if err != nil {
		t.Fatalf("walk after an ended prefetch: %v", err)
	}
	if got, want := figures(walked[0]), layoutFigures(t, img); got != want {
		t.Errorf("figures %q, want %q", got, want)
	}
}
