package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/cache"
	"github.com/imgdiff/imgdiff/layers/fleet"
	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// fleetRegistry is an in-process registry that counts GETs of each blob
// and can refuse them.
type fleetRegistry struct {
	host      string
	mu        sync.Mutex
	gets      map[string]int
	layers    map[string]bool // the images' layer blobs
	failBlobs atomic.Bool     // refuse GETs of layer blobs (configs still served)
	// storeBlobGets counts GETs of blobs of the fleet/store repository
	// (the entries and configs of a registry store's artifacts).
	storeBlobGets atomic.Int64
}

func newFleetRegistry(t *testing.T) *fleetRegistry {
	t.Helper()
	fr := &fleetRegistry{gets: map[string]int{}, layers: map[string]bool{}}
	reg := registrytest.Handler()
	fr.host = registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := strings.LastIndex(r.URL.Path, "/blobs/"); i >= 0 && r.Method == http.MethodGet {
			d := r.URL.Path[i+len("/blobs/"):]
			fr.mu.Lock()
			isLayer := fr.layers[d]
			fr.mu.Unlock()
			if fr.failBlobs.Load() && isLayer {
				http.Error(w, "blob downloads are off", http.StatusForbidden)
				return
			}
			fr.mu.Lock()
			fr.gets[d]++
			fr.mu.Unlock()
			if strings.HasPrefix(r.URL.Path, "/v2/fleet/store/blobs/") {
				fr.storeBlobGets.Add(1)
			}
		}
		reg.ServeHTTP(w, r)
	}))
	return fr
}

func (fr *fleetRegistry) push(t *testing.T, repo string, spec imagetest.Image) (string, v1.Image) {
	t.Helper()
	img, err := imagetest.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Push(t, fr.host+"/"+repo, img)
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	repoName, _, _ := strings.Cut(repo, ":")
	return "docker://" + fr.host + "/" + repoName + "@" + d.String(), img
}

// fleetImages pushes four images: two share a base with compilers and a
// dpkg database, one shares the base and runs a script (another capture
// set over the same base layer), one is alone.
func fleetImages(t *testing.T, fr *fleetRegistry) (refs []string, layerDigests map[string]bool) {
	base := imagetest.Layer{CreatedBy: "ADD rootfs.tar /", Entries: []imagetest.Entry{
		{Path: "var/lib/dpkg/status", Body: []byte("Package: gcc-12\nStatus: install ok installed\nInstalled-Size: 3\nVersion: 12.2.0-14\nArchitecture: amd64\n\n")},
		{Path: "var/lib/dpkg/info/gcc-12.list", Body: []byte("/usr/bin/gcc-12\n")},
		{Path: "usr/bin/gcc-12", Size: 3000, Mode: 0o755},
		{Path: "etc/os-release", Body: []byte("ID=debian\n")},
		{Path: "usr/local/bin/entry.sh", Body: []byte("#!/bin/sh\nexec \"$@\"\n"), Mode: 0o755},
	}}
	specs := map[string]imagetest.Image{
		"team-a/api:1": {Layers: []imagetest.Layer{base,
			{CreatedBy: "COPY server /app/", Entries: []imagetest.Entry{{Path: "app/server", Size: 2000, Mode: 0o755}}}},
			Config: v1.Config{Cmd: []string{"/app/server"}}},
		"team-a/web:2": {Layers: []imagetest.Layer{base,
			{CreatedBy: "COPY . /src", Entries: []imagetest.Entry{{Path: "src/main.c", Size: 500}, {Path: "src/Makefile", Size: 50}}}},
			Config: v1.Config{Cmd: []string{"/app/server"}}},
		"team-b/job:1": {Layers: []imagetest.Layer{base,
			{CreatedBy: "COPY run.sh /", Entries: []imagetest.Entry{{Path: "run.sh", Body: []byte("#!/bin/sh\nexec gcc-12 -v\n"), Mode: 0o755}}}},
			Config: v1.Config{Entrypoint: []string{"/usr/local/bin/entry.sh"}, Cmd: []string{"/run.sh"}}},
		"team-b/tiny:1": {Layers: []imagetest.Layer{
			{CreatedBy: "COPY app /", Entries: []imagetest.Entry{{Path: "app", Size: 100, Mode: 0o755}}}},
			Config: v1.Config{Cmd: []string{"/app"}}},
	}
	layerDigests = map[string]bool{}
	for _, repo := range []string{"team-a/api:1", "team-a/web:2", "team-b/job:1", "team-b/tiny:1"} {
		ref, img := fr.push(t, repo, specs[repo])
		refs = append(refs, ref)
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			d, _ := l.Digest()
			layerDigests[d.String()] = true
			fr.mu.Lock()
			fr.layers[d.String()] = true
			fr.mu.Unlock()
		}
	}
	return refs, layerDigests
}

func fleetOptions() Options {
	return Options{Open: layers.Options{Jobs: 2, Keychain: authn.NewMultiKeychain(), RetryBackoff: 1}}
}

