package layers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
	"github.com/imgdiff/imgdiff/layers/throttle"
)

// bigImage has a gzip layer and an uncompressed layer, each holding a
// file of random bytes (so the blobs are as big as the files), and a small
// layer under any threshold.
func bigImage(t *testing.T) (img v1.Image, gz, plain v1.Layer) {
	t.Helper()
	gz = layerOf(t, "data/", "", "data/a", string(registrytest.RandomBlob(300<<10, 10)), "data/b", "bb")
	plain = static.NewLayer(tarOf(t, "opt/", "", "opt/c", string(registrytest.RandomBlob(200<<10, 11))), types.DockerUncompressedLayer)
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: gz, History: v1.History{CreatedBy: "ADD data /data"}},
		mutate.Addendum{Layer: plain, History: v1.History{CreatedBy: "COPY opt /opt"}},
		mutate.Addendum{Layer: layerOf(t, "etc/os-release", "ID=test\n"), History: v1.History{CreatedBy: "RUN x"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img, gz, plain
}

// blobRequests records, per blob digest, the blob GETs a front proxy saw.
type blobRequests struct {
	mu     sync.Mutex
	ranged map[string]int
	whole  map[string]int
	// rangeAgents is the User-Agent of every range request.
	rangeAgents map[string]bool
}

func (b *blobRequests) add(r *http.Request) {
	if !isBlob(r) || r.Method != http.MethodGet {
		return
	}
	d := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.Header.Get("Range") != "" {
		b.ranged[d]++
		b.rangeAgents[r.UserAgent()] = true
	} else {
		b.whole[d]++
	}
}

func (b *blobRequests) get(d v1.Hash) (ranged, whole int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ranged[d.String()], b.whole[d.String()]
}

// rangedRegistry is ggcr's in-process registry behind a proxy that records
// blob GETs and lets front answer a request itself (front returns true).
func rangedRegistry(t *testing.T, img v1.Image, front func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool) (host string, reqs *blobRequests) {
	t.Helper()
	reqs = &blobRequests{ranged: map[string]int{}, whole: map[string]int{}, rangeAgents: map[string]bool{}}
	reg, host := registrytest.Proxied(t, func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool {
		reqs.add(r)
		return front != nil && front(w, r, rp)
	})
	registrytest.Push(t, reg+"/app:1", img)
	return host, reqs
}

func walkRegistry(t *testing.T, host string, o Options) (string, error) {
	t.Helper()
	o.Jobs = 2
	o.RetryBackoff = time.Millisecond
	o.RegistryTransport = remote.DefaultTransport.(*http.Transport).Clone()
	img, err := Open(context.Background(), "docker://"+host+"/app:1", o)
	if err != nil {
		return "", err
	}
	defer img.Close()
	walked, err := Walk(context.Background(), WalkOptions{Jobs: 2}, img)
	if err != nil {
		return "", err
	}
	return figures(walked[0]), nil
}

var smallRanges = RangedOptions{Threshold: 64 << 10, ChunkSize: 32 << 10, PerBlob: 3, Total: 4}

// wantOneRangeAChunk checks that each layer's blob was asked for in one
// range request a chunk, and never whole.
func wantOneRangeAChunk(t *testing.T, reqs *blobRequests, chunk int64, ls ...v1.Layer) {
	t.Helper()
	for _, l := range ls {
		d, _ := l.Digest()
		n := chunksOf(t, l, chunk)
		if r, w := reqs.get(d); r != n || w != 0 {
			t.Errorf("%s: %d range requests and %d whole GETs; want %d ranges", d, r, w, n)
		}
	}
}

func chunksOf(t *testing.T, l v1.Layer, chunk int64) int {
	t.Helper()
	size, err := l.Size()
	if err != nil {
		t.Fatal(err)
	}
	return int((size + chunk - 1) / chunk)
}

// TestRangedRegistryWalk: through ggcr's in-process registry, blobs over
// the threshold are fetched in ranges and index as the same image read
// from an OCI layout does; with ranges off, or a registry that answers
// 200, they come in one stream with the same result.
func TestRangedRegistryWalk(t *testing.T) {
	img, gz, plain := bigImage(t)
	want := layoutFigures(t, img)
	gzD, _ := gz.Digest()
	// walk reads img through a rangedRegistry with front and r, checks its
	// figures, and returns the blob GETs the registry saw.
	walk := func(t *testing.T, front func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool, r RangedOptions) *blobRequests {
		t.Helper()
		host, reqs := rangedRegistry(t, img, front)
		got, err := walkRegistry(t, host, Options{Ranged: r})
		if err != nil || got != want {
			t.Fatalf("figures %q, err %v; want %q", got, err, want)
		}
		return reqs
	}

	t.Run("ranged", func(t *testing.T) {
		reqs := walk(t, nil, smallRanges)
		wantOneRangeAChunk(t, reqs, smallRanges.ChunkSize, gz, plain)
		for ua := range reqs.rangeAgents {
			if !strings.HasPrefix(ua, "imgdiff") {
				t.Errorf("range request with User-Agent %q, want imgdiff's", ua)
			}
		}
	})
	t.Run("off", func(t *testing.T) {
		off := smallRanges
		off.Threshold = -1
		reqs := walk(t, nil, off)
		if r, w := reqs.get(gzD); r != 0 || w != 1 {
			t.Errorf("%d range requests and %d whole GETs; want one whole GET", r, w)
		}
	})
	t.Run("registry answers 200", func(t *testing.T) {
		reqs := walk(t, func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool {
			r.Header.Del("Range")
			return false
		}, smallRanges)
		if r, w := reqs.get(gzD); r != 1 || w != 0 {
			t.Errorf("%d range requests and %d whole GETs; want the one ranged GET whose 200 is read", r, w)
		}
	})
	t.Run("blob GETs redirected to storage", func(t *testing.T) {
		var storageMu sync.Mutex
		storage := map[string]int{}
		blobs := map[string][]byte{}
		for _, l := range []v1.Layer{gz, plain} {
			d, _ := l.Digest()
			rc, _ := l.Compressed()
			blobs[d.String()], _ = io.ReadAll(rc)
			rc.Close()
		}
		st := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d := strings.TrimPrefix(r.URL.Path, "/storage/")
			storageMu.Lock()
			storage[d]++
			storageMu.Unlock()
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blobs[d]))
		}))
		t.Cleanup(st.Close)
		reqs := walk(t, func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool {
			d := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
			if !isBlob(r) || r.Method != http.MethodGet || blobs[d] == nil {
				return false
			}
			http.Redirect(w, r, st.URL+"/storage/"+d, http.StatusTemporaryRedirect)
			return true
		}, smallRanges)
		// The first range goes through the registry; the rest straight to
		// where it redirected.
		if r, _ := reqs.get(gzD); r != 1 {
			t.Errorf("%d range requests to the registry, want 1", r)
		}
		storageMu.Lock()
		defer storageMu.Unlock()
		if n, want := storage[gzD.String()], chunksOf(t, gz, smallRanges.ChunkSize); n != want {
			t.Errorf("%d requests to storage, want %d (one per chunk)", n, want)
		}
	})
}

