package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

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
