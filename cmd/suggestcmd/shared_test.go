package suggestcmd

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// Fixtures the package's tests share, written once per test binary under
// sharedRoot, which TestMain removes: the demo pair and the static Go
// app's images. Building, writing and reading their 40-190 MB of
// layers under the race detector was most of the package's cost, run
// after run; the tests only read them. The runs share one layer cache
// (testIO), so the first run to read a shared image walks its layers and
// the later ones are served the same index, as a user's second run is.
var (
	sharedRoot string // removed by TestMain
	cacheDir   string // the runs' layer cache (testIO)
)

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "suggestcmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sharedRoot, cacheDir = root, filepath.Join(root, "cache")
	code := m.Run()
	os.RemoveAll(root)
	os.Exit(code)
}

var demoFixture struct {
	once sync.Once
	dir  string
	err  error
}

// sharedDemo is the directory of the demo pair (single, multi, their
// Dockerfiles), written once; tests must not write into it.
func sharedDemo(t *testing.T) string {
	t.Helper()
	demoFixture.once.Do(func() {
		demoFixture.dir = filepath.Join(sharedRoot, "demo")
		demoFixture.err = imagetest.WriteDemo(demoFixture.dir)
	})
	if demoFixture.err != nil {
		t.Fatal(demoFixture.err)
	}
	return demoFixture.dir
}

// The static Go app's images, written once into one OCI layout so that
// the layers they share (the base and the toolchain: 100 MB) are one
// blob file each, walked by the first run and then served by the cache:
// "original" (imagetest.BinaryApp of buildGo(t, "0"), no entrypoint
// script), "entrypoint" (entrypointScript as its entrypoint) and
// "user-app", "user-10001" (withUser).
var staticApp struct {
	once   sync.Once
	binary []byte
	specs  map[string]imagetest.Image
	dfs    map[string]string
	dir    string
	err    error
}

// staticImage is the static app's image name (above): the binary, the
// image's spec, its Dockerfile and the image's reference.
func staticImage(t *testing.T, name string) (binary []byte, spec imagetest.Image, df, ref string) {
	t.Helper()
	staticApp.once.Do(func() {
		staticApp.binary = buildGo(t, "0") // fails the test that ran first
		b := staticApp.binary
		specs, dfs := map[string]imagetest.Image{}, map[string]string{}
		specs["original"], dfs["original"] = imagetest.BinaryApp(b, "")
		specs["entrypoint"], dfs["entrypoint"] = imagetest.BinaryApp(b, entrypointScript)
		for _, u := range []string{"app", "10001"} {
			spec, df := imagetest.BinaryApp(b, "")
			specs["user-"+u], dfs["user-"+u] = withUser(spec, df, u)
		}
		staticApp.specs, staticApp.dfs = specs, dfs
		staticApp.dir = filepath.Join(sharedRoot, "static-app")
		staticApp.err = writeImages(staticApp.dir, specs)
	})
	spec, ok := staticApp.specs[name]
	if staticApp.err != nil || staticApp.binary == nil || !ok {
		t.Fatalf("the static Go app's image %q: %v", name, staticApp.err)
	}
	return staticApp.binary, spec, staticApp.dfs[name], "oci:" + staticApp.dir + ":" + name
}

// staticOriginal is staticImage(t, "original").
func staticOriginal(t *testing.T) (binary []byte, spec imagetest.Image, df, ref string) {
	t.Helper()
	return staticImage(t, "original")
}

// writeImages writes the images of specs as one OCI layout at dir, each
// tagged (org.opencontainers.image.ref.name) with its name.
func writeImages(dir string, specs map[string]imagetest.Image) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(specs))
	for _, name := range names {
		img, err := imagetest.Build(specs[name])
		if err != nil {
			return err
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{imagetest.AnnotationRefName: name})); err != nil {
			return err
		}
	}
	return nil
}
