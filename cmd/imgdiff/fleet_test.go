package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	afleet "github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/pipeline"
	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// TestFleetProcesses is the fleet's acceptance run, against an
// in-process registry rather than the e2e's (CI has no headroom for
// another e2e phase): three `imgdiff fleet scan` processes at once, one
// killed (SIGKILL) while it downloads a layer and re-run; every other
// layer blob fetched once across them; then `imgdiff fleet report` with
// layer downloads refused gives each image the figures `imgdiff analyze`
// gives it.
func TestFleetProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	reg := registrytest.Handler()
	var (
		mu        sync.Mutex
		gets      = map[string]int{}
		layerSet  = map[string]bool{}
		slow      string
		slowBytes atomic.Int64
		noBlobs   atomic.Bool
	)
	host := registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := strings.LastIndex(r.URL.Path, "/blobs/")
		if i < 0 || r.Method != http.MethodGet {
			reg.ServeHTTP(w, r)
			return
		}
		d := r.URL.Path[i+len("/blobs/"):]
		mu.Lock()
		isLayer, isSlow := layerSet[d], d == slow
		if isLayer {
			gets[d]++
		}
		mu.Unlock()
		if isLayer && noBlobs.Load() {
			http.Error(w, "no layer downloads", http.StatusForbidden)
			return
		}
		if !isSlow {
			reg.ServeHTTP(w, r)
			return
		}
		trickle(w, r, reg, 16<<10, 10*time.Millisecond, &slowBytes)
	}))

	// Six images over two bases: a toolchain base (dpkg says gcc) and a
	// slim one, each app its own layer.
	gcc := imagetest.Layer{CreatedBy: "RUN apt-get install gcc-12", Entries: []imagetest.Entry{
		{Path: "var/lib/dpkg/status", Body: []byte("Package: gcc-12\nStatus: install ok installed\nSection: devel\nInstalled-Size: 40\nVersion: 12.2.0-14\nArchitecture: amd64\n\n")},
		{Path: "var/lib/dpkg/info/gcc-12.list", Body: []byte("/usr/bin/gcc-12\n")},
		{Path: "usr/bin/gcc-12", Size: 40000, Mode: 0o755},
		{Path: "root/.cache/go-build/aa/x", Size: 5000},
	}}
	slim := imagetest.Layer{CreatedBy: "ADD rootfs /", Entries: []imagetest.Entry{{Path: "etc/os-release", Body: []byte("ID=debian\n")}, {Path: "usr/lib/big.so", Size: 1 << 20}}}
	var repoTags []string
	for i := range 6 {
		base := gcc
		if i%2 == 1 {
			base = slim
		}
		repoTag := fmt.Sprintf("team-%d/app:%d", i%3, i)
		img, err := imagetest.Build(imagetest.Image{
			Layers: []imagetest.Layer{base, {CreatedBy: "COPY app /app", Entries: []imagetest.Entry{
				{Path: "app/server", Size: int64(1000 * (i + 1)), Mode: 0o755}, {Path: "app/src/main.go", Size: 300}, {Path: "app/.git/HEAD", Body: []byte("ref: refs/heads/main\n")}}}},
			Config: v1.Config{Cmd: []string{"/app/server"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		registrytest.Push(t, host+"/"+repoTag, img)
		ls, _ := img.Layers()
		mu.Lock()
		for _, l := range ls {
			d, _ := l.Digest()
			layerSet[d.String()] = true
		}
		mu.Unlock()
		repoTags = append(repoTags, repoTag)
	}
	// The slim base (1 MB, random-looking) is served slowly: its shard is
	// killed while it downloads it.
	sl, _ := imagetest.NewLayer(slim.Entries, imagetest.Gzip, 0)
	sd, _ := sl.Digest()
	slow = sd.String()
	if !layerSet[slow] {
		t.Fatal("fixture: the slow layer is not the slim base")
	}
	if len(layerSet) != 8 {
		t.Fatalf("fixture: %d distinct layers, want 8", len(layerSet))
	}

	sel := "docker://" + host + "/team-*/**"
	store := "docker://" + host + "/imgdiff/store"
	env := append(os.Environ(), asMainEnv+"=1", "IMGDIFF_NO_CACHE=1", "NO_COLOR=1", "DOCKER_CONFIG="+t.TempDir())
	start := func(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		return startProcess(t, env, os.Args[0], args...)
	}
	killed := pipeline.ShardOf(slow, 3)
	cmds := make([]*exec.Cmd, 3)
	errs := make([]*bytes.Buffer, 3)
	for i := range 3 {
		cmds[i], _, errs[i] = start("fleet", "scan", sel, "--store", store, "--shard", fmt.Sprintf("%d/3", i), "-j", "2")
	}
	deadline := time.Now().Add(60 * time.Second)
	for slowBytes.Load() < 64<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("the slow layer never started: %s", errs[killed])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmds[killed].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmds[killed].Wait()
	for i, c := range cmds {
		if i != killed {
			if err := c.Wait(); err != nil {
				t.Fatalf("shard %d: %v: %s", i, err, errs[i])
			}
		}
	}
	c, _, errOut := start("fleet", "scan", sel, "--store", store, "--shard", fmt.Sprintf("%d/3", killed))
	if err := c.Wait(); err != nil {
		t.Fatalf("re-run of shard %d: %v: %s", killed, err, errOut)
	}
	t.Logf("re-run: %s", strings.TrimSpace(errOut.String()))
	mu.Lock()
	for d := range layerSet {
		switch {
		case d == slow:
			if gets[d] != 2 { // the killed download, then the re-run's
				t.Errorf("the layer downloading when its shard was killed: fetched %d times, want 2", gets[d])
			}
		case pipeline.ShardOf(d, 3) == killed:
			// Read by the killed run: once more unless it was stored
			// before the kill.
			if gets[d] < 1 || gets[d] > 2 {
				t.Errorf("layer %s of the killed shard fetched %d times, want 1 or 2", d, gets[d])
			}
		default:
			if gets[d] != 1 {
				t.Errorf("layer %s fetched %d times across the shards, want 1", d, gets[d])
			}
		}
	}
	mu.Unlock()

	// analyze's figures, each image on its own.
	type figures struct {
		Size, Compressed int64
		Categories       map[string]int64
	}
	want := map[string]figures{}
	// In this process (the same main; six more race-built processes
	// would cost CI seconds).
	for _, rt := range repoTags {
		ios, out, errOut := cmdutil.Test()
		ios.Getenv = func(k string) string {
			if k == "IMGDIFF_NO_CACHE" {
				return "1"
			}
			return ""
		}
		if code := run(context.Background(), ios, []string{"analyze", "-o", "json", "--no-config", "docker://" + host + "/" + rt}); code != 0 {
			t.Fatalf("analyze %s: exit %d: %s", rt, code, errOut)
		}
		var a struct {
			Image struct {
				Size           int64 `json:"size"`
				CompressedSize int64 `json:"compressedSize"`
			} `json:"image"`
			Classification struct {
				Categories []struct {
					Category string `json:"category"`
					Bytes    int64  `json:"bytes"`
				} `json:"categories"`
			} `json:"classification"`
		}
		if err := json.Unmarshal(out.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		f := figures{Size: a.Image.Size, Compressed: a.Image.CompressedSize, Categories: map[string]int64{}}
		for _, c := range a.Classification.Categories {
			if c.Category != "other" && c.Bytes > 0 {
				f.Categories[c.Category] = c.Bytes
			}
		}
		want[host+"/"+rt] = f
	}

	noBlobs.Store(true)
	c, out, errOut := start("fleet", "report", sel, "--store", store, "-o", "json", "--no-config")
	if err := c.Wait(); err != nil {
		t.Fatalf("report: %v: %s", err, errOut)
	}
	var r afleet.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Total.Images != 6 || r.Total.Incomplete != 0 {
		t.Fatalf("report: %d images, %d incomplete: %s", r.Total.Images, r.Total.Incomplete, errOut)
	}
	for _, img := range r.Images {
		w := want[img.Repo+":"+img.Tag]
		got := figures{Size: img.Size, Compressed: img.CompressedSize, Categories: map[string]int64{}}
		for c, b := range img.Categories {
			got.Categories[string(c)] = b
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: fleet %+v, analyze %+v", img.Name(), got, w)
		}
	}
	if len(r.BuildTools) != 3 {
		t.Errorf("%d images ship build tools, want the 3 on the gcc base", len(r.BuildTools))
	}
}
