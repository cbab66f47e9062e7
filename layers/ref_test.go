package layers

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// TestBareNamesAreNotTransports pins issue 13 defect 0: only skopeo's
// transport names are transports; every other NAME[:TAG][@DIGEST], with
// hyphens, dots, underscores, a host:port registry or a digest, is a bare
// reference that Open resolves.
func TestBareNamesAreNotTransports(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, in := range []string{
		"my-app:single", "my-app:multi", "my.app:1.0", "my_app:v1_2", "my-app",
		"docker:24-dind", "oci-x:1", "a-b-c:latest", "dir-like:tag",
		"ghcr.io/my-org/my-app:pr-42", "registry.example.com:5000/my_app/x-y:1.2",
		"localhost:5000/my-app:single", "my-app@" + dg, "my-app:1@" + dg,
		"localhost:5000/my-app@" + dg,
	} {
		r, err := ParseReference(in)
		if err != nil || r.Transport != "" || r.Raw != in {
			t.Errorf("ParseReference(%q) = %+v, %v; want a bare reference", in, r, err)
		}
		if !isBareName(in) {
			t.Errorf("isBareName(%q) = false", in)
		}
	}
	for in, want := range map[string]string{
		"containers-storage:my-app:1": "containers-storage: transport is not supported",
		"dir:/tmp/x":                  "dir: transport is not supported",
		"ostree:x@/repo":              "ostree: transport is not supported",
		"sif:/x.sif":                  "sif: transport is not supported",
		"ftp:/tmp/x":                  `unknown transport "ftp"`,
		"docker:/x/y":                 `unknown transport "docker"`,
	} {
		_, err := ParseReference(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseReference(%q) = %v, want one line with %q", in, err, want)
		}
	}
	// Names inside archives and layouts keep their colons and hyphens.
	for in, want := range map[string][2]string{
		"docker-archive:a.tar:my-app:single": {"a.tar", "my-app:single"},
		"oci:dir:my-tag.1":                   {"dir", "my-tag.1"},
		"oci-archive:x.tar:my_app":           {"x.tar", "my_app"},
	} {
		r, err := ParseReference(in)
		if err != nil || r.Path != want[0] || r.Name != want[1] {
			t.Errorf("ParseReference(%q) = %+v, %v; want path %q name %q", in, r, err, want[0], want[1])
		}
	}
}

// TestHyphenatedNamesResolve opens hyphenated, dotted and underscored
// names through every path that resolves a bare reference: the engine, the
// registry fallback, and names inside archives and layouts.
func TestHyphenatedNamesResolve(t *testing.T) {
	img, p, _, host := savedInEngine(t, "my-app:single")
	dir, tmp := t.TempDir(), t.TempDir()

	src, _ := walkOne(t, "my-app:single", Options{Jobs: 2, DockerHost: host, TempDir: tmp})
	if src.Transport != DockerDaemon {
		t.Errorf("my-app:single: transport %s, want the engine", src.Transport)
	}
	src, _ = walkOne(t, "docker-daemon:my-app:single", Options{Jobs: 2, DockerHost: host, TempDir: tmp})
	if src.Transport != DockerDaemon {
		t.Errorf("docker-daemon:my-app:single: transport %s", src.Transport)
	}
	src, _ = walkOne(t, "docker-archive:"+p+":my-app:single", Options{Jobs: 2})
	if src.Transport != DockerArchive {
		t.Errorf("docker-archive with a hyphenated name: transport %s", src.Transport)
	}
	writeLayout(t, filepath.Join(dir, "layout"), img, "my-tag_1.0")
	if src, _ = walkOne(t, "oci:"+dir+"/layout:my-tag_1.0", Options{Jobs: 2}); src.Transport != OCILayout {
		t.Errorf("oci with a hyphenated tag: transport %s", src.Transport)
	}

	// Not in the engine: the registry, by tag and by digest.
	rhost := registrytest.Serve(t, nil)
	registrytest.Push(t, rhost+"/my-org/my_app.x:pr-42", img)
	d, _ := img.Digest()
	for _, ref := range []string{rhost + "/my-org/my_app.x:pr-42", rhost + "/my-org/my_app.x@" + d.String(), rhost + "/my-org/my_app.x:pr-42@" + d.String()} {
		src, _ = walkOne(t, ref, Options{Jobs: 2, DockerHost: host, TempDir: tmp})
		if src.Transport != Registry || src.Digest != d.String() {
			t.Errorf("%s: transport %s digest %s", ref, src.Transport, src.Digest)
		}
	}
	// An unsupported skopeo transport fails with its own line.
	_, err := Open(context.Background(), "containers-storage:my-app:1", Options{DockerHost: host, TempDir: tmp})
	if err == nil || !strings.Contains(err.Error(), "containers-storage: transport is not supported") {
		t.Errorf("containers-storage: err = %v", err)
	}
}
