//go:build e2e

// End-to-end tests: the real imgdiff binary against images that a real
// dockerd built, saved and pushed to a real registry. Run them with
// `make e2e` (testdata/e2e/run.sh), which starts the daemons, builds the
// images and tells this test where everything is:
//
//	IMGDIFF_E2E_MANIFEST  images.json written by run.sh
//	DOCKER_HOST           the run's own dockerd
//	IMGDIFF_E2E_DOCKER    the docker client to ask for the truth (default docker)
//	IMGDIFF_E2E_BIN       test this imgdiff binary instead of building one
//
// Every expected figure comes from Docker or the registry themselves
// (docker image inspect, docker history, the saved image config, the
// registry and OCI manifests), never from imgdiff.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// e2eManifest is images.json, written by testdata/e2e/run.sh.
type e2eManifest struct {
	Registry  string `json:"registry"`
	OCILayout string `json:"ociLayout"`
	// Base is the base image every Dockerfile was built on (BASE=).
	Base   string     `json:"base"`
	Images []e2eImage `json:"images"`
}

type e2eImage struct {
	App     string `json:"app"`     // go, node, c, python, java
	Variant string `json:"variant"` // single, multi
	Builder string `json:"builder"` // buildkit, legacy
	Tag     string `json:"tag"`     // in the daemon
	Archive string `json:"archive"` // docker save output
	OCITag  string `json:"ociTag"`  // tag in the shared OCI layout
	// Context is the build context it was built from (its npm-cache
	// filled for the Node app), BuildArgs the --build-arg values.
	Context   string   `json:"context"`
	BuildArgs []string `json:"buildArgs"`
}

func (im e2eImage) name() string { return im.App + "-" + im.Variant + "-" + im.Builder }

// transportRef is one way of naming an image to imgdiff.
type transportRef struct {
	name      string // subtest name
	ref       string
	transport string // what the report must say it used
}

// refs lists every transport, the daemon first: the others are checked
// against its figures.
func (e *e2eEnv) refs(im e2eImage) []transportRef {
	return []transportRef{
		{"docker-daemon", "docker-daemon:" + im.Tag, "docker-daemon"},
		{"bare", im.Tag, "docker-daemon"}, // the local engine answers first
		{"docker-archive", "docker-archive:" + im.Archive, "docker-archive"},
		{"oci", "oci:" + e.manifest.OCILayout + ":" + im.OCITag, "oci"},
		{"registry", "docker://" + e.manifest.Registry + "/" + im.Tag, "docker"},
		// run.sh untags REGISTRY/name in the engine after the push, so a
		// bare name finds the engine without it and falls back to the
		// registry.
		{"bare-registry", e.manifest.Registry + "/" + im.Tag, "docker"},
	}
}

// e2eEnv is what every test shares: the manifest, the built binary, and
// memoized imgdiff runs and ground truths.
type e2eEnv struct {
	manifest e2eManifest
	bin      string
	docker   string
	tmp      string // the binary and the layer cache

	mu      sync.Mutex
	reports map[string]*onceResult[*analyzeReport]
	truths  map[string]*onceResult[*groundTruth]
}

type onceResult[T any] struct {
	once sync.Once
	v    T
	err  error
}

var (
	envOnce sync.Once
	envVal  *e2eEnv
	envErr  error
)

// setup reads the manifest and builds imgdiff once for all tests.
func setup(t *testing.T) *e2eEnv {
	t.Helper()
	envOnce.Do(func() { envVal, envErr = newEnv() })
	if envErr != nil {
		t.Fatal(envErr)
	}
	return envVal
}

func newEnv() (*e2eEnv, error) {
	path := os.Getenv("IMGDIFF_E2E_MANIFEST")
	if path == "" {
		return nil, errors.New("IMGDIFF_E2E_MANIFEST is not set: run these tests with `make e2e`, which builds the images and starts dockerd and the registry")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the e2e manifest: %w", err)
	}
	env := &e2eEnv{
		docker:  "docker",
		reports: map[string]*onceResult[*analyzeReport]{},
		truths:  map[string]*onceResult[*groundTruth]{},
	}
	if err := json.Unmarshal(data, &env.manifest); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if len(env.manifest.Images) == 0 {
		return nil, fmt.Errorf("%s lists no images", path)
	}
	if d := os.Getenv("IMGDIFF_E2E_DOCKER"); d != "" {
		env.docker = d
	}
	dir, err := sharedTempDir("imgdiff-e2e")
	if err != nil {
		return nil, err
	}
	env.tmp = dir
	// The layer cache of every run goes here, not to the user's.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	if bin := os.Getenv("IMGDIFF_E2E_BIN"); bin != "" {
		env.bin = bin // a prebuilt binary, e.g. a release candidate
		return env, nil
	}
	env.bin = filepath.Join(dir, "imgdiff")
	build := exec.Command("go", "build", "-o", env.bin, ".")
	build.Env = append(os.Environ(), "GOCACHE="+hostGOCACHE) // not under the XDG_CACHE_HOME set above
	out, err := build.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return env, nil
}

// find returns the image of app, variant and builder.
func (e *e2eEnv) find(t *testing.T, app, variant, builder string) e2eImage {
	t.Helper()
	for _, im := range e.manifest.Images {
		if im.App == app && im.Variant == variant && im.Builder == builder {
			return im
		}
	}
	t.Fatalf("the e2e manifest has no %s-%s-%s image", app, variant, builder)
	return e2eImage{}
}

// pairs lists (app, builder) combinations that have both variants.
func (e *e2eEnv) pairs() [][2]string {
	seen := map[[2]string]int{}
	var out [][2]string
	for _, im := range e.manifest.Images {
		k := [2]string{im.App, im.Builder}
		if seen[k]++; seen[k] == 2 {
			out = append(out, k)
		}
	}
	return out
}

// ---------------------------------------------------------------- running

// e2eResult is one run of the binary.
type e2eResult struct {
	stdout, stderr []byte
	code           int
}

func (r e2eResult) String() string {
	return fmt.Sprintf("exit %d, stderr:\n%s", r.code, r.stderr)
}

// run runs imgdiff with args; it fails the test only if the binary cannot
// be run at all.
func (e *e2eEnv) run(t *testing.T, args ...string) e2eResult {
	t.Helper()
	r, err := e.exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *e2eEnv) exec(args ...string) (e2eResult, error) { return e.execEnv(nil, args...) }

// execEnv runs imgdiff with extra environment variables (KEY=VALUE).
func (e *e2eEnv) execEnv(env []string, args ...string) (e2eResult, error) {
	return e.execTimeout(5*time.Minute, env, args...)
}

