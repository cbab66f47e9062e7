package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers"
	"github.com/imgdiff/imgdiff/layers/throttle"
)

// The throttled registry's link (-rate, -latency).
var (
	netRate    int64
	netLatency time.Duration
)

// The registry targets read the OCI layouts' images from a real registry
// on 127.0.0.1: go-containerregistry's, in this process, serving the
// layouts' blob files in place (nothing is copied or held in memory) and
// the manifests pushed to it at start. A throttle.Proxy in front of it
// makes it look like a registry across a network.

// layoutBlobs is a read-only registry.BlobHandler over the blob dirs of
// OCI layouts. Stat is a stat, not the disk handler's hash of the whole
// file on every request (which would hash a 300 MB blob once per 8 MiB
// range); the layouts' blobs were hashed when they were written.
type layoutBlobs struct{ dirs []string }

func (b layoutBlobs) path(h v1.Hash) (string, error) {
	if h.Algorithm != "sha256" {
		return "", registry.ErrNotFound
	}
	for _, d := range b.dirs {
		p := filepath.Join(d, "blobs", "sha256", h.Hex)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", registry.ErrNotFound
}

func (b layoutBlobs) Stat(_ context.Context, _ string, h v1.Hash) (int64, error) {
	p, err := b.path(h)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Get returns the *os.File: the registry serves a range of it through
// its io.ReaderAt.
func (b layoutBlobs) Get(_ context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	p, err := b.path(h)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// blobGets serves blob GETs from the layout files with http.ServeContent,
// as distribution's filesystem driver does (Range requests, and
// sendfile(2): the bytes are not copied through this process), and
// passes everything else to ggcr's registry, whose blob GETs copy each
// range through a 32 kB buffer: CPU taken from the process measured on
// the same two cores, which a remote registry would not take.
func blobGets(blobs layoutBlobs, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := strings.LastIndex(r.URL.Path, "/blobs/")
		if r.Method != http.MethodGet || i < 0 || !strings.HasPrefix(r.URL.Path, "/v2/") {
			next.ServeHTTP(w, r)
			return
		}
		h, err := v1.NewHash(r.URL.Path[i+len("/blobs/"):])
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		p, err := blobs.path(h)
		if err != nil {
			next.ServeHTTP(w, r) // its 404
			return
		}
		f, err := os.Open(p)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Docker-Content-Digest", h.String())
		http.ServeContent(w, r, "", time.Time{}, f)
	})
}

// benchRegistry is the registry, listening on 127.0.0.1.
type benchRegistry struct {
	Addr string
	srv  *http.Server
}

// push says which layout tags go to which repository: repo -> layout dir
// and its tags.
type push struct {
	repo, layout string
	tags         []string
}

// serveRegistry starts the registry over the layouts' blobs and pushes
// the manifests of the tags named.
func serveRegistry(pushes []push) (*benchRegistry, error) {
	var dirs []string
	for _, p := range pushes {
		dirs = append(dirs, p.layout)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	blobs := layoutBlobs{dirs}
	reg := registry.New(registry.WithBlobHandler(blobs), registry.Logger(log.New(io.Discard, "", 0)))
	r := &benchRegistry{Addr: ln.Addr().String(), srv: &http.Server{Handler: blobGets(blobs, reg)}}
	go r.srv.Serve(ln)
	for _, p := range pushes {
		for _, tag := range p.tags {
			if err := r.pushManifest(p.layout, p.repo, tag); err != nil {
				r.Close()
				return nil, fmt.Errorf("pushing %s:%s: %w", p.repo, tag, err)
			}
		}
	}
	return r, nil
}

func (r *benchRegistry) Close() error { return r.srv.Close() }

// pushManifest PUTs the manifest the layout tags tag as repo:tag. The
// blobs need no upload: the registry serves the layout's files.
func (r *benchRegistry) pushManifest(layout, repo, tag string) error {
	md, err := layoutManifest(layout, tag)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", md.Digest.Hex))
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("http://%s/v2/%s/manifests/%s", r.Addr, repo, tag), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", string(md.MediaType))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("status %s: %s", resp.Status, b)
	}
	return nil
}

// layoutManifest finds the descriptor of the manifest tagged tag in an
// OCI layout's index.json.
func layoutManifest(layout, tag string) (*v1.Descriptor, error) {
	ij, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		return nil, err
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(ij, &idx); err != nil {
		return nil, err
	}
	for i, d := range idx.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == tag {
			return &idx.Manifests[i], nil
		}
	}
	return nil, errors.New(layout + ": no tag " + tag)
}

