//go:build e2e

package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	afleet "github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/layers/pipeline"
)

// fleetProxy is a reverse proxy in front of the e2e registry that counts
// the blob GETs the fleet commands make, can serve one layer blob slowly
// (for a worker to be killed while it downloads it), and can refuse every
// layer blob (the report must not need one).
type fleetProxy struct {
	rp        *httputil.ReverseProxy
	storeRepo string          // "NAME" of the store repository
	layers    map[string]bool // the images' layer blobs (read-only once serving)

	mu        sync.Mutex
	gets      map[string]int // GETs of each layer blob
	storeGets int            // GETs of blobs of the store repository
	refused   int            // layer blob GETs refused

	slow      atomic.Pointer[string] // the layer blob served slowly, if any
	slowBytes atomic.Int64
	noLayers  atomic.Bool
}

func (p *fleetProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := strings.LastIndex(r.URL.Path, "/blobs/")
	if i < 0 || r.Method != http.MethodGet {
		p.rp.ServeHTTP(w, r)
		return
	}
	d := r.URL.Path[i+len("/blobs/"):]
	p.mu.Lock()
	if strings.HasPrefix(r.URL.Path, "/v2/"+p.storeRepo+"/blobs/") {
		p.storeGets++
	}
	isLayer := p.layers[d]
	if isLayer {
		p.gets[d]++
		if p.noLayers.Load() {
			p.refused++
		}
	}
	p.mu.Unlock()
	if isLayer && p.noLayers.Load() {
		http.Error(w, "layer blob downloads are refused while the fleet report runs", http.StatusForbidden)
		return
	}
	if s := p.slow.Load(); s != nil && *s == d {
		w = &throttled{ResponseWriter: w, r: r, n: &p.slowBytes}
	}
	p.rp.ServeHTTP(w, r)
}

// throttled writes 32 kB every 10 ms.
type throttled struct {
	http.ResponseWriter
	r *http.Request
	n *atomic.Int64
}

func (t *throttled) Write(b []byte) (int, error) {
	done := 0
	for len(b) > 0 {
		k := min(len(b), 32<<10)
		n, err := t.ResponseWriter.Write(b[:k])
		done += n
		t.n.Add(int64(n))
		if err != nil {
			return done, err
		}
		t.Flush()
		b = b[k:]
		select {
		case <-t.r.Context().Done():
			return done, t.r.Context().Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return done, nil
}

func (t *throttled) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *fleetProxy) counts() (gets map[string]int, storeGets, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gets = map[string]int{}
	for d, n := range p.gets {
		gets[d] = n
	}
	return gets, p.storeGets, p.refused
}

func (p *fleetProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.gets)
	p.storeGets, p.refused = 0, 0
}