// execTimeout is execEnv with a time limit of its own (a run that builds
// an image takes as long as the build).
func (e *e2eEnv) execTimeout(limit time.Duration, env []string, args ...string) (e2eResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := e2eResult{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.code = exit.ExitCode()
	default:
		return r, fmt.Errorf("running imgdiff %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return r, nil
}

// analyze runs `imgdiff analyze -o json [flags] ref` once per command
// line for all tests.
func (e *e2eEnv) analyze(t *testing.T, ref string, flags ...string) *analyzeReport {
	t.Helper()
	args := append(append([]string{"analyze", "-o", "json"}, flags...), ref)
	key := strings.Join(args, " ")
	e.mu.Lock()
	o := e.reports[key]
	if o == nil {
		o = &onceResult[*analyzeReport]{}
		e.reports[key] = o
	}
	e.mu.Unlock()
	o.once.Do(func() {
		r, err := e.exec(args...)
		if err != nil {
			o.err = err
			return
		}
		if r.code != 0 {
			o.err = fmt.Errorf("imgdiff %s: %s", key, r)
			return
		}
		var rep analyzeReport
		if err := json.Unmarshal(r.stdout, &rep); err != nil {
			o.err = fmt.Errorf("imgdiff %s: stdout is not the JSON report: %v\n%.2000s", key, err, r.stdout)
			return
		}
		o.v = &rep
	})
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.v
}

// ------------------------------------------------------------ the reports

// The subset of the JSON report (docs/json.md) these tests read.
type analyzeReport struct {
	SchemaVersion  int             `json:"schemaVersion"`
	Kind           string          `json:"kind"`
	Image          reportImage     `json:"image"`
	Classification *classification `json:"classification"`
	Dockerfile     *dockerfileMap  `json:"dockerfile"`
}

// dockerfileMap is the report's Dockerfile mapping (docs/json.md).
type dockerfileMap struct {
	Source    string  `json:"source"`
	MatchRate float64 `json:"matchRate"`
	Steps     []struct {
		Kind  string `json:"kind"`
		Start int    `json:"startLine"`
		End   int    `json:"endLine"`
	} `json:"steps"`
	Warnings []string `json:"warnings"`
	Findings []struct {
		ID    string `json:"id"`
		Lines struct {
			Start int `json:"start"`
			End   int `json:"end"`
		} `json:"lines"`
		Bytes int64 `json:"bytes"`
	} `json:"findings"`
}

type reportImage struct {
	Ref            string        `json:"ref"`
	Transport      string        `json:"transport"`
	Platform       string        `json:"platform"`
	Digest         string        `json:"digest"`
	Size           int64         `json:"size"`
	CompressedSize int64         `json:"compressedSize"`
	Wasted         int64         `json:"wasted"`
	Files          int           `json:"files"`
	Layers         []reportLayer `json:"layers"`
	Steps          []reportStep  `json:"steps"`
}

type reportLayer struct {
	Index          int    `json:"index"`
	DiffID         string `json:"diffID"`
	Digest         string `json:"digest"`
	Size           int64  `json:"size"`
	CompressedSize int64  `json:"compressedSize"`
	Files          int    `json:"files"`
	Step           int    `json:"step"`
}

type reportStep struct {
	Index      int    `json:"index"`
	CreatedBy  string `json:"createdBy"`
	EmptyLayer bool   `json:"emptyLayer"`
	Layer      int    `json:"layer"`
	Synthetic  bool   `json:"synthetic"`
	Size       int64  `json:"size"`
}

type classification struct {
	Categories []categoryTotal `json:"categories"`
	Verdict    string          `json:"verdict"`
	Packages   []pkgInfo       `json:"packages"`
}

type categoryTotal struct {
	Category string `json:"category"`
	Bytes    int64  `json:"bytes"`
	Files    int    `json:"files"`
}

type pkgInfo struct {
	Location string `json:"location"`
	Files    int    `json:"files"`
	Name     string `json:"name"`
	Manager  string `json:"manager"`
	Dev      bool   `json:"dev"`
	Category string `json:"category"`
	Evidence string `json:"evidence"`
	Bytes    int64  `json:"bytes"`
}

type compareReport struct {
	SchemaVersion int         `json:"schemaVersion"`
	Kind          string      `json:"kind"`
	A             reportImage `json:"a"`
	B             reportImage `json:"b"`
	Delta         struct {
		Size           int64 `json:"size"`
		CompressedSize int64 `json:"compressedSize"`
	} `json:"delta"`
	Packages []struct {
		Name     string `json:"name"`
		Manager  string `json:"manager"`
		Category string `json:"category"`
		Delta    int64  `json:"delta"`
	} `json:"packages"`
	Decomposition struct {
		Terms []struct {
			Name   string `json:"name"`
			Bytes  int64  `json:"bytes"`
			Detail string `json:"detail"`
		} `json:"terms"`
		Epsilon      int64 `json:"epsilon"`
		EpsilonParts struct {
			OnlyB   int64 `json:"onlyB"`
			GrownB  int64 `json:"grownB"`
			HiddenB int64 `json:"hiddenB"`
		} `json:"epsilonParts"`
		Total        int64  `json:"total"`
		BaseSource   string `json:"baseSource"`
		BaseDetail   string `json:"baseDetail"`
		CommonLayers int    `json:"commonLayers"`
		OtherGroups  []struct {
			Name  string `json:"name"`
			Bytes int64  `json:"bytes"`
		} `json:"otherGroups"`
	} `json:"decomposition"`
}

// term returns the bytes of the decomposition term name.
func (c *compareReport) term(name string) int64 {
	for _, t := range c.Decomposition.Terms {
		if t.Name == name {
			return t.Bytes
		}
	}
	return 0
}

// --------------------------------------------------------- ground truth

// groundTruth is what Docker and the registry say about one image.
//
// Content sizes: imgdiff counts, as documented, regular file bytes plus
// symlink target lengths (hard links once), which is what Docker 20.10
// reports for every layer it commits itself (legacy builder, docker
// import). For the layers BuildKit hands it, though, dockerd records the
// tar's regular-file bytes only, without the symlink targets: the same
// content built by the two builders gets sizes that differ by those bytes
// (the Go toolchain's apt layer: 477,719,086 legacy, 477,718,899 BuildKit,
// 187 bytes of 9 symlinks). So the expected figure of each layer is its
// tar's content counted as documented, and readTruth requires Docker's to
// equal it, or, for a BuildKit image only, to equal it less exactly that
// layer's symlink bytes. Anything else fails the test.
type groundTruth struct {
	size       int64  // expected content size: Σ layers
	dockerSize int64  // docker image inspect .Size
	platform   string // .Os/.Architecture
	// history is the expected size per config history entry, oldest first
	// (docker history's rows, reconciled as above); empty marks the
	// entries the config says own no layer.
	history []int64
	empty   []bool
	diffIDs []string // config rootfs.diff_ids
	// layerSizes are the expected sizes of the non-empty entries: the
	// per-layer figures, in layer order.
	layerSizes []int64
	// symlinkOnly lists the layers whose docker history figure leaves out
	// their symlink target bytes (BuildKit-made).
	symlinkOnly []int
	registry    manifestInfo // docker push (BuildKit images, gzip) or skopeo (legacy, zstd)
	oci         manifestInfo // copied by skopeo from the registry
}

// manifestInfo is a manifest's digest and its layer blobs.
type manifestInfo struct {
	digest string
	layers []blob
}

type blob struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

func (m manifestInfo) total() int64 {
	var n int64
	for _, l := range m.layers {
		n += l.Size
	}
	return n
}

func (e *e2eEnv) truth(t *testing.T, im e2eImage) *groundTruth {
	t.Helper()
	e.mu.Lock()
	o := e.truths[im.Tag]
	if o == nil {
		o = &onceResult[*groundTruth]{}
		e.truths[im.Tag] = o
	}
	e.mu.Unlock()
	o.once.Do(func() { o.v, o.err = e.readTruth(im) })
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.v
}

func (e *e2eEnv) readTruth(im e2eImage) (*groundTruth, error) {
	var g groundTruth
	out, err := e.dockerOut("image", "inspect", "-f", "{{.Size}} {{.Os}}/{{.Architecture}}", im.Tag)
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Sscan(out, &g.dockerSize, &g.platform); err != nil {
		return nil, fmt.Errorf("docker image inspect %s: %q: %w", im.Tag, out, err)
	}

	out, err = e.dockerOut("history", "--no-trunc", "--human=false", "--format", "{{.Size}}", im.Tag)
	if err != nil {
		return nil, err
	}
	rows := strings.Fields(out)
	var docker []int64
	var dockerSum int64
	for i := len(rows) - 1; i >= 0; i-- { // docker history is newest first
		n, err := strconv.ParseInt(rows[i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("docker history %s: row %q: %w", im.Tag, rows[i], err)
		}
		docker = append(docker, n)
		dockerSum += n
	}
	if dockerSum != g.dockerSize {
		return nil, fmt.Errorf("%s: docker history adds up to %d, docker image inspect says %d", im.Tag, dockerSum, g.dockerSize)
	}

	arc, err := readArchive(im.Archive)
	if err != nil {
		return nil, err
	}
	cfg := arc.config
	if len(cfg.History) != len(docker) {
		return nil, fmt.Errorf("%s: docker history has %d rows, the config %d entries", im.Tag, len(docker), len(cfg.History))
	}
	g.diffIDs = cfg.RootFS.DiffIDs
	if len(arc.layers) != len(g.diffIDs) {
		return nil, fmt.Errorf("%s: the archive has %d layers, the config %d diff_ids", im.Tag, len(arc.layers), len(g.diffIDs))
	}
	for i, h := range cfg.History {
		g.empty = append(g.empty, h.EmptyLayer)
		if h.EmptyLayer {
			g.history = append(g.history, docker[i])
			continue
		}
		k := len(g.layerSizes)
		if k >= len(arc.layers) {
			return nil, fmt.Errorf("%s: more non-empty history entries than the %d layers", im.Tag, len(arc.layers))
		}
		st := arc.layers[k]
		want := st.regular + st.symlinks
		switch {
		case docker[i] == want:
		case im.Builder == "buildkit" && st.symlinks > 0 && docker[i] == st.regular:
			g.symlinkOnly = append(g.symlinkOnly, k)
		default:
			return nil, fmt.Errorf("%s: docker history says %d bytes for layer %d (%.60s); its tar holds %d bytes of files and %d of symlink targets",
				im.Tag, docker[i], k, h.CreatedBy, st.regular, st.symlinks)
		}
		g.history = append(g.history, want)
		g.layerSizes = append(g.layerSizes, want)
		g.size += want
	}
	if len(g.layerSizes) != len(g.diffIDs) {
		return nil, fmt.Errorf("%s: %d non-empty history entries for %d layers", im.Tag, len(g.layerSizes), len(g.diffIDs))
	}
	if im.Builder == "legacy" && g.size != g.dockerSize {
		return nil, fmt.Errorf("%s: the layer tars hold %d bytes, docker image inspect says %d", im.Tag, g.size, g.dockerSize)
	}

	repo, tag, _ := strings.Cut(im.Tag, ":")
	if g.registry, err = registryManifest(e.manifest.Registry, repo, tag); err != nil {
		return nil, err
	}
	if g.oci, err = ociManifest(e.manifest.OCILayout, im.OCITag); err != nil {
		return nil, err
	}
	for _, m := range []manifestInfo{g.registry, g.oci} {
		if len(m.layers) != len(g.diffIDs) {
			return nil, fmt.Errorf("%s: manifest %s has %d layers, the config %d", im.Tag, m.digest, len(m.layers), len(g.diffIDs))
		}
	}
	return &g, nil
}

func (e *e2eEnv) dockerOut(args ...string) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(e.docker, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", e.docker, strings.Join(args, " "), err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

type imageConfig struct {
	History []struct {
		CreatedBy  string `json:"created_by"`
		EmptyLayer bool   `json:"empty_layer"`
	} `json:"history"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// layerStat is what one layer tar holds: regular file bytes (a hard link
// is a header of size 0, so each file counts once) and symlink target
// bytes.
type layerStat struct{ regular, symlinks int64 }

// archive is what the test reads from a docker save archive: the config
// (the only place the per-entry empty_layer flags are visible from
// outside) and each layer's content, counted with archive/tar.
type archive struct {
	config *imageConfig
	layers []layerStat // in manifest (bottom-first) order
}

// readArchive reads a docker save archive of one image, in either layout.
// The first pass seeks past the layer bodies to find manifest.json (last in
// Docker 20.10's archives); the second reads the layers it lists.
func readArchive(path string) (*archive, error) {
	var manifest []struct {
		Config string
		Layers []string
	}
	files, err := tarFiles(path, func(h *tar.Header) bool { return strings.HasSuffix(h.Name, ".json") && h.Size < 1<<20 })
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		return nil, fmt.Errorf("%s: manifest.json: want one image (%v)", path, err)
	}
	var cfg imageConfig
	if err := json.Unmarshal(files[manifest[0].Config], &cfg); err != nil {
		return nil, fmt.Errorf("%s: config %s: %w", path, manifest[0].Config, err)
	}

	stats := map[string]layerStat{}
	alias := map[string]string{} // old layout: a repeated layer is a symlink to the first
	err = walkTarFile(path, func(h *tar.Header, body io.Reader) error {
		switch {
		case h.Typeflag == tar.TypeSymlink:
			alias[h.Name] = filepath.ToSlash(filepath.Join(filepath.Dir(h.Name), h.Linkname))
		case h.Typeflag == tar.TypeReg && (strings.HasSuffix(h.Name, "/layer.tar") || strings.HasPrefix(h.Name, "blobs/")):
			if !slices.Contains(manifest[0].Layers, h.Name) {
				return nil
			}
			st, err := countLayer(body)
			if err != nil {
				return fmt.Errorf("layer %s: %w", h.Name, err)
			}
			stats[h.Name] = st
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	arc := &archive{config: &cfg}
	for _, l := range manifest[0].Layers {
		if a, ok := alias[l]; ok {
			l = a
		}
		st, ok := stats[l]
		if !ok {
			return nil, fmt.Errorf("%s: layer %s is not in the archive (or not an uncompressed tar)", path, l)
		}
		arc.layers = append(arc.layers, st)
	}
	return arc, nil
}

func countLayer(r io.Reader) (layerStat, error) {
	var st layerStat
	err := imagetest.ReadTar(r, func(h *tar.Header, _ io.Reader) error {
		switch h.Typeflag {
		case tar.TypeReg:
			st.regular += h.Size
		case tar.TypeSymlink:
			st.symlinks += int64(len(h.Linkname))
		}
		return nil
	})
	return st, err
}

// tarFiles returns the bodies of the files in a tar that want selects.
func tarFiles(path string, want func(*tar.Header) bool) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := walkTarFile(path, func(h *tar.Header, body io.Reader) error {
		if h.Typeflag != tar.TypeReg || !want(h) {
			return nil
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
		files[h.Name] = b
		return nil
	})
	return files, err
}

// walkTarFile is imagetest.ReadTar over the tar file at path.
func walkTarFile(path string, fn func(h *tar.Header, body io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := imagetest.ReadTar(f, fn); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

type manifestJSON struct {
	MediaType string `json:"mediaType"`
	Layers    []blob `json:"layers"`
}

// registryManifest fetches the manifest the registry stored, as a pull
// would see it.
func registryManifest(registry, repo, tag string) (manifestInfo, error) {
	url := fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, tag)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return manifestInfo{}, err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return manifestInfo{}, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return manifestInfo{}, fmt.Errorf("GET %s: %s %v", url, resp.Status, err)
	}
	return parseManifest(url, body)
}

// ociManifest reads the manifest tagged tag from an OCI layout.
func ociManifest(layout, tag string) (manifestInfo, error) {
	data, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		return manifestInfo{}, err
	}
	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		return manifestInfo{}, fmt.Errorf("%s/index.json: %w", layout, err)
	}
	for _, m := range index.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] != tag {
			continue
		}
		alg, hexd, _ := strings.Cut(m.Digest, ":")
		body, err := os.ReadFile(filepath.Join(layout, "blobs", alg, hexd))
		if err != nil {
			return manifestInfo{}, err
		}
		return parseManifest(layout+":"+tag, body)
	}
	return manifestInfo{}, fmt.Errorf("%s: no manifest tagged %q", layout, tag)
}

func parseManifest(where string, body []byte) (manifestInfo, error) {
	var m manifestJSON
	if err := json.Unmarshal(body, &m); err != nil {
		return manifestInfo{}, fmt.Errorf("%s: manifest: %w", where, err)
	}
	if len(m.Layers) == 0 {
		return manifestInfo{}, fmt.Errorf("%s: manifest of type %q lists no layers", where, m.MediaType)
	}
	sum := sha256.Sum256(body)
	return manifestInfo{digest: "sha256:" + hex.EncodeToString(sum[:]), layers: m.Layers}, nil
}

// ------------------------------------------------------------------ tests

// TestE2EAnalyze reads every image through every transport and checks the
// figures against Docker's and the registry's to the byte, and the
// transports against each other.
func TestE2EAnalyze(t *testing.T) {
	env := setup(t)
	for _, im := range env.manifest.Images {
		t.Run(im.name(), func(t *testing.T) {
			t.Parallel()
			g := env.truth(t, im)
			if len(g.symlinkOnly) > 0 {
				t.Logf("docker image inspect %d, docker history leaves out the symlink target bytes of BuildKit layers %v; expecting %d", g.dockerSize, g.symlinkOnly, g.size)
			}
			var first *reportImage
			// --no-cache: every transport really reads its layers (the
			// cache is keyed by layer, so the daemon and the archive
			// would share entries).
			for _, tr := range env.refs(im) {
				t.Run(tr.name, func(t *testing.T) {
					rep := env.analyze(t, tr.ref, "--no-cache")
					checkAnalyze(t, tr, g, rep)
					if first == nil {
						first = &rep.Image
					} else {
						checkSameFigures(t, first, &rep.Image)
					}
				})
			}
			// With the layer cache: the second run reads the indexes the
			// first wrote (in the test's own XDG_CACHE_HOME) and must give
			// the same figures.
			t.Run("cached", func(t *testing.T) {
				ref := "docker-archive:" + im.Archive
				r1, err := env.exec("analyze", "-o", "json", ref)
				if err != nil {
					t.Fatal(err)
				}
				rep := env.analyze(t, ref) // the second run, memoized for TestE2EClassify
				if r1.code != 0 {
					t.Fatalf("first run: %s", r1)
				}
				var rep1 analyzeReport
				if err := json.Unmarshal(r1.stdout, &rep1); err != nil {
					t.Fatal(err)
				}
				checkAnalyze(t, transportRef{"cached", ref, "docker-archive"}, g, rep)
				checkSameFigures(t, &rep1.Image, &rep.Image)
			})
		})
	}
}

func checkAnalyze(t *testing.T, tr transportRef, g *groundTruth, rep *analyzeReport) {
	t.Helper()
	img := &rep.Image
	if rep.SchemaVersion != 1 || rep.Kind != "analyze" {
		t.Errorf("schemaVersion %d kind %q, want 1 and analyze", rep.SchemaVersion, rep.Kind)
	}
	if img.Transport != tr.transport {
		t.Errorf("transport: imgdiff says %q, want %q", img.Transport, tr.transport)
	}
	if img.Platform != g.platform {
		t.Errorf("platform: imgdiff says %q, docker image inspect %q", img.Platform, g.platform)
	}
	if img.Size != g.size {
		t.Errorf("size: imgdiff %d, want %d (docker image inspect %d; BuildKit layers whose symlinks docker leaves out: %v) (off by %+d)",
			img.Size, g.size, g.dockerSize, g.symlinkOnly, img.Size-g.size)
	}

	// Layers: size as docker history, diffID as the config.
	if len(img.Layers) != len(g.layerSizes) {
		t.Fatalf("imgdiff lists %d layers, the image has %d", len(img.Layers), len(g.layerSizes))
	}
	var sum int64
	for i, l := range img.Layers {
		if l.Size != g.layerSizes[i] {
			t.Errorf("layer %d size: imgdiff %d, docker history (reconciled) %d (off by %+d)", i, l.Size, g.layerSizes[i], l.Size-g.layerSizes[i])
		}
		if l.DiffID != g.diffIDs[i] {
			t.Errorf("layer %d diffID: imgdiff %s, config %s", i, l.DiffID, g.diffIDs[i])
		}
		sum += l.Size
	}
	if sum != img.Size {
		t.Errorf("layer sizes add up to %d, the image size is %d", sum, img.Size)
	}

	// Steps: one per history entry, sized as docker history's rows.
	if len(img.Steps) != len(g.history) {
		t.Errorf("imgdiff lists %d steps, docker history %d rows", len(img.Steps), len(g.history))
	} else {
		sum = 0
		for i, s := range img.Steps {
			if s.Synthetic {
				t.Errorf("step %d is synthetic, but the image's history matches its layers", i)
			}
			if s.EmptyLayer != g.empty[i] {
				t.Errorf("step %d (%.60s) emptyLayer: imgdiff %v, config %v", i, s.CreatedBy, s.EmptyLayer, g.empty[i])
			}
			if s.Size != g.history[i] {
				t.Errorf("step %d (%.60s) size: imgdiff %d, docker history (reconciled) %d (off by %+d)", i, s.CreatedBy, s.Size, g.history[i], s.Size-g.history[i])
			}
			sum += s.Size
		}
		if sum != img.Size {
			t.Errorf("step sizes add up to %d, the image size is %d", sum, img.Size)
		}
	}

	// Compressed sizes: the manifest's blob sizes where the source has
	// blobs; unknown (-1) where it holds layers uncompressed (Docker 20.10's
	// docker save, which the daemon transport reads too).
	var m *manifestInfo
	switch tr.transport {
	case "docker":
		m = &g.registry
	case "oci":
		m = &g.oci
	}
	if m == nil {
		if img.CompressedSize != -1 {
			t.Errorf("compressedSize %d from an archive of uncompressed layers, want -1 (unknown)", img.CompressedSize)
		}
		return
	}
	if img.Digest != m.digest {
		t.Errorf("digest: imgdiff %s, manifest %s", img.Digest, m.digest)
	}
	if img.CompressedSize != m.total() {
		t.Errorf("compressedSize: imgdiff %d, manifest layers %d (off by %+d)", img.CompressedSize, m.total(), img.CompressedSize-m.total())
	}
	for i, l := range img.Layers {
		if i >= len(m.layers) {
			break
		}
		if want := m.layers[i]; l.CompressedSize != want.Size || l.Digest != want.Digest {
			t.Errorf("layer %d blob: imgdiff %s %d bytes, manifest %s %d bytes", i, l.Digest, l.CompressedSize, want.Digest, want.Size)
		}
	}
}

// checkSameFigures: every transport gives the same content figures as the
// first (the daemon).
func checkSameFigures(t *testing.T, want, got *reportImage) {
	t.Helper()
	if got.Size != want.Size || got.Files != want.Files {
		t.Errorf("size %d, %d files; via %s: %d, %d files", got.Size, got.Files, want.Transport, want.Size, want.Files)
	}
	if len(got.Layers) != len(want.Layers) {
		t.Errorf("%d layers; via %s: %d", len(got.Layers), want.Transport, len(want.Layers))
		return
	}
	for i := range got.Layers {
		g, w := got.Layers[i], want.Layers[i]
		if g.DiffID != w.DiffID || g.Size != w.Size || g.Files != w.Files || g.Step != w.Step {
			t.Errorf("layer %d: %s %d bytes %d files step %d; via %s: %s %d bytes %d files step %d",
				i, g.DiffID, g.Size, g.Files, g.Step, want.Transport, w.DiffID, w.Size, w.Files, w.Step)
		}
	}
	if len(got.Steps) != len(want.Steps) {
		t.Errorf("%d steps; via %s: %d", len(got.Steps), want.Transport, len(want.Steps))
		return
	}
	for i := range got.Steps {
		if g, w := got.Steps[i], want.Steps[i]; g.Size != w.Size || g.CreatedBy != w.CreatedBy {
			t.Errorf("step %d: %d bytes %.60q; via %s: %d bytes %.60q", i, g.Size, g.CreatedBy, want.Transport, w.Size, w.CreatedBy)
		}
	}
}

// TestE2ECompare compares each single-stage image with its multi-stage
// counterpart, from the archives and from the registry.
func TestE2ECompare(t *testing.T) {
	env := setup(t)
	for _, p := range env.pairs() {
		app, builder := p[0], p[1]
		single, multi := env.find(t, app, "single", builder), env.find(t, app, "multi", builder)
		t.Run(app+"-"+builder, func(t *testing.T) {
			t.Parallel()
			gs, gm := env.truth(t, single), env.truth(t, multi)
			for _, tr := range []struct{ name, a, b string }{
				{"docker-archive", "docker-archive:" + single.Archive, "docker-archive:" + multi.Archive},
				{"registry", "docker://" + env.manifest.Registry + "/" + single.Tag, "docker://" + env.manifest.Registry + "/" + multi.Tag},
			} {
				t.Run(tr.name, func(t *testing.T) {
					r := env.run(t, "compare", "-o", "json", tr.a, tr.b)
					if r.code != 0 {
						t.Fatalf("imgdiff compare -o json %s %s: %s", tr.a, tr.b, r)
					}
					var c compareReport
					if err := json.Unmarshal(r.stdout, &c); err != nil {
						t.Fatalf("stdout is not the JSON report: %v\n%.2000s", err, r.stdout)
					}
					checkCompare(t, tr.name, &c, gs, gm)
					checkExplained(t, env, app, single, &c)
					checkOtherShare(t, app, &c, gs)
					if tr.name == "docker-archive" {
						checkSnapshotCompare(t, env, tr.a, tr.b, r.stdout)
					}
					checkBaseTerm(t, app, &c, "")
				})
			}
			// With the Dockerfiles mapped, the base is the FROM line's
			// entries, and the figures hold the same: for every pair,
			// whatever its base and package family (issue 23).
			t.Run("dockerfile", func(t *testing.T) {
				df := func(v string) string {
					return filepath.Join("..", "..", "testdata", "dockerfiles", app, "Dockerfile."+v)
				}
				r := env.run(t, "compare", "-o", "json", "docker-archive:"+single.Archive, "docker-archive:"+multi.Archive,
					"--dockerfile-a", df("single"), "--dockerfile-b", df("multi"))
				if r.code != 0 {
					t.Fatalf("imgdiff compare --dockerfile-a/-b: %s", r)
				}
				var c compareReport
				if err := json.Unmarshal(r.stdout, &c); err != nil {
					t.Fatalf("stdout is not the JSON report: %v\n%.2000s", err, r.stdout)
				}
				checkCompare(t, "docker-archive", &c, gs, gm)
				checkExplained(t, env, app, single, &c)
				checkOtherShare(t, app, &c, gs)
				checkBaseTerm(t, app, &c, "dockerfile")
			})
		})
	}
}

// checkSnapshotCompare: `compare snapshot:A B`, A's snapshot taken by
// `analyze A --snapshot`, reports every figure of `compare A B`; only the
// name of A differs (it is the snapshot's, which records A's).
func checkSnapshotCompare(t *testing.T, env *e2eEnv, a, b string, want []byte) {
	t.Helper()
	snap := filepath.Join(t.TempDir(), "a.snap")
	if r := env.run(t, "analyze", "-o", "json", "--snapshot", snap, a); r.code != 0 {
		t.Fatalf("imgdiff analyze --snapshot %s: %s", a, r)
	}
	r := env.run(t, "compare", "-o", "json", "snapshot:"+snap, b)
	if r.code != 0 {
		t.Fatalf("imgdiff compare snapshot:%s %s: %s", snap, b, r)
	}
	var w, g map[string]any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(r.stdout, &g); err != nil {
		t.Fatal(err)
	}
	ga, _ := g["a"].(map[string]any)
	sn, _ := ga["snapshot"].(map[string]any)
	if ga["ref"] != "snapshot:"+snap || ga["transport"] != "snapshot" || sn["ref"] != a || sn["created"] == nil {
		t.Fatalf("A is %v (%v), snapshot %v: want snapshot:%s of %s", ga["ref"], ga["transport"], sn, snap, a)
	}
	wa, _ := w["a"].(map[string]any)
	ga["ref"], ga["transport"] = wa["ref"], wa["transport"]
	delete(ga, "snapshot")
	wj, _ := json.MarshalIndent(w, "", " ")
	gj, _ := json.MarshalIndent(g, "", " ")
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	if gs := strings.ReplaceAll(string(gj), q("snapshot:"+snap), q(a)); gs != string(wj) {
		wl, gl := strings.Split(string(wj), "\n"), strings.Split(gs, "\n")
		for i := 0; i < min(len(wl), len(gl)); i++ {
			if wl[i] != gl[i] {
				t.Fatalf("compare from A's snapshot differs from compare of the images at line %d:\n- %s\n+ %s", i, wl[i], gl[i])
			}
		}
		t.Fatalf("compare from A's snapshot differs from compare of the images: %d lines, want %d", len(gl), len(wl))
	}
	if fi, err := os.Stat(snap); err == nil {
		t.Logf("snapshot of %s: %d bytes; compare from it equals compare of the images", a, fi.Size())
	}
}

func checkCompare(t *testing.T, transport string, c *compareReport, gs, gm *groundTruth) {
	t.Helper()
	if c.SchemaVersion != 1 || c.Kind != "compare" {
		t.Errorf("schemaVersion %d kind %q, want 1 and compare", c.SchemaVersion, c.Kind)
	}
	if c.A.Size != gs.size || c.B.Size != gm.size {
		t.Errorf("sizes: imgdiff %d and %d, docker image inspect %d and %d", c.A.Size, c.B.Size, gs.size, gm.size)
	}
	if want := gs.size - gm.size; c.Delta.Size != want {
		t.Errorf("ΔS: imgdiff %d, want %d − %d = %d (docker image inspect: %d − %d) (off by %+d)",
			c.Delta.Size, gs.size, gm.size, want, gs.dockerSize, gm.dockerSize, c.Delta.Size-want)
	}
	d := c.Decomposition
	var terms int64
	names := make([]string, 0, len(d.Terms))
	for _, term := range d.Terms {
		terms += term.Bytes
		names = append(names, fmt.Sprintf("%s %d", term.Name, term.Bytes))
	}
	if terms-d.Epsilon != c.Delta.Size {
		t.Errorf("decomposition: terms (%s) add up to %d, minus ε %d = %d; ΔS is %d",
			strings.Join(names, ", "), terms, d.Epsilon, terms-d.Epsilon, c.Delta.Size)
	}
	if d.Total != c.Delta.Size {
		t.Errorf("decomposition total %d, ΔS %d", d.Total, c.Delta.Size)
	}
	if p := d.EpsilonParts; p.OnlyB+p.GrownB+p.HiddenB != d.Epsilon {
		t.Errorf("ε parts %d + %d + %d ≠ ε %d", p.OnlyB, p.GrownB, p.HiddenB, d.Epsilon)
	}
	if transport == "registry" {
		if c.A.Transport != "docker" || c.B.Transport != "docker" {
			t.Errorf("transports %q and %q, want docker", c.A.Transport, c.B.Transport)
		}
		if want := gs.registry.total() - gm.registry.total(); c.Delta.CompressedSize != want {
			t.Errorf("compressed ΔS: imgdiff %d, manifests %d − %d = %d", c.Delta.CompressedSize, gs.registry.total(), gm.registry.total(), want)
		}
	}
}

// ------------------------------------------------------- classification

// toolchains are the dpkg packages each single-stage image installs only
// to build: the "toolchain packages", named here rather than taken
// from imgdiff so the test can tell when imgdiff misses one.
var toolchains = map[string][]string{
	"go":        {"golang-1.19-go", "golang-1.19-src"},
	"goscratch": {"golang-1.19-go", "golang-1.19-src"},
	"c": {"gcc-12", "cpp-12", "g++-12", "binutils-x86-64-linux-gnu", "libc6-dev",
		"libgcc-12-dev", "libstdc++-12-dev", "linux-libc-dev", "make"},
	// python3-dev and gcc, with what they pull in only to compile.
	"python": {"python3-dev", "python3.11-dev", "libpython3.11-dev", "libpython3-dev",
		"gcc-12", "cpp-12", "gcc", "binutils-x86-64-linux-gnu", "libc6-dev", "libgcc-12-dev",
		"linux-libc-dev", "libexpat1-dev", "zlib1g-dev"},
	"java": {"openjdk-17-jdk-headless"},
}

// devTools are the dpkg packages a single-stage image installs only to run
// its tests: dev-dependency.
var devTools = map[string][]string{
	"python": {"python3-pytest", "python3-pluggy", "python3-iniconfig", "python3-py"},
}

// requiredRuntimes are the runtime packages every image of the app holds:
// listed by imgdiff, never flagged, their bytes as dpkg's file lists say.
var requiredRuntimes = map[string][]string{
	"python": {"libc6", "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "python3.11"},
	"java":   {"libc6", "openjdk-17-jre-headless", "ca-certificates", "ca-certificates-java", "java-common"},
}

// runtimes are packages a final image needs: never flagged.
var runtimes = map[string][]string{
	"go":        {"libc6"},
	"goscratch": {"libc6"},
	"c":         {"libc6"},
	"node":      {"libc6", "nodejs", "libnode108", "ca-certificates"},
	"python": {"libc6", "python3", "python3-minimal", "python3.11", "python3.11-minimal",
		"libpython3.11-minimal", "libpython3.11-stdlib", "libpython3-stdlib", "ca-certificates"},
	"java": {"libc6", "openjdk-17-jre-headless", "ca-certificates", "ca-certificates-java", "java-common"},
}

// sources are the app's own source files: flagged source in the
// single-stage image, absent from the multi-stage one.
var sources = map[string][]string{
	"go":        {"main.go", "main_test.go"},
	"goscratch": {"main.go", "main_test.go"},
	"c":         {"wordfreq.c"},
	"node":      {"src/app.ts", "src/server.ts", "test/app.test.js"},
	// Python files of the app are its program; its C source and tests
	// are not.
	"python": {"src/wordstats/_speedups.c", "tests/test_wordstats.py"},
	"java":   {"src/main/java/Main.java", "src/test/java/MainTest.java"},
}

// inContainer runs a shell script in a throwaway container of image, as
// root and without network, and returns its stdout: the kernel's view of
// the final filesystem, independent of how imgdiff reads layer tars.
func (e *e2eEnv) inContainer(image, script string) (string, error) {
	return e.dockerOut("run", "--rm", "--network", "none", "--user", "0",
		"--entrypoint", "/bin/sh", image, "-c", script)
}

// dpkgSize is what a package's dpkg file list owns in an image.
type dpkgSize struct {
	files int64 // lstat sizes of everything listed but directories, each inode once
	// links are the sizes of the merged-/usr links (/lib -> usr/lib, ...)
	// the list names: directories in the package's .deb, links made by
	// the base system on disk. Whether they count as the package's bytes
	// is a matter of attribution, so a package's figure may include any
	// of them.
	links []int64
}

// matches reports whether got is the package's size: its files plus some
// of its merged-/usr links.
func (d dpkgSize) matches(got int64) bool {
	for mask := 0; mask < 1<<len(d.links); mask++ {
		n := d.files
		for i, l := range d.links {
			if mask&(1<<i) != 0 {
				n += l
			}
		}
		if n == got {
			return true
		}
	}
	return false
}

// dpkgBytes returns the content size of each package's files as Docker
// counts it.
func (e *e2eEnv) dpkgBytes(image string, pkgs []string) (map[string]dpkgSize, error) {
	const script = `alias='/(bin|sbin|lib|lib32|lib64|libx32)'
for p in "$@"; do
  dpkg -L "$p" >/dev/null 2>&1 || { echo "$p missing"; continue; }
  dpkg -L "$p" | grep -vxE "$alias" |
    xargs -d '\n' stat -c '%i %s %F' 2>/dev/null |
    awk -v p="$p" '$3 != "directory" && !seen[$1]++ {n += $2} END {print p, n + 0}'
  for l in $(dpkg -L "$p" | grep -xE "$alias"); do
    [ -L "$l" ] && echo "$p link $(stat -c %s "$l")"
  done
done`
	out, err := e.dockerOut(append([]string{"run", "--rm", "--network", "none", "--user", "0",
		"--entrypoint", "/bin/sh", image, "-c", script, "sh"}, pkgs...)...)
	if err != nil {
		return nil, err
	}
	sizes := map[string]dpkgSize{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == "missing" {
			return nil, fmt.Errorf("%s: package %s is not installed", image, f[0])
		}
		var v int64
		var err error
		switch len(f) {
		case 2:
			v, err = strconv.ParseInt(f[1], 10, 64)
		case 3:
			if f[1] == "link" {
				v, err = strconv.ParseInt(f[2], 10, 64)
				break
			}
			fallthrough
		default:
			err = errors.New("unexpected")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: dpkg sizes: line %q", image, line)
		}
		d := sizes[f[0]]
		if len(f) == 3 {
			d.links = append(d.links, v)
		} else {
			d.files = v
		}
		sizes[f[0]] = d
	}
	return sizes, nil
}

// npmDevBytes returns, for the app in /app, the npm packages its installed
// lockfile (node_modules/.package-lock.json) marks dev, each with its
// content size (nested node_modules excluded: they are entries of their
// own).
func (e *e2eEnv) npmDevBytes(image string) (map[string]int64, error) {
	const script = `cd /app && node -e '
const fs = require("fs"), path = require("path");
const lock = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8"));
const out = {};
for (const [p, meta] of Object.entries(lock.packages)) {
  if (!meta.dev || !fs.existsSync(p)) continue;
  const seen = new Set(); let n = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d)) {
      const f = path.join(d, e), st = fs.lstatSync(f);
      if (st.isDirectory()) { if (e !== "node_modules") walk(f); continue; }
      if (!seen.has(st.ino)) { seen.add(st.ino); n += st.size; }
    }
  };
  walk(p); out[p] = n;
}
console.log(JSON.stringify(out));'`
	out, err := e.inContainer(image, script)
	if err != nil {
		return nil, err
	}
	sizes := map[string]int64{}
	if err := json.Unmarshal([]byte(out), &sizes); err != nil {
		return nil, fmt.Errorf("%s: npm dev sizes: %v: %.500s", image, err, out)
	}
	return sizes, nil
}

func (c *classification) category(name string) int64 {
	for _, ct := range c.Categories {
		if ct.Category == name {
			return ct.Bytes
		}
	}
	return 0
}

// flaggedCategories are the categories a final image should not carry
// (docs are informational, other is unflagged).
var flaggedCategories = []string{"build-tool", "source", "dev-dependency", "recommended", "cache", "vcs", "secret"}

// TestE2EClassify checks what imgdiff flags in each image against what
// the image's own package databases and lockfile say, read live in a
// container.
func TestE2EClassify(t *testing.T) {
	env := setup(t)
	for _, im := range env.manifest.Images {
		t.Run(im.name(), func(t *testing.T) {
			t.Parallel()
			rep := env.analyze(t, "docker-archive:"+im.Archive)
			c := rep.Classification
			if c == nil {
				t.Fatal("the report has no classification")
			}
			var catSum int64
			for _, ct := range c.Categories {
				catSum += ct.Bytes
			}
			if want := rep.Image.Size - rep.Image.Wasted; catSum != want {
				t.Errorf("categories add up to %d, the final filesystem holds %d (size %d − wasted %d)", catSum, want, rep.Image.Size, rep.Image.Wasted)
			}
			pkgs := map[string]pkgInfo{}
			for _, p := range c.Packages {
				pkgs[p.Manager+":"+p.Name] = p
			}
			for _, name := range runtimes[im.App] {
				p, ok := pkgs["dpkg:"+name]
				if !ok {
					continue // not every runtime is in every image (ca-certificates)
				}
				for _, f := range flaggedCategories {
					if p.Category == f {
						t.Errorf("runtime package %s is flagged %s (%s)", name, p.Category, p.Evidence)
					}
				}
			}
			// The runtime packages the app cannot run without are in
			// imgdiff's package list, unflagged, with every byte their
			// dpkg file list owns (so none of their files went to a
			// flagged category, nor to another package).
			checkDpkgPackages(t, env, im, pkgs, "runtime package", requiredRuntimes[im.App], "")
			if im.Variant == "single" {
				checkSingleClassified(t, env, im, rep, pkgs)
			} else {
				checkMultiClassified(t, im, rep)
			}
		})
	}
}

// checkDpkgPackages: each dpkg package of names (what they are to the
// app) is in imgdiff's package list, of category want ("" unflagged),
// with every byte its dpkg file list owns. It returns the bytes their
// file lists own, and the bytes imgdiff gives those it puts in want.
func checkDpkgPackages(t *testing.T, env *e2eEnv, im e2eImage, pkgs map[string]pkgInfo, what string, names []string, want string) (owned, got int64) {
	t.Helper()
	if len(names) == 0 {
		return 0, 0
	}
	truth, err := env.dpkgBytes(im.Tag, names)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		owned += truth[name].files
		p, ok := pkgs["dpkg:"+name]
		switch {
		case !ok:
			t.Errorf("%s %s (%d bytes) is not in imgdiff's package list", what, name, truth[name].files)
		case p.Category != want:
			t.Errorf("%s %s: category %q (%s), want %q", what, name, p.Category, p.Evidence, want)
		default:
			got += p.Bytes
			if !truth[name].matches(p.Bytes) {
				t.Errorf("%s %s: imgdiff %d bytes, its dpkg file list %d (off by %+d; merged-/usr links %v)", what, name, p.Bytes, truth[name].files, p.Bytes-truth[name].files, truth[name].links)
			}
		}
	}
	return owned, got
}

