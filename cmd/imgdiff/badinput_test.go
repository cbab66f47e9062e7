package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// TestBrokenImages: images broken the ways real inputs break each give
// exit 2 and one line naming the input, never a report.
func TestBrokenImages(t *testing.T) {
	dir := t.TempDir()
	spec := imagetest.FixtureSpec("linux/amd64")
	img, err := imagetest.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	layout := func(name string) string {
		p := filepath.Join(dir, name)
		if err := imagetest.WriteOCILayout(p, "latest", img); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mismatch, missing := layout("mismatch"), layout("missing")
	if err := imagetest.MismatchLayerBlob(mismatch, 1); err != nil {
		t.Fatal(err)
	}
	if err := imagetest.RemoveLayerBlob(missing, 1); err != nil {
		t.Fatal(err)
	}
	oneLayer := func(name string, l v1.Layer) string {
		img, err := mutate.AppendLayers(empty.Image, l)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := imagetest.WriteOCILayout(p, "latest", img); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cut := func(c imagetest.Compression) v1.Layer {
		l, err := imagetest.TruncatedLayer(c)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	badGzip := oneLayer("badgzip", imagetest.BadGzipLayer())
	badZstd := oneLayer("badzstd", imagetest.BadZstdLayer())
	cutGzip := oneLayer("cutgzip", cut(imagetest.Gzip))
	cutZstd := oneLayer("cutzstd", cut(imagetest.Zstd))
	truncated := filepath.Join(dir, "truncated.tar")
	if err := imagetest.WriteDockerArchive(truncated, "app:1", img); err != nil {
		t.Fatal(err)
	}
	if err := imagetest.Truncate(truncated, -1); err != nil {
		t.Fatal(err)
	}
	// Hostile names in the outer archive: a manifest pointing outside.
	hostile := filepath.Join(dir, "hostile.tar")
	writeTar(t, hostile, map[string]string{"manifest.json": `[{"Config":"../../etc/passwd","RepoTags":["x:1"],"Layers":[]}]`})

	for _, c := range []struct{ ref, want string }{
		{"oci:" + mismatch, "manifest says"}, // re-compressed: the size gives it away first
		{"oci:" + missing, "is missing"},
		{"oci:" + badGzip, "corrupt input"},
		{"oci:" + badZstd, "zstd"},
		{"oci:" + cutGzip, "unexpected EOF"},
		{"oci:" + cutZstd, "unexpected EOF"},
		{"docker-archive:" + truncated, "truncated"},
		{hostile, "leaves the archive"},
	} {
		for _, cmd := range []string{"analyze", "compare"} {
			args := []string{cmd, c.ref}
			if cmd == "compare" {
				args = append(args, "oci:"+fixtures+"oci-layout-gzip")
			}
			r := imgdiff(t, nil, args...)
			lines := strings.Split(strings.TrimSpace(r.errOut), "\n")
			if r.code != 2 || r.out != "" || len(lines) != 1 || !strings.HasPrefix(lines[0], "imgdiff: "+c.ref) || !strings.Contains(lines[0], c.want) {
				t.Errorf("%s %s: exit %d, stdout %d bytes, stderr %q; want exit 2, no report, one line naming the input with %q",
					cmd, c.ref, r.code, len(r.out), r.errOut, c.want)
			}
		}
	}
}

// TestSpecialFilesAsInputs: a config file or a Dockerfile that is a FIFO
// (open(2) blocks forever, ignoring signals) or a link to /dev/zero (a
// read never ends) is refused at once with one line naming it, exit 2;
// an oversized one too.
func TestSpecialFilesAsInputs(t *testing.T) {
	dir := t.TempDir()
	fifo := imagetest.FIFO(t, filepath.Join(dir, "fifo"))
	zero := imagetest.DevZero(t, filepath.Join(dir, "zero"))
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", 2<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	image := "oci:" + fixtures + "oci-gzip"
	for _, c := range []struct {
		name, path string
		args       []string
		want       string
	}{
		{"config FIFO", fifo, []string{"analyze", "--config", fifo, image}, "named pipe"},
		{"config /dev/zero", zero, []string{"analyze", "--config", zero, image}, "character device"},
		{"config too large", big, []string{"analyze", "--config", big, image}, "too large"},
		{"Dockerfile FIFO", fifo, []string{"analyze", "--no-config", "--dockerfile", fifo, image}, "named pipe"},
		{"Dockerfile /dev/zero", zero, []string{"analyze", "--no-config", "--dockerfile", zero, image}, "character device"},
		{"suggest Dockerfile FIFO", fifo, []string{"suggest", "--no-config", "--dockerfile", fifo, image}, "named pipe"},
		{"suggest Dockerfile /dev/zero", zero, []string{"suggest", "--no-config", "--dockerfile", zero, image}, "character device"},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan result, 1)
			go func() { done <- imgdiff(t, nil, c.args...) }()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("imgdiff %v still running after 20 s", c.args)
			}
			line := strings.TrimSpace(r.errOut)
			if r.code != 2 || r.out != "" || strings.Count(line, "\n") != 0 || !strings.Contains(line, c.path) || !strings.Contains(line, c.want) {
				t.Errorf("exit %d, stdout %d bytes, stderr %q; want exit 2 and one line naming %s (%s)", r.code, len(r.out), r.errOut, c.path, c.want)
			}
		})
	}
}

func writeTar(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