// layoutLayers returns the layer descriptors of the image tag names in an
// OCI layout.
func layoutLayers(layout, tag string) ([]v1.Descriptor, error) {
	md, err := layoutManifest(layout, tag)
	if err != nil {
		return nil, err
	}
	mj, err := os.ReadFile(filepath.Join(layout, "blobs", "sha256", md.Digest.Hex))
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		return nil, err
	}
	return m.Layers, nil
}

// Ranged-fetch parameters the transfer floor assumes: imgdiff's defaults
// (layers.RangedOptions), which the bench does not change.
const (
	rangedPerBlob = 4
	rangedTotal   = layers.DefaultRangeTotal
)

// registryTargets times analyze of the gzip layout's images through the
// registry: through the throttle against the largest of three floors
// measured or computed in the same run (the transfer floor, blob bytes
// over the connections a ranged fetch may use times the per-connection
// rate; the CPU floor, baseline (c)'s CPU plus the registry's and the
// throttle's over the cores; the one-reader floor, baseline (c)'s wall
// time on the layout's files), and unthrottled against the one-stream
// path.
func registryTargets(m *measurer, g *generated, self, bin string, want func(string) bool) ([]target, error) {
	type image struct {
		what, tag string
		layers    []v1.Descriptor
	}
	var imgs []image
	for _, t := range []struct{ what, tag string }{{"single-layer", "single"}, {fmt.Sprintf("%d-layer", g.BigLayers), "big"}} {
		ls, err := layoutLayers(g.GzipLayout, t.tag)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, image{t.what, t.tag, ls})
	}
	throttled := func(im image) string {
		return fmt.Sprintf("registry via throttle (%.0f MB/s per conn, %s), %s gzip, ranged / max(transfer, CPU, one-reader floor)", float64(netRate)/1e6, netLatency, im.what)
	}
	plain := func(im image) string {
		return fmt.Sprintf("registry unthrottled, %s gzip, ranged / one stream (--ranged-threshold off)", im.what)
	}
	wanted := false
	for _, im := range imgs {
		wanted = wanted || want(throttled(im)) || want(plain(im))
	}
	if !wanted {
		return nil, nil
	}
	reg, err := serveRegistry([]push{{repo: "bench", layout: g.GzipLayout, tags: []string{"big", "next", "single"}}})
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	proxy, err := throttle.New(reg.Addr, netRate, netLatency)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	fmt.Printf("bench: registry on %s, throttled proxy on %s\n", reg.Addr, proxy.Addr)

	analyze := func(addr, tag string, extra ...string) command {
		args := append([]string{bin, "analyze", "docker://" + addr + "/bench:" + tag, "-o", "json"}, extra...)
		return command{env: []string{"IMGDIFF_NO_CACHE=1"}, args: args}
	}
	off := []string{"--ranged-threshold", "off"}
	var res []target
	for _, im := range imgs {
		if name := throttled(im); want(name) {
			var bytes int64
			ranged := 0
			for _, l := range im.layers {
				bytes += l.Size
				if l.Size >= layers.DefaultRangeThreshold {
					ranged += rangedPerBlob
				} else {
					ranged++
				}
			}
			// Connections at once: the walk reads NumCPU layers at a
			// time (--jobs), each ranged one over up to PerBlob
			// connections, all of them within Total.
			conns := min(rangedTotal, min(len(im.layers), runtime.NumCPU())*rangedPerBlob, ranged)
			transfer := time.Duration(float64(bytes) / float64(int64(conns)*netRate) * float64(time.Second))
			ts := m.group(analyze(proxy.Addr, im.tag),
				command{args: []string{self, "baseline-decompress-verify-headers", g.GzipLayout, im.tag}},
				analyze(proxy.Addr, im.tag, off...))
			// The CPU floor (issue 26): on these cores the machine must
			// decode, verify and walk the headers (baseline (c)'s CPU)
			// and serve the blobs (the registry's and the throttle's CPU
			// while imgdiff ran), however well the two overlap.
			cores := runtime.NumCPU()
			cpuFloor := (ts[1].cpu + ts[0].serverCPU) / time.Duration(cores)
			floor, which := timing{wall: cpuFloor}, "CPU"
			if transfer > floor.wall {
				floor, which = timing{wall: transfer}, "transfer"
			}
			// The one-reader floor: baseline (c)'s own wall time. The CPU
			// floor divides the work over the cores, but one gzip stream
			// decodes on one core only (a deflate stream has no points
			// to start from in the middle), so a one-layer image can
			// never be read faster than baseline (c) reads it, however
			// many cores or connections there are. On many layers
			// baseline (c) uses every core and this floor is below the
			// CPU floor.
			if ts[1].wall > floor.wall {
				floor, which = timing{wall: ts[1].wall}, "one reader (baseline (c) wall)"
			}
			fmt.Printf("  transfer floor: %.0f MB / (%d conns x %.0f MB/s) = %s; CPU floor: (baseline (c) CPU %s + registry+throttle CPU %s) / %d cores = %s; one-reader floor: baseline (c) wall %s; the largest: %s\n",
				float64(bytes)/1e6, conns, float64(netRate)/1e6, transfer.Round(time.Millisecond),
				ts[1].cpu.Round(time.Millisecond), ts[0].serverCPU.Round(time.Millisecond), cores, cpuFloor.Round(time.Millisecond), ts[1].wall.Round(time.Millisecond), which)
			plainFloor := timing{wall: max(transfer, ts[1].wall)}
			if len(im.layers) == 1 {
				// The throttle's own check: one stream of one blob should
				// move at the cap.
				fmt.Printf("  one stream through the throttle: %.0f MB in %s = %.1f MB/s (cap %.0f MB/s)\n",
					float64(bytes)/1e6, ts[2].wall.Round(time.Millisecond), float64(bytes)/1e6/ts[2].wall.Seconds(), float64(netRate)/1e6)
			}
			res = append(res, ratioTarget(name, ts[0], floor, 1.15),
				infoTarget(fmt.Sprintf("(info) registry via throttle, %s gzip, ranged / max(transfer floor, baseline (c) wall)", im.what), ts[0], plainFloor),
				infoTarget(fmt.Sprintf("(info) registry via throttle, %s gzip, one stream per blob / ranged", im.what), ts[2], ts[0]))
		}
		if name := plain(im); want(name) {
			ts := m.group(analyze(reg.Addr, im.tag), analyze(reg.Addr, im.tag, off...))
			// "No slower than today": within the 5% the medians of a
			// shared machine move between identical runs.
			res = append(res, ratioTarget(name, ts[0], ts[1], 1.05))
		}
	}
	fmt.Printf("  throttled proxy: %d connections, at most %d open at once\n", proxy.Conns(), proxy.Peak())
	return res, nil
}

// serveUntilInterrupted is -serve: the registry and the throttle over the
// images a kept -dir holds, until SIGINT or SIGTERM.
func serveUntilInterrupted(dir string) error {
	if dir == "" {
		return errors.New("-serve needs the -dir of a previous run")
	}
	g, err := readStamp(filepath.Join(dir, "generated.json"))
	if err != nil {
		return fmt.Errorf("%s holds no generated images (run the bench with -dir first): %w", dir, err)
	}
	reg, err := serveRegistry([]push{{repo: "bench", layout: g.GzipLayout, tags: []string{"big", "next", "single"}}})
	if err != nil {
		return err
	}
	defer reg.Close()
	proxy, err := throttle.New(reg.Addr, netRate, netLatency)
	if err != nil {
		return err
	}
	defer proxy.Close()
	fmt.Printf("registry:  docker://%s/bench:big (also :next, :single)\nthrottled: docker://%s/bench:big (%.0f MB/s per connection, %s)\n",
		reg.Addr, proxy.Addr, float64(netRate)/1e6, netLatency)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