// checkSingleClassified: what the single-stage image carries to build and
// test the app is flagged, by the bytes the image's own databases give;
// pkgs is imgdiff's package list by manager:name.
func checkSingleClassified(t *testing.T, env *e2eEnv, im e2eImage, rep *analyzeReport, pkgs map[string]pkgInfo) {
	t.Helper()
	c := rep.Classification

	// The toolchain: ≥ 95% of the bytes its packages own are build-tool.
	if names := toolchains[im.App]; len(names) > 0 {
		owned, flagged := checkDpkgPackages(t, env, im, pkgs, "toolchain package", names, "build-tool")
		if flagged*100 < owned*95 {
			t.Errorf("toolchain packages own %d bytes, imgdiff flags %d of them build-tool (%.1f%%, want ≥ 95%%)", owned, flagged, pct(flagged, owned))
		}
		if bt := c.category("build-tool"); bt < owned*95/100 {
			t.Errorf("build-tool category holds %d bytes, less than 95%% of the toolchain's %d", bt, owned)
		}
	}

	if families[im.App] {
		if tc, bt := familyToolchain(t, im), c.category("build-tool"); bt < tc*95/100 {
			t.Errorf("build-tool category holds %d bytes; the toolchain packages own %d by the %s database (%.1f%%, want ≥ 95%%)", bt, tc, im.App, pct(bt, tc))
		}
	}

	// Test tools installed from the distribution: dev-dependency, with
	// the bytes their dpkg file lists own.
	checkDpkgPackages(t, env, im, pkgs, "dev tool", devTools[im.App], "dev-dependency")

	// npm devDependencies, from the lockfile the image holds.
	if im.App == "node" {
		truth, err := env.npmDevBytes(im.Tag)
		if err != nil {
			t.Fatal(err)
		}
		if len(truth) < 10 {
			t.Fatalf("the image's lockfile marks only %d installed packages dev; the test app has dozens", len(truth))
		}
		var devBytes int64
		for loc, n := range truth {
			devBytes += n
			name := strings.TrimPrefix(loc[strings.LastIndex(loc, "node_modules/"):], "node_modules/")
			var found bool
			for _, p := range c.Packages {
				if p.Manager == "npm" && p.Name == name && p.Location == "app/"+loc && p.Dev {
					found = true
					if p.Category != "dev-dependency" {
						t.Errorf("npm dev package %s: category %q, want dev-dependency", loc, p.Category)
					}
				}
			}
			if !found {
				t.Errorf("npm dev package %s (%d bytes) is not listed as dev by imgdiff", loc, n)
			}
		}
		if dd := c.category("dev-dependency"); dd < devBytes*95/100 {
			t.Errorf("dev-dependency category holds %d bytes; the lockfile's dev packages %d (%.1f%%, want ≥ 95%%)", dd, devBytes, pct(dd, devBytes))
		}
		var express bool
		var phantoms []string
		for _, p := range c.Packages {
			if p.Manager != "npm" {
				continue
			}
			if p.Location == "app/node_modules/express" {
				express = true
				if p.Dev || p.Category == "dev-dependency" {
					t.Errorf("express, a production dependency, is listed as %+v", p)
				}
			}
			// A package the image lists is installed: it has files.
			if p.Files == 0 {
				phantoms = append(phantoms, p.Location)
			}
		}
		if !express {
			t.Error("express (app/node_modules/express) is not in imgdiff's package list")
		}
		if len(phantoms) > 0 {
			t.Errorf("%d npm packages listed with no files in the image (not installed), e.g. %q", len(phantoms), phantoms[:min(3, len(phantoms))])
		}
	}

	// The app's own sources.
	var src int64
	for _, f := range sources[im.App] {
		fi, err := os.Stat(filepath.Join("..", "..", "testdata", "dockerfiles", im.App, f))
		if err != nil {
			t.Fatal(err)
		}
		src += fi.Size()
	}
	if s := c.category("source"); s < src {
		t.Errorf("source category holds %d bytes, less than the app's own sources (%d)", s, src)
	}
}

