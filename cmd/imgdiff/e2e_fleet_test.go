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

	afleet "github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
)

// fleetProxy is a reverse proxy in front of the e2e registry that counts
// the layer blob bytes it serves (a blob over 32 MiB is fetched in range
// requests, so a count of GETs would not say whether a byte was fetched
// twice), can serve one layer blob slowly (for a worker to be killed while
// it downloads it), and can refuse every layer blob (the report must not
// need one).
type fleetProxy struct {
	rp        *httputil.ReverseProxy
	storeRepo string          // "NAME" of the store repository
	layers    map[string]bool // the images' layer blobs (read-only once serving)

	mu        sync.Mutex
	served    map[string]int64 // body bytes of each layer blob served
	storeGets int              // GETs of blobs of the store repository
	refused   int              // layer blob GETs refused

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
	if isLayer && p.noLayers.Load() {
		p.refused++
	}
	p.mu.Unlock()
	if !isLayer {
		p.rp.ServeHTTP(w, r)
		return
	}
	if p.noLayers.Load() {
		http.Error(w, "layer blob downloads are refused while the fleet report runs", http.StatusForbidden)
		return
	}
	cw := &countingWriter{ResponseWriter: w, r: r, count: func(n int) {
		p.mu.Lock()
		p.served[d] += int64(n)
		p.mu.Unlock()
	}}
	if s := p.slow.Load(); s != nil && *s == d {
		cw.slow = &p.slowBytes
	}
	p.rp.ServeHTTP(cw, r)
}

// countingWriter counts the body bytes written; with slow set it writes
// 32 kB every 10 ms.
type countingWriter struct {
	http.ResponseWriter
	r     *http.Request
	count func(int)
	slow  *atomic.Int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.slow == nil {
		n, err := c.ResponseWriter.Write(b)
		c.count(n)
		return n, err
	}
	done := 0
	for len(b) > 0 {
		k := min(len(b), 32<<10)
		n, err := c.ResponseWriter.Write(b[:k])
		done += n
		c.count(n)
		c.slow.Add(int64(n))
		if err != nil {
			return done, err
		}
		c.Flush()
		b = b[k:]
		select {
		case <-c.r.Context().Done():
			return done, c.r.Context().Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return done, nil
}

func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *fleetProxy) counts() (served map[string]int64, storeGets, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	served = map[string]int64{}
	for d, n := range p.served {
		served[d] = n
	}
	return served, p.storeGets, p.refused
}

func (p *fleetProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.served)
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
	// Each phase's wall time and the CPU time of the imgdiff processes it
	// ran (the machine may be shared: CPU time says what CI pays).
	var cpu time.Duration
	phase := func(name string, since time.Time) {
		t.Logf("%s: %.1fs, %.1fs of imgdiff CPU", name, time.Since(since).Seconds(), cpu.Seconds())
		cpu = 0
	}

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
		served:    map[string]int64{},
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
		return startProcess(t, env0, env.bin, args...)
	}
	wait := func(what string, c *exec.Cmd, errOut *bytes.Buffer) {
		t.Helper()
		err := c.Wait()
		cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		if err != nil {
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
	cpu += cmds[killed].ProcessState.UserTime() + cmds[killed].ProcessState.SystemTime()
	p.slow.Store(nil)
	for i, c := range cmds {
		if i != killed {
			wait(fmt.Sprintf("shard %d", i), c, errs[i])
		}
	}
	// Served so far: the two other shards whole, the killed one's
	// layers in part.
	before, _, _ := p.counts()
	p.reset()
	c, _, errOut := start("fleet", "scan", sel, "--store", store, "--shard", fmt.Sprintf("%d/%d", killed, shards))
	wait(fmt.Sprintf("shard %d re-run", killed), c, errOut)
	phase("three scans, one killed and re-run", t0)

	rerun, _, _ := p.counts()
	for _, d := range digests {
		size := layerSize[d]
		switch {
		case d == slow:
			// The killed download stopped part-way; the re-run read it
			// whole.
			if before[d] >= size || rerun[d] != size {
				t.Errorf("%s (%d bytes), downloading when its shard was killed: %d bytes served before the kill, %d to the re-run; want fewer than all, then all once",
					d, size, before[d], rerun[d])
			}
		case pipeline.ShardOf(d, shards) == killed:
			// Stored before the kill (then not read again), or read
			// whole by the re-run.
			if !(before[d] == size && rerun[d] == 0) && rerun[d] != size {
				t.Errorf("%s (%d bytes) of the killed shard: %d bytes served before the kill, %d to the re-run", d, size, before[d], rerun[d])
			}
		default:
			if before[d] != size || rerun[d] != 0 {
				t.Errorf("%s (%d bytes): %d bytes served to the shards and %d to the re-run of the killed one; want each byte once", d, size, before[d], rerun[d])
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
	served, storeGets, _ := p.counts()
	for d, n := range served {
		if n > 0 {
			t.Errorf("re-run over the stored fleet fetched %d bytes of layer blob %s", n, d)
		}
	}
	if storeGets != 0 {
		t.Errorf("re-run over the stored fleet fetched %d blobs of the store, want 0", storeGets)
	}

	// analyze of each image, straight from the registry: the runs
	// TestE2EAnalyze checks against Docker's figures (memoized: the suite
	// pays for them once).
	t0 = time.Now()
	analyses := map[string]*analyzeReport{}
	var amu sync.Mutex
	t.Run("analyze", func(t *testing.T) {
		for _, im := range env.manifest.Images {
			t.Run(im.name(), func(t *testing.T) {
				t.Parallel()
				rep := env.analyze(t, "docker://"+reg+"/"+im.Tag, "--no-cache")
				amu.Lock()
				analyses[im.Tag] = rep
				amu.Unlock()
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	phase("imgdiff analyze of each image", t0)

	// The report, every layer blob GET refused.
	p.reset()
	p.noLayers.Store(true)
	t0 = time.Now()
	// Like analyze, with the config the working directory gives (none).
	c, out, errOut := start("fleet", "report", sel, "--store", store, "-o", "json")
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
// flagged packages (ties by name; a package of no category is not
// flagged).
func analyzeFigures(a *analyzeReport) figures {
	unflagged := map[string]bool{"": true, "other": true, "docs": true, "recommended": true}
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
