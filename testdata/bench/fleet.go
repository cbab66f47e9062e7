package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// The fleet bench (issue 28): fleetImages images over fleetBases bases,
// each base fleetBaseMB of incompressible content, each app its own
// small layer.
const (
	fleetImages = 50
	fleetBases  = 3
	fleetBaseMB = 8
)

// fleetTargets times `imgdiff fleet scan` + `fleet report` over a
// registry of fleetImages images sharing bases, against one `imgdiff
// analyze` per image (no cache), and counts the layer bytes the registry
// served to each.
func fleetTargets(dir, bin string, want func(string) bool) ([]target, error) {
	tname := fmt.Sprintf("fleet scan + report of %d images on %d bases / %d analyze runs (time)", fleetImages, fleetBases, fleetImages)
	if !want(tname) {
		return nil, nil
	}
	var served atomic.Int64
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && !strings.Contains(r.URL.Path, "/imgdiff/") {
			w = &countingWriter{ResponseWriter: w, n: &served}
		}
		reg.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	t0 := time.Now()
	// The bases are built once and shared by layer, as a registry holds
	// them.
	var bases []v1.Layer
	for b := range fleetBases {
		l, err := imagetest.NewLayer([]imagetest.Entry{
			{Path: "var/lib/dpkg/status", Body: []byte("Package: gcc-12\nStatus: install ok installed\nSection: devel\nInstalled-Size: 8000\nVersion: 12.2.0-14\nArchitecture: amd64\n\n")},
			{Path: "var/lib/dpkg/info/gcc-12.list", Body: []byte("/usr/bin/gcc-12\n")},
			{Path: fmt.Sprintf("usr/bin/gcc-12-%d", b), Size: fleetBaseMB << 20, Mode: 0o755},
		}, imagetest.Gzip, 1)
		if err != nil {
			return nil, err
		}
		bases = append(bases, l)
	}
	var refs []string
	for i := range fleetImages {
		app, err := imagetest.NewLayer([]imagetest.Entry{{Path: fmt.Sprintf("app/server-%d", i), Size: 256 << 10, Mode: 0o755}}, imagetest.Gzip, 1)
		if err != nil {
			return nil, err
		}
		img, err := mutate.Append(empty.Image,
			mutate.Addendum{Layer: bases[i%fleetBases], History: v1.History{CreatedBy: "ADD base.tar /"}},
			mutate.Addendum{Layer: app, History: v1.History{CreatedBy: "COPY app /app"}})
		if err != nil {
			return nil, err
		}
		if img, err = mutate.Config(img, v1.Config{Cmd: []string{"/app/server"}}); err != nil {
			return nil, err
		}
		ref, err := name.ParseReference(fmt.Sprintf("%s/fleet/app%d:1", addr, i))
		if err != nil {
			return nil, err
		}
		if err := remote.Write(ref, img); err != nil {
			return nil, err
		}
		refs = append(refs, "docker://"+ref.String())
	}
	fmt.Printf("bench: fleet: %d images on %d bases of %d MB pushed to %s in %s\n", fleetImages, fleetBases, fleetBaseMB, addr, time.Since(t0).Round(time.Millisecond))

	env := append(os.Environ(), "IMGDIFF_NO_CACHE=1", "DOCKER_CONFIG="+filepath.Join(dir, "fleet-docker-config"))
	run := func(args ...string) error {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	served.Store(0)
	start := time.Now()
	for _, ref := range refs {
		if err := run("analyze", ref, "-o", "json"); err != nil {
			return nil, err
		}
	}
	analyzeWall, analyzeBytes := time.Since(start), served.Load()

	store := filepath.Join(dir, "fleet-store")
	os.RemoveAll(store)
	defer os.RemoveAll(store)
	sel := "docker://" + addr + "/fleet/*"
	served.Store(0)
	start = time.Now()
	if err := run("fleet", "scan", sel, "--store", store); err != nil {
		return nil, err
	}
	scanWall := time.Since(start)
	if err := run("fleet", "report", sel, "--store", store, "-o", "json", "--no-config"); err != nil {
		return nil, err
	}
	fleetWall, fleetBytes := time.Since(start), served.Load()
	fmt.Printf("  %d analyze runs: %s, %.0f MB of layers fetched; fleet scan %s + report %s = %s, %.0f MB fetched\n",
		fleetImages, analyzeWall.Round(time.Millisecond), float64(analyzeBytes)/1e6,
		scanWall.Round(time.Millisecond), (fleetWall - scanWall).Round(time.Millisecond), fleetWall.Round(time.Millisecond), float64(fleetBytes)/1e6)
	res := []target{
		ratioTarget(tname, timing{wall: fleetWall}, timing{wall: analyzeWall}, 0.25),
		{name: fmt.Sprintf("fleet scan + report of %d images / %d analyze runs (layer bytes fetched)", fleetImages, fleetImages),
			value: fmt.Sprintf("%.3f (%.0f / %.0f MB)", float64(fleetBytes)/float64(analyzeBytes), float64(fleetBytes)/1e6, float64(analyzeBytes)/1e6),
			limit: "< 0.10", pass: analyzeBytes > 0 && float64(fleetBytes) < 0.10*float64(analyzeBytes)},
	}
	return res, nil
}

// countingWriter counts the bytes of a response body.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}