func checkMultiClassified(t *testing.T, im e2eImage, rep *analyzeReport) {
	t.Helper()
	c := rep.Classification
	var flagged int64
	var parts []string
	for _, cat := range flaggedCategories {
		if n := c.category(cat); n > 0 {
			flagged += n
			parts = append(parts, fmt.Sprintf("%s %d", cat, n))
		}
	}
	if flagged*100 >= rep.Image.Size {
		t.Errorf("%d bytes flagged (%s): %.2f%% of the image, want < 1%%", flagged, strings.Join(parts, ", "), pct(flagged, rep.Image.Size))
	}
	for _, cat := range []string{"build-tool", "dev-dependency", "source"} {
		if n := c.category(cat); n > 0 {
			t.Errorf("the multi-stage image carries %d bytes of %s", n, cat)
		}
	}
}

// dpkgTotal returns the bytes the dpkg file lists of pkgs own in image.
func dpkgTotal(t *testing.T, env *e2eEnv, im e2eImage, pkgs []string) int64 {
	t.Helper()
	truth, err := env.dpkgBytes(im.Tag, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, v := range truth {
		n += v.files
	}
	return n
}

func pct(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// checkExplained: the decomposition names what the single-stage build
// carries: the Go toolchain dominates the build-tool term (the largest),
// the C, Python (gcc, python3-dev) and Java (the JDK) toolchains likewise,
// pytest and its helpers appear as dev-dependency, and the Node app's
// devDependencies too, at least as many bytes as the lockfile's dev
// packages.
func checkExplained(t *testing.T, env *e2eEnv, app string, single e2eImage, c *compareReport) {
	t.Helper()
	var largest string
	var max int64
	for _, term := range c.Decomposition.Terms {
		if term.Bytes > max {
			largest, max = term.Name, term.Bytes
		}
	}
	switch app {
	case "go", "goscratch", "c", "python", "java":
		if largest != "build-tool" {
			t.Errorf("largest term is %s (%d bytes), want build-tool; terms %+v", largest, max, c.Decomposition.Terms)
		}
		if bt := c.term("build-tool"); bt*2 < c.Delta.Size {
			t.Errorf("build-tool term %d is less than half of ΔS %d", bt, c.Delta.Size)
		}
		if app == "go" || app == "goscratch" {
			var goBytes int64
			for _, p := range c.Packages {
				if p.Manager == "dpkg" && strings.HasPrefix(p.Name, "golang-") {
					goBytes += p.Delta
				}
			}
			if goBytes*2 < c.term("build-tool") {
				t.Errorf("the golang-* packages account for %d bytes of the %d-byte build-tool term, want most", goBytes, c.term("build-tool"))
			}
		}
		// The toolchain packages (the JDK for Java; gcc and the Python
		// headers for Python), none of which the multi-stage image has,
		// are in the build-tool term and make up most of it; those the
		// package detail (top N) names are build-tool there.
		if app == "python" || app == "java" {
			tc := dpkgTotal(t, env, single, toolchains[app])
			if bt := c.term("build-tool"); bt < tc*95/100 || tc*2 < bt {
				t.Errorf("build-tool term %d bytes; the toolchain packages own %d in the single-stage image (want ≥ 95%% of them, and them most of the term)", bt, tc)
			}
			for _, p := range c.Packages {
				if p.Manager == "dpkg" && slices.Contains(toolchains[app], p.Name) && p.Category != "build-tool" {
					t.Errorf("package %s (Δ %d) is %q in the compare detail, want build-tool", p.Name, p.Delta, p.Category)
				}
			}
		}
		if names := devTools[app]; len(names) > 0 {
			if dev, dd := dpkgTotal(t, env, single, names), c.term("dev-dependency"); dd < dev {
				t.Errorf("dev-dependency term %d bytes; the Debian test tools %v own %d in the single-stage image", dd, names, dev)
			}
		}
	case "rpm", "distroless", "apk":
		// The toolchain came in as a tar: its bytes are build tools by
		// the family's own database (≥ 95% of what it says the
		// toolchain packages own), not base image.
		if largest != "build-tool" {
			t.Errorf("largest term is %s (%d bytes), want build-tool; terms %+v", largest, max, c.Decomposition.Terms)
		}
		if tc, bt := familyToolchain(t, single), c.term("build-tool"); bt < tc*95/100 {
			t.Errorf("build-tool term %d bytes; the toolchain packages own %d by the %s database (%.1f%%, want ≥ 95%%)", bt, tc, app, pct(bt, tc))
		}
	case "node":
		truth, err := env.npmDevBytes(single.Tag)
		if err != nil {
			t.Fatal(err)
		}
		var dev int64
		for _, n := range truth {
			dev += n
		}
		if dd := c.term("dev-dependency"); dd < dev*95/100 {
			t.Errorf("dev-dependency term %d bytes; the single-stage image's lockfile dev packages hold %d", dd, dev)
		}
	}
}

// families are the apps whose roots testdata/e2e/families.sh makes with
// another package family's tools (rpm; distroless status.d; an apk
// database written to apk's documented format), on a base
// image of their own that both images share, the toolchain added as a tar.
var families = map[string]bool{"rpm": true, "distroless": true, "apk": true}

// familyToolchain is the toolchain's bytes as the family's own database
// says (families.sh wrote it to truth.txt in the build context: rpm -q
// --qf %{SIZE}, or the .debs' file sizes for distroless).
func familyToolchain(t *testing.T, im e2eImage) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(im.Context, "truth.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "toolchain "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				t.Fatalf("truth.txt: %q", l)
			}
			return n
		}
	}
	t.Fatal("truth.txt names no toolchain bytes")
	return 0
}

