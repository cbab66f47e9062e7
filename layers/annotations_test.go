package layers

import (
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// The manifest's annotations (org.opencontainers.image.base.*, as
// BuildKit writes them) reach the walked image from the sources that
// have a manifest: an OCI layout and a registry.
func TestManifestAnnotations(t *testing.T) {
	want := map[string]string{
		"org.opencontainers.image.base.name":   "docker.io/library/debian:bookworm",
		"org.opencontainers.image.base.digest": "sha256:10901ccd8d249047f9761845b4594f121edef079cfd8224edebd9ea726f0a7f6",
	}
	img, ok := mutate.Annotations(testImage(t, "amd64"), want).(v1.Image)
	if !ok {
		t.Fatal("mutate.Annotations did not return an image")
	}
	dir := t.TempDir()
	writeLayout(t, filepath.Join(dir, "layout"), img, "latest")
	host := registrytest.Serve(t, nil)
	registrytest.Push(t, host+"/app:1", img)
	for _, ref := range []string{"oci:" + dir + "/layout", "docker://" + host + "/app:1"} {
		_, ii := walkOne(t, ref, Options{Jobs: 2})
		for k, v := range want {
			if ii.Annotations[k] != v {
				t.Errorf("%s: annotation %s = %q, want %q", ref, k, ii.Annotations[k], v)
			}
		}
	}
}