// Three shards at once fill the store, each layer blob read once across
// them; the report assembled from the store, with layer downloads
// refused, equals analyze of each image.
func TestFleetScanAndReport(t *testing.T) {
	ctx := context.Background()
	fr := newFleetRegistry(t)
	refs, layerDigests := fleetImages(t, fr)
	if len(layerDigests) != 5 {
		t.Fatalf("fixture: %d distinct layers, want 5", len(layerDigests))
	}
	store, err := fleet.OpenRegistry(fr.host+"/fleet/store", fleet.RegistryOptions{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}

	// Analyze's answers first, from the blobs.
	want := map[string][]byte{}
	for _, ref := range refs {
		a, err := Analyze(ctx, fleetOptions(), ref, 10)
		if err != nil {
			t.Fatal(err)
		}
		want[ref], _ = json.Marshal(a)
	}
	fr.mu.Lock()
	clear(fr.gets)
	fr.mu.Unlock()

	const shards = 3
	results := make([]ScanResult, shards)
	var wg sync.WaitGroup
	errs := make([]error, shards)
	for i := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Scan(ctx, ScanOptions{Open: fleetOptions().Open, Store: store, Shard: i, Shards: shards}, refs)
		}()
	}
	wg.Wait()
	walked, entries := 0, 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		if results[i].Layers != 5 || results[i].Images != 4 {
			t.Errorf("shard %d planned %d layers of %d images, want 5 of 4", i, results[i].Layers, results[i].Images)
		}
		walked += results[i].Walked
		entries += results[i].Entries
	}
	// The base layer is stored under two capture sets (team-b/job runs
	// a script), read once.
	if walked != 5 || entries != 6 {
		t.Errorf("shards walked %d layers and wrote %d entries, want 5 and 6", walked, entries)
	}
	fr.mu.Lock()
	for d := range layerDigests {
		if fr.gets[d] != 1 {
			t.Errorf("layer blob %s fetched %d times across the shards, want 1", d, fr.gets[d])
		}
	}
	fr.mu.Unlock()

	// A second run finds everything stored and reads nothing: no layer
	// blob, and no entry either (the store is asked whether each exists).
	fr.mu.Lock()
	clear(fr.gets)
	fr.mu.Unlock()
	fr.storeBlobGets.Store(0)
	again, err := Scan(ctx, ScanOptions{Open: fleetOptions().Open, Store: store, Shard: 0, Shards: 1}, refs)
	if err != nil {
		t.Fatal(err)
	}
	if again.Walked != 0 || again.Stored != 5 {
		t.Errorf("re-run walked %d, found %d stored; want 0 and 5", again.Walked, again.Stored)
	}
	fr.mu.Lock()
	for d := range layerDigests {
		if fr.gets[d] != 0 {
			t.Errorf("re-run fetched layer blob %s %d times, want 0", d, fr.gets[d])
		}
	}
	fr.mu.Unlock()
	if n := fr.storeBlobGets.Load(); n != 0 {
		t.Errorf("re-run of a fully stored fleet fetched %d store blobs, want 0", n)
	}
	// --verify reads each of the 6 entries whole (and nothing else of
	// the store: the artifacts' configs are not read).
	verified, err := Scan(ctx, ScanOptions{Open: fleetOptions().Open, Store: store, Shard: 0, Shards: 1, Verify: true}, refs)
	if err != nil {
		t.Fatal(err)
	}
	if verified.Walked != 0 || verified.Stored != 5 {
		t.Errorf("verifying re-run walked %d, found %d stored; want 0 and 5", verified.Walked, verified.Stored)
	}
	if n := fr.storeBlobGets.Load(); n != 6 {
		t.Errorf("verifying re-run fetched %d store blobs, want the 6 entries", n)
	}

	fr.failBlobs.Store(true)
	n := 0
	err = FleetAnalyze(ctx, fleetOptions(), store, refs, 10, func(fi FleetImage) error {
		n++
		if fi.Analysis == nil {
			t.Errorf("%s: incomplete, missing %v", fi.Ref, fi.Missing)
			return nil
		}
		got, _ := json.Marshal(fi.Analysis)
		if string(got) != string(want[fi.Ref]) {
			t.Errorf("%s: fleet analysis differs from analyze:\n got %s\nwant %s", fi.Ref, got, want[fi.Ref])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(refs) {
		t.Errorf("report saw %d images, want %d", n, len(refs))
	}
}

// An image whose layers are not all stored is incomplete, its missing
// layers named; the others are still reported.
func TestFleetReportIncomplete(t *testing.T) {
	ctx := context.Background()
	fr := newFleetRegistry(t)
	refs, _ := fleetImages(t, fr)
	store, err := fleet.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Only team-b/tiny (its one layer) is scanned.
	if _, err := Scan(ctx, ScanOptions{Open: fleetOptions().Open, Store: store, Shard: 0, Shards: 1}, refs[3:]); err != nil {
		t.Fatal(err)
	}
	fr.failBlobs.Store(true)
	var complete, incomplete int
	err = FleetAnalyze(ctx, fleetOptions(), store, refs, 5, func(fi FleetImage) error {
		if fi.Analysis != nil {
			complete++
			if fi.Ref != refs[3] {
				t.Errorf("%s reported complete", fi.Ref)
			}
		} else {
			incomplete++
			if len(fi.Missing) != 2 {
				t.Errorf("%s: missing %v, want its 2 layers", fi.Ref, fi.Missing)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if complete != 1 || incomplete != 3 {
		t.Errorf("%d complete, %d incomplete; want 1 and 3", complete, incomplete)
	}
}

// A scan stopped half-way leaves whole entries; the next run reads only
// what is missing.
func TestFleetScanKilled(t *testing.T) {
	fr := newFleetRegistry(t)
	refs, _ := fleetImages(t, fr)
	store, err := fleet.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := ScanOptions{Open: fleetOptions().Open, Store: store, Shard: 0, Shards: 1}
	o.Open.Jobs = 1
	o.Layer = func(string, bool) { cancel() }
	first, err := Scan(ctx, o, refs)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped scan: %v", err)
	}
	o.Layer = nil
	second, err := Scan(context.Background(), o, refs)
	if err != nil {
		t.Fatal(err)
	}
	if first.Walked < 1 || second.Stored != first.Walked || second.Walked+second.Stored != 5 {
		t.Errorf("first run walked %d; second found %d stored and walked %d; want all 5 layers once", first.Walked, second.Stored, second.Walked)
	}
}

// Each stored entry is what analyze of the image puts in its own layer
// cache under the same key, though the scan reads a layer shared by
// images of different capture sets once.
func TestFleetEntriesEqualAnalyzeCache(t *testing.T) {
	ctx := context.Background()
	fr := newFleetRegistry(t)
	refs, _ := fleetImages(t, fr)
	c, err := cache.Open(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := fleetOptions()
	o.Cache = func() layers.Cache { return c }
	for _, ref := range refs {
		if _, err := Analyze(ctx, o, ref, 5); err != nil {
			t.Fatal(err)
		}
	}
	store, err := fleet.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Scan(ctx, ScanOptions{Open: o.Open, Store: store, Shard: 0, Shards: 1}, refs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Walked != 5 || res.Entries != 6 {
		t.Errorf("walked %d, wrote %d entries; want 5 and 6", res.Walked, res.Entries)
	}
	checked := 0
	for _, ref := range refs {
		img, err := layers.Open(ctx, ref, o.Open)
		if err != nil {
			t.Fatal(err)
		}
		keys, _, _, err := fleetKeys(img)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			want, ok := c.Get(k)
			if !ok {
				t.Fatalf("%s: analyze cached nothing under %s", ref, k)
			}
			got, ok, err := store.Get(ctx, k)
			if err != nil || !ok {
				t.Fatalf("%s: store has no %s (%v)", ref, k, err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s: %s: store entry differs from analyze's (-analyze +store):\n%s", ref, k, d)
			}
			checked++
		}
	}
	if checked != 7 {
		t.Errorf("checked %d entries, want 7", checked)
	}
}

func TestShardOfStable(t *testing.T) {
	// FNV-1a 64 of the digest modulo n, computed independently.
	d := "sha256:" + strings.Repeat("ab", 32)
	var h uint64 = 14695981039346656037
	for _, c := range []byte(d) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	for _, n := range []int{1, 2, 3, 7, 100} {
		if got := ShardOf(d, n); got != int(h%uint64(n)) {
			t.Errorf("ShardOf(n=%d) = %d, want %d", n, got, h%uint64(n))
		}
	}
}

// An entry damaged after it was written still exists for a plain scan
// (which reads no entry); the report, which reads and verifies it, names
// its layer missing; a scan with Verify reads it, finds it damaged and
// rewrites it.
func TestFleetDamagedEntry(t *testing.T) {
	ctx := context.Background()
	fr := newFleetRegistry(t)
	refs, _ := fleetImages(t, fr)
	dir := t.TempDir()
	store, err := fleet.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := ScanOptions{Open: fleetOptions().Open, Store: store, Shard: 0, Shards: 1}
	tiny := refs[3:] // team-b/tiny: one layer, one entry
	if _, err := Scan(ctx, o, tiny); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "layers", "[0-9a-f]*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("entry files %v (%v), want 1", files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], data[:len(data)-4], 0o600); err != nil { // the checksum's end cut off
		t.Fatal(err)
	}
	report := func() (missing int) {
		t.Helper()
		if err := FleetAnalyze(ctx, fleetOptions(), store, tiny, 5, func(fi FleetImage) error {
			missing += len(fi.Missing)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return missing
	}
	if res, err := Scan(ctx, o, tiny); err != nil || res.Walked != 0 || res.Stored != 1 {
		t.Fatalf("plain re-run: %+v, %v; want the damaged entry taken as stored", res, err)
	}
	if n := report(); n != 1 {
		t.Fatalf("report: %d layers missing, want the damaged one", n)
	}
	o.Verify = true
	if res, err := Scan(ctx, o, tiny); err != nil || res.Walked != 1 || res.Entries != 1 {
		t.Fatalf("verifying re-run: %+v, %v; want the layer read again and its entry rewritten", res, err)
	}
	if n := report(); n != 0 {
		t.Errorf("report after --verify: %d layers missing", n)
	}
}