// checkBaseTerm is issue 23's: every pair says where its base came from
// (want, when given), and where both images are on the same base (the
// family pairs: one imported base image), the base term is at most 1% of
// ΔS: the toolchain added as a tar is build tools, not base.
func checkBaseTerm(t *testing.T, app string, c *compareReport, want string) {
	t.Helper()
	d := c.Decomposition
	if d.BaseSource == "" || d.BaseDetail == "" {
		t.Errorf("the comparison does not say where the base came from (baseSource %q, baseDetail %q)", d.BaseSource, d.BaseDetail)
	}
	if want != "" && d.BaseSource != want {
		t.Errorf("base source %q, want %q (%s)", d.BaseSource, want, d.BaseDetail)
	}
	t.Logf("base (from %s): %s", d.BaseSource, d.BaseDetail)
	if families[app] {
		if base := c.term("base image"); base*100 > c.Delta.Size {
			t.Errorf("base image term %d bytes is %.1f%% of ΔS %d, want ≤ 1%%: both images are on the same base", base, pct(base, c.Delta.Size), c.Delta.Size)
		}
	}
}

// checkOtherShare is issue 14's acceptance figure: every byte of ΔS gets
// a reason, so the "other" term is at most 10% of ΔS. When the
// multi-stage image is built on a smaller base (goscratch: scratch and a
// static busybox), the single-stage image's Debian base is a term of its
// own, with both bases named.
func checkOtherShare(t *testing.T, app string, c *compareReport, gs *groundTruth) {
	t.Helper()
	var terms []string
	for _, term := range c.Decomposition.Terms {
		terms = append(terms, fmt.Sprintf("%s %d", term.Name, term.Bytes))
	}
	other := c.term("other")
	t.Logf("ΔS %d = %s − ε %d; other %.1f%%", c.Delta.Size, strings.Join(terms, " + "), c.Decomposition.Epsilon, pct(other, c.Delta.Size))
	if other*10 > c.Delta.Size {
		var groups []string
		for _, g := range c.Decomposition.OtherGroups {
			groups = append(groups, fmt.Sprintf("%s %d", g.Name, g.Bytes))
		}
		t.Errorf("other term %d bytes is %.1f%% of ΔS %d, want ≤ 10%%; largest groups: %s", other, pct(other, c.Delta.Size), c.Delta.Size, strings.Join(groups, "; "))
	}
	if app != "goscratch" {
		return
	}
	// The single-stage image's first layer is the imported Debian
	// rootfs: docker history's size for it, less what later layers of
	// the image overwrite (apt's and dpkg's state: a few MB), is in the
	// term.
	base := c.term("base image")
	if rootfs := gs.history[0]; base < rootfs*9/10 || base > rootfs {
		t.Errorf("base image term %d bytes; docker history says the single-stage image's base layer holds %d", base, rootfs)
	}
	for _, term := range c.Decomposition.Terms {
		if term.Name == "base image" && (!strings.Contains(term.Detail, "→") || !strings.Contains(term.Detail, "B: no base")) {
			t.Errorf("base image term detail %q, want A's base → B's (none: scratch)", term.Detail)
		}
	}
}