// TestE2EFleet is issue 28's acceptance against the e2e registry: every
// image in it scanned by three concurrent `imgdiff fleet scan` processes
// with a store in the same registry, the one downloading the largest layer
// killed mid-way and re-run; each distinct layer blob fetched once across
// the shards (counted by a proxy in front of the registry); a re-run over
// the stored fleet fetches no layer and no entry; then `imgdiff fleet
// report`, with every layer blob GET refused, reports every image with the
// figures `imgdiff analyze` gives it.
func TestE2EFleet(t *testing.T) {
	env := setup(t)
	reg := env.manifest.Registry
	began := time.Now()
	phase := func(name string, since time.Time) { t.Logf("%s: %.1fs", name, time.Since(since).Seconds()) }

	// The images and their layer blobs, from the registry's own manifests.
	layerSize := map[string]int64{}
	want := map[string]bool{} // "REPO:TAG"
	for _, im := range env.manifest.Images {
		repo, tag, _ := strings.Cut(im.Tag, ":")
		m, err := registryManifest(reg, repo, tag)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range m.layers {
			layerSize[l.Digest] = l.Size
		}
		want[im.Tag] = true
	}

	upstream, _ := url.Parse("http://" + reg)
	p := &fleetProxy{
		rp:        httputil.NewSingleHostReverseProxy(upstream),
		storeRepo: fmt.Sprintf("imgdiff-e2e-fleet/store-%d", time.Now().UnixNano()),
		layers:    map[string]bool{},
		gets:      map[string]int{},
	}
	for d := range layerSize {
		p.layers[d] = true
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	sel := "docker://" + host + "/**"
	store := "docker://" + host + "/" + p.storeRepo

	// The largest layer is served slowly; its shard is killed while it
	// downloads it.
	digests := slices.Sorted(func(yield func(string) bool) {
		for d := range layerSize {
			if !yield(d) {
				return
			}
		}
	})
	slow := slices.MaxFunc(digests, func(a, b string) int { return cmp.Compare(layerSize[a], layerSize[b]) })
	p.slow.Store(&slow)
	const shards = 3
	killed := pipeline.ShardOf(slow, shards)
	t.Logf("%d images, %d distinct layer blobs (%d MB compressed); shard %d is killed while it reads %s (%d MB)",
		len(want), len(layerSize), sum(layerSize)>>20, killed, slow, layerSize[slow]>>20)

	env0 := append(os.Environ(), "IMGDIFF_NO_CACHE=1", "NO_COLOR=1")
	start := func(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(env.bin, args...)
		cmd.Env = env0
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out, &errOut
	}
	wait := func(what string, c *exec.Cmd, errOut *bytes.Buffer) {
		t.Helper()
		if err := c.Wait(); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, errOut)
		}
		t.Logf("%s: %s", what, strings.TrimSpace(lastLine(errOut.String())))
	}

	// Three workers at once; one killed mid-way.
	t0 := time.Now()
	cmds := make([]*exec.Cmd, shards)
	errs := make([]*bytes.Buffer, shards)
	for i := range shards {
		cmds[i], _, errs[i] = start("fleet", "scan", sel, "--store", store, "--shard", fmt.Sprintf("%d/%d", i, shards))
	}
	deadline := time.Now().Add(2 * time.Minute)
	for p.slowBytes.Load() < 1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("shard %d never started reading %s: %s", killed, slow, errs[killed])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmds[killed].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmds[killed].Wait()
	p.slow.Store(nil)
	for i, c := range cmds {
		if i != killed {
			wait(fmt.Sprintf("shard %d", i), c, errs[i])
		}
	}
	c, _, errOut := start("fleet", "scan", sel, "--store", store, "--shard", fmt.Sprintf("%d/%d", killed, shards))
	wait(fmt.Sprintf("shard %d re-run", killed), c, errOut)
	phase("three scans, one killed and re-run", t0)

	gets, _, _ := p.counts()
	for _, d := range digests {
		switch n := gets[d]; {
		case d == slow:
			if n != 2 { // the killed download, then the re-run's
				t.Errorf("%s, downloading when its shard was killed: fetched %d times, want 2", d, n)
			}
		case pipeline.ShardOf(d, shards) == killed:
			// Once more unless the killed run had stored it.
			if n < 1 || n > 2 {
				t.Errorf("%s of the killed shard fetched %d times, want 1 or 2", d, n)
			}
		default:
			if n != 1 {
				t.Errorf("%s fetched %d times across the shards, want 1", d, n)
			}
		}
	}

	// The whole fleet again, one worker: everything is stored, so no
	// layer blob and no entry is downloaded.
	p.reset()
	t0 = time.Now()
	c, _, errOut = start("fleet", "scan", sel, "--store", store)
	wait("re-run over the stored fleet", c, errOut)
	phase("re-run over the stored fleet", t0)
	gets, storeGets, _ := p.counts()
	for d, n := range gets {
		if n > 0 {
			t.Errorf("re-run over the stored fleet fetched layer blob %s %d times", d, n)
		}
	}
	if storeGets != 0 {
		t.Errorf("re-run over the stored fleet fetched %d blobs of the store, want 0", storeGets)
	}

	// analyze of each image, straight from the registry (its own layer
	// cache, never the fleet's store).
	t0 = time.Now()
	analyses := map[string]*analyzeReport{}
	var amu sync.Mutex
	var g errgroup.Group
	g.SetLimit(2)
	for _, im := range env.manifest.Images {
		g.Go(func() error {
			r, err := env.exec("analyze", "-o", "json", "--no-config", "docker://"+reg+"/"+im.Tag)
			if err != nil {
				return err
			}
			if r.code != 0 {
				return fmt.Errorf("analyze %s: %s", im.Tag, r)
			}
			var rep analyzeReport
			if err := json.Unmarshal(r.stdout, &rep); err != nil {
				return fmt.Errorf("analyze %s: %w", im.Tag, err)
			}
			amu.Lock()
			analyses[im.Tag] = &rep
			amu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	phase("imgdiff analyze of each image", t0)

	// The report, every layer blob GET refused.
	p.reset()
	p.noLayers.Store(true)
	t0 = time.Now()
	c, out, errOut := start("fleet", "report", sel, "--store", store, "-o", "json", "--no-config")
	wait("report", c, errOut)
	phase("fleet report", t0)
	if _, _, refused := p.counts(); refused != 0 {
		t.Errorf("the report tried %d layer blob downloads", refused)
	}
	var r afleet.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report: %v\n%.2000s", err, out)
	}
	if r.Total.Images != len(want) || r.Total.Incomplete != 0 {
		t.Errorf("report: %d images, %d incomplete; want %d complete\n%s", r.Total.Images, r.Total.Incomplete, len(want), errOut)
	}
	seen := map[string]bool{}
	for _, img := range r.Images {
		name, ok := strings.CutPrefix(img.Repo+":"+img.Tag, host+"/")
		if !ok || !want[name] || seen[name] || img.Platform != "" {
			t.Errorf("report has image %s, not one the e2e pushed (or twice)", img.Name())
			continue
		}
		seen[name] = true
		a := analyses[name]
		if got, w := fmt.Sprint(fleetFigures(img)), fmt.Sprint(analyzeFigures(a)); got != w {
			t.Errorf("%s: fleet report\n %s\nimgdiff analyze\n %s", name, got, w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("report lacks %s", name)
		}
	}
	t.Logf("fleet e2e: %.1fs in all", time.Since(began).Seconds())
}

// figures are the per-image figures a fleet report row holds, as analyze
// gives them.
type figures struct {
	Size, Compressed, Flagged int64
	Categories                map[string]int64
	Top                       []string
	Verdict                   string
}

func fleetFigures(img afleet.Image) figures {
	f := figures{Size: img.Size, Compressed: img.CompressedSize, Flagged: img.Flagged, Categories: map[string]int64{}, Verdict: img.Verdict}
	for c, b := range img.Categories {
		f.Categories[string(c)] = b
	}
	for _, p := range img.TopPackages {
		f.Top = append(f.Top, fmt.Sprintf("%s/%s %s %d", p.Manager, p.Name, p.Category, p.Bytes))
	}
	return f
}

// analyzeFigures reads the row's figures from analyze's JSON by the rules
// docs/fleet.md states: categories other than "other"; flagged bytes are
// every category but other, docs and recommended; the three largest
// flagged packages (ties by name).
func analyzeFigures(a *analyzeReport) figures {
	unflagged := map[string]bool{"other": true, "docs": true, "recommended": true}
	f := figures{Size: a.Image.Size, Compressed: a.Image.CompressedSize, Categories: map[string]int64{}}
	if a.Classification == nil {
		return f
	}
	f.Verdict = a.Classification.Verdict
	for _, c := range a.Classification.Categories {
		if c.Category == "other" || c.Bytes == 0 {
			continue
		}
		f.Categories[c.Category] = c.Bytes
		if !unflagged[c.Category] {
			f.Flagged += c.Bytes
		}
	}
	var pkgs []pkgInfo
	for _, p := range a.Classification.Packages {
		if !unflagged[p.Category] && p.Bytes > 0 {
			pkgs = append(pkgs, p)
		}
	}
	slices.SortStableFunc(pkgs, func(x, y pkgInfo) int {
		return cmp.Or(cmp.Compare(y.Bytes, x.Bytes), cmp.Compare(x.Name, y.Name))
	})
	for _, p := range pkgs[:min(3, len(pkgs))] {
		f.Top = append(f.Top, fmt.Sprintf("%s/%s %s %d", p.Manager, p.Name, p.Category, p.Bytes))
	}
	return f
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}
