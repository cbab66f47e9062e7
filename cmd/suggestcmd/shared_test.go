package suggestcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// Fixtures the package's tests share, written once per test binary under
// sharedRoot, which TestMain removes: the demo pair and the static Go
// app's original image. Building, writing and reading their 40-190 MB of
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

var staticApp struct {
	once   sync.Once
	binary []byte
	spec   imagetest.Image
	df     string
	ref    string
	err    error
}

// staticOriginal is the static Go app (imagetest.BinaryApp of
// buildGo(t, "0"), no entrypoint script) written once as an OCI layout:
// the binary, the image's spec, its Dockerfile and the layout's reference.
func staticOriginal(t *testing.T) (binary []byte, spec imagetest.Image, df, ref string) {
	t.Helper()
	staticApp.once.Do(func() {
		staticApp.binary = buildGo(t, "0") // fails the test that ran first
		staticApp.spec, staticApp.df = imagetest.BinaryApp(staticApp.binary, "")
		img, err := imagetest.Build(staticApp.spec)
		if err != nil {
			staticApp.err = err
			return
		}
		p := filepath.Join(sharedRoot, "static-app")
		staticApp.err = imagetest.WriteOCILayout(p, "latest", img)
		staticApp.ref = "oci:" + p
	})
	if staticApp.err != nil || staticApp.binary == nil {
		t.Fatalf("the static Go app: %v", staticApp.err)
	}
	return staticApp.binary, staticApp.spec, staticApp.df, staticApp.ref
}