// TestRangedDigestMismatch: a registry that serves one wrong byte in one
// chunk fails the walk in one line naming the blob's digest mismatch.
func TestRangedDigestMismatch(t *testing.T) {
	img, _, plain := bigImage(t)
	plainD, _ := plain.Digest()
	host, _ := rangedRegistry(t, img, func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool {
		if !strings.HasSuffix(r.URL.Path, plainD.String()) || registrytest.RangeStart(r) != 2*smallRanges.ChunkSize {
			return false
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		body[100] ^= 0xff // inside opt/c's random body
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
		return true
	})
	_, err := walkRegistry(t, host, Options{Ranged: smallRanges})
	if err == nil || !strings.Contains(err.Error(), "digest mismatch") || !strings.Contains(err.Error(), plainD.String()) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want one line: digest mismatch naming %s", err, plainD)
	}
}

// TestRangedThroughThrottle: behind a proxy that caps each connection's
// throughput, a ranged fetch has several connections open at once (a
// concurrent range request needs its own HTTP/1.1 connection), and the
// image indexes as from a layout. No timing is asserted.
func TestRangedThroughThrottle(t *testing.T) {
	img, _, _ := bigImage(t)
	want := layoutFigures(t, img)

	regHost := registrytest.Serve(t, nil)
	registrytest.Push(t, regHost+"/app:1", img)
	for _, c := range []struct {
		name string
		r    RangedOptions
	}{{"one stream", RangedOptions{Threshold: -1}}, {"ranged", RangedOptions{Threshold: 64 << 10, ChunkSize: 32 << 10, PerBlob: 4, Total: 8}}} {
		t.Run(c.name, func(t *testing.T) {
			p, err := throttle.New(regHost, 2<<20, 2*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			got, err := walkRegistry(t, p.Addr, Options{Ranged: c.r})
			if err != nil || got != want {
				t.Fatalf("figures %q, err %v; want %q", got, err, want)
			}
			t.Logf("%s: %d connections, at most %d at once", c.name, p.Conns(), p.Peak())
			if c.r.Threshold > 0 && p.Peak() < int64(c.r.PerBlob) {
				t.Errorf("at most %d connections at once, want at least %d (PerBlob)", p.Peak(), c.r.PerBlob)
			}
		})
	}
}
