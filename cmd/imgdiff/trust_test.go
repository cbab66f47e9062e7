package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/imgdiff/imgdiff/analyze"
)

// trustLayer is a gzip layer of the given files (name, body pairs).
func trustLayer(t *testing.T, files ...string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		tw.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(files[i+1]))})
		tw.Write([]byte(files[i+1]))
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLyingDiffIDsCannotPass pins issue 13 defect 1 end to end: an image
// whose config claims the honest image's app-layer diffID for a layer that
// carries .env and a private key is reported with them, fails
// --fail-on secret, and shares only what is shown to be shared in
// compare, from an OCI layout and a docker save archive, with the cache
// warmed by the honest image first.
func TestLyingDiffIDsCannotPass(t *testing.T) {
	base := trustLayer(t, "etc/os-release", "ID=test\n")
	app := trustLayer(t, "app/main", strings.Repeat("y", 1000))
	evil := trustLayer(t, "app/main", strings.Repeat("y", 1000), "app/.env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		"root/.ssh/id_rsa", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n")
	image := func(claim v1.Layer, ls ...v1.Layer) v1.Image {
		img, err := mutate.AppendLayers(empty.Image, ls...)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", "amd64"
		cf.Config.User = "app"
		cf.RootFS.DiffIDs[1], _ = claim.DiffID()
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		return img
	}
	honest, liar := image(app, base, app), image(app, base, evil)
	dir := t.TempDir()
	refs := map[string][2]string{}
	for n, img := range map[string]v1.Image{"honest": honest, "liar": liar} {
		p, err := layout.Write(filepath.Join(dir, n), empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AppendImage(img); err != nil {
			t.Fatal(err)
		}
		if err := tarball.WriteToFile(filepath.Join(dir, n+".tar"), name.MustParseReference("app:1"), img); err != nil {
			t.Fatal(err)
		}
	}
	refs["oci"] = [2]string{"oci:" + filepath.Join(dir, "honest"), "oci:" + filepath.Join(dir, "liar")}
	refs["docker-archive"] = [2]string{"docker-archive:" + filepath.Join(dir, "honest.tar"), "docker-archive:" + filepath.Join(dir, "liar.tar")}

	for f, r := range refs {
		t.Run(f, func(t *testing.T) {
			env := []string{"IMGDIFF_NO_CACHE=0", "IMGDIFF_CACHE_DIR=" + t.TempDir()}
			if res := imgdiff(t, env, "analyze", r[0], "--fail-on", "secret"); res.code != 0 {
				t.Fatalf("honest image: exit %d: %s%s", res.code, res.out, res.errOut)
			}
			res := imgdiff(t, env, "analyze", r[1], "--fail-on", "secret")
			if res.code != 1 || !strings.Contains(res.out, "FAIL") {
				t.Errorf("lying image with a warm cache: exit %d, want 1 (FAIL on secret):\n%s%s", res.code, res.out, res.errOut)
			}
			res = imgdiff(t, env, "compare", "-o", "json", r[0], r[1])
			if res.code != 0 {
				t.Fatalf("compare: exit %d: %s", res.code, res.errOut)
			}
			var c analyze.Comparison
			if err := json.Unmarshal([]byte(res.out), &c); err != nil {
				t.Fatal(err)
			}
			if c.Shared.Layers > 1 || c.Identical || c.Delta.Size == 0 {
				t.Errorf("compare calls the lying layer shared: shared %+v, identical %v, ΔS %d", c.Shared, c.Identical, c.Delta.Size)
			}
		})
	}

}