// ------------------------------------------------------------- exit codes

type budgetReport struct {
	Budgets *struct {
		Pass   bool `json:"pass"`
		Checks []struct {
			Rule   string  `json:"rule"`
			Unit   string  `json:"unit"`
			Actual float64 `json:"actual"`
			Limit  float64 `json:"limit"`
			Pass   bool    `json:"pass"`
		} `json:"checks"`
	} `json:"budgets"`
}

// TestE2EExitCodes runs the real binary for each exit code of the
// contract: 0 within budget, 1 a budget failed, 2 the job could not be
// done (with a one-line error naming the input, never a report).
func TestE2EExitCodes(t *testing.T) {
	env := setup(t)
	multi := env.find(t, "go", "multi", "buildkit")
	single := env.find(t, "go", "single", "buildkit")
	g := env.truth(t, multi)
	multiRef := "docker-archive:" + multi.Archive
	reg := "docker://" + env.manifest.Registry

	budgets := []struct {
		name  string
		args  []string
		code  int
		limit float64
	}{
		{"max-size passes", []string{"analyze", "-o", "json", "--max-size", "10GB", multiRef}, 0, 10e9},
		{"max-size fails", []string{"analyze", "-o", "json", "--max-size", "1MB", multiRef}, 1, 1e6},
		// One byte under docker's own figure must fail; at it, pass.
		{"max-size at the size", []string{"analyze", "-o", "json", "--max-size", strconv.FormatInt(g.size, 10), multiRef}, 0, float64(g.size)},
		{"max-size a byte under", []string{"analyze", "-o", "json", "--max-size", strconv.FormatInt(g.size-1, 10), multiRef}, 1, float64(g.size - 1)},
		{"compare max-size fails on B", []string{"compare", "-o", "json", "--max-size", "1MB",
			"docker-archive:" + single.Archive, multiRef}, 1, 1e6},
	}
	for _, tc := range budgets {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := env.run(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("imgdiff %s: %s; want exit %d", strings.Join(tc.args, " "), r, tc.code)
			}
			var rep budgetReport
			if err := json.Unmarshal(r.stdout, &rep); err != nil {
				t.Fatalf("a budget result must still print the report: %v\n%.2000s", err, r.stdout)
			}
			if rep.Budgets == nil {
				t.Fatal("the report has no budgets section")
			}
			if rep.Budgets.Pass != (tc.code == 0) {
				t.Errorf("budgets.pass %v with exit %d", rep.Budgets.Pass, r.code)
			}
			var found bool
			for _, c := range rep.Budgets.Checks {
				if c.Rule != "max-size" {
					continue
				}
				found = true
				if c.Limit != tc.limit || c.Actual != float64(g.size) || c.Pass != (tc.code == 0) {
					t.Errorf("max-size check: actual %v limit %v pass %v; want actual %d (docker image inspect) limit %v pass %v",
						c.Actual, c.Limit, c.Pass, g.size, tc.limit, tc.code == 0)
				}
			}
			if !found {
				t.Errorf("no max-size check in %+v", rep.Budgets.Checks)
			}
		})
	}

	errs := []struct {
		name  string
		env   []string
		args  []string
		names string // what the one-line error must mention
	}{
		{"image not in the engine", nil, []string{"analyze", "docker-daemon:imgdiff-e2e/nope:missing"}, "imgdiff-e2e/nope:missing"},
		{"not in the registry (404)", nil, []string{"analyze", reg + "/imgdiff-e2e/nope:missing"}, "imgdiff-e2e/nope:missing"},
		{"missing archive", nil, []string{"analyze", "docker-archive:/nonexistent/app.tar"}, "/nonexistent/app.tar"},
		{"not an image", nil, []string{"analyze", "docker-archive:" + filepath.Join(filepath.Dir(multi.Archive), "..", "images.json")}, "images.json"},
		{"unknown transport", nil, []string{"analyze", "nosuch-transport:foo"}, "nosuch-transport"},
		{"unknown platform", nil, []string{"analyze", "--platform", "linux/s390x", multiRef}, "s390x"},
		{"unreachable engine", []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}, []string{"analyze", "docker-daemon:" + multi.Tag}, multi.Tag},
		// An error while budgets are set is still an error, not a failed budget.
		{"error with a budget", nil, []string{"analyze", "--max-size", "1MB", "docker-archive:/nonexistent/app.tar"}, "/nonexistent/app.tar"},
		{"compare, B missing", nil, []string{"compare", multiRef, reg + "/imgdiff-e2e/nope:missing"}, "imgdiff-e2e/nope:missing"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := env.execEnv(tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if r.code != 2 {
				t.Fatalf("imgdiff %s: %s; want exit 2", strings.Join(tc.args, " "), r)
			}
			if len(r.stdout) != 0 {
				t.Errorf("an error printed a report:\n%.500s", r.stdout)
			}
			msg := strings.TrimRight(string(r.stderr), "\n")
			if lines := strings.Split(msg, "\n"); len(lines) != 1 {
				t.Errorf("want a one-line error, got %d lines:\n%s", len(lines), msg)
			}
			if !strings.Contains(msg, tc.names) {
				t.Errorf("the error does not name %q: %s", tc.names, msg)
			}
			if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
				t.Errorf("panic: %s", msg)
			}
		})
	}
}

// TestE2EDockerfile maps every e2e image, from both builders, onto the
// Dockerfile it was built from: every history entry maps (the base
// image's to the FROM line, the others to the line ranges written here by
// hand from testdata/dockerfiles), and the single-stage images raise the
// build-tool check on the line that installs the toolchain.
func TestE2EDockerfile(t *testing.T) {
	e := setup(t)
	// FROM line, then the line range of each instruction of the final
	// image that leaves a history entry, in order.
	type want struct {
		from  int
		lines []string
		tools string // the build-tool check's lines, "" for none
	}
	wants := map[string]want{
		"c/single":      {4, []string{"5", "6", "7", "8", "9"}, "5"},
		"c/multi":       {10, []string{"11", "12", "13"}, ""},
		"go/single":     {4, []string{"5", "6", "7", "8", "9", "10", "11"}, "5"},
		"go/multi":      {11, []string{"12", "13", "14", "15"}, ""},
		"node/single":   {9, []string{"10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21"}, "10"},
		"node/multi":    {17, []string{"18-19", "20", "21", "22", "23", "24", "25", "26"}, ""},
		"python/single": {6, []string{"7-8", "9", "10", "11", "12", "15-16", "17"}, "7-8"},
		"python/multi":  {15, []string{"16-17", "20", "21", "22", "23"}, ""},
		"java/single":   {5, []string{"8-9", "10", "11", "12-15", "16"}, "8-9"},
		"java/multi":    {14, []string{"15-17", "18", "19", "20", "21"}, ""},
		// goscratch's multi-stage image is FROM scratch: no base entry.
		"goscratch/single": {6, []string{"7", "8", "9", "10", "11", "12", "13"}, "7"},
		"goscratch/multi":  {17, []string{"18", "19", "20", "21", "22", "23"}, ""},
		// The family pairs: FROM their imported base; the toolchain ADDed.
		"rpm/single":        {7, []string{"8", "9", "10"}, "8"},
		"rpm/multi":         {3, []string{"4", "5"}, ""},
		"distroless/single": {6, []string{"7", "8", "9"}, "7"},
		"distroless/multi":  {3, []string{"4", "5"}, ""},
		"apk/single":        {6, []string{"7", "8", "9"}, "7"},
		"apk/multi":         {3, []string{"4", "5"}, ""},
	}
	lines := func(start, end int) string {
		if end > start {
			return fmt.Sprintf("%d-%d", start, end)
		}
		return fmt.Sprint(start)
	}
	for _, im := range e.manifest.Images {
		t.Run(im.name(), func(t *testing.T) {
			w, ok := wants[im.App+"/"+im.Variant]
			if !ok {
				t.Fatalf("no expected lines for %s/%s", im.App, im.Variant)
			}
			df := filepath.Join("..", "..", "testdata", "dockerfiles", im.App, "Dockerfile."+im.Variant)
			rep := e.analyze(t, "docker-archive:"+im.Archive, "--dockerfile", df)
			m := rep.Dockerfile
			if m == nil {
				t.Fatal("the report has no dockerfile mapping")
			}
			if m.MatchRate != 1 || len(m.Warnings) > 0 {
				t.Errorf("match rate %v, warnings %q; want 1 and none", m.MatchRate, m.Warnings)
			}
			var got []string
			for i, s := range m.Steps {
				switch s.Kind {
				case "base":
					if s.Start != w.from || len(got) > 0 {
						t.Errorf("step %d: base entry at line %d after %d instruction(s); want FROM line %d first", i, s.Start, len(got), w.from)
					}
				case "instruction":
					got = append(got, lines(s.Start, s.End))
				default:
					t.Errorf("step %d: kind %q, want base or instruction", i, s.Kind)
				}
			}
			if strings.Join(got, " ") != strings.Join(w.lines, " ") {
				t.Errorf("instruction lines %v, want %v", got, w.lines)
			}
			tools := ""
			for _, f := range m.Findings {
				if f.ID == "dockerfile-build-tools-in-final-stage" {
					tools = lines(f.Lines.Start, f.Lines.End)
					if f.Bytes < 1_000_000 {
						t.Errorf("build-tool check: %d bytes at stake, want the toolchain's megabytes", f.Bytes)
					}
				}
			}
			if tools != w.tools {
				t.Errorf("build-tool check on lines %q, want %q", tools, w.tools)
			}
		})
	}
}
