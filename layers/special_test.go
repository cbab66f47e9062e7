//go:build linux

package layers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// TestSpecialFilesDoNotHang pins issue 13 defect 4's source part: a FIFO or
// a device given as an archive, or in place of a layout blob, is refused
// with one line at once instead of blocking in open(2) or reading forever.
func TestSpecialFilesDoNotHang(t *testing.T) {
	dir := t.TempDir()
	fifo := imagetest.FIFO(t, filepath.Join(dir, "fifo.tar"))
	zero := imagetest.DevZero(t, filepath.Join(dir, "zero.tar"))
	img := testImage(t, "amd64")
	layoutFifo := filepath.Join(dir, "layout")
	writeLayout(t, layoutFifo, img, "latest")
	m, _ := img.Manifest()
	blob := filepath.Join(layoutFifo, "blobs/sha256", m.Layers[1].Digest.Hex)
	os.Remove(blob)
	imagetest.FIFO(t, blob)
	layoutZero := filepath.Join(dir, "layout0")
	writeLayout(t, layoutZero, img, "latest")
	blob = filepath.Join(layoutZero, "blobs/sha256", m.Layers[1].Digest.Hex)
	os.Remove(blob)
	imagetest.DevZero(t, blob)

	for _, c := range []struct{ ref, want string }{
		{fifo, "named pipe"},
		{"docker-archive:" + fifo, "named pipe"},
		{"oci-archive:" + fifo, "named pipe"},
		{zero, "character device"},
		{"docker-archive:" + zero, "character device"},
		{"oci:" + layoutFifo, "named pipe"},
		{"oci:" + layoutZero, "character device"},
	} {
		done := make(chan error, 1)
		go func() {
			img, err := Open(context.Background(), c.ref, Options{})
			if err == nil {
				img.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), c.ref+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("Open(%s) = %v, want one line naming it, with %q", c.ref, err, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Open(%s) hangs", c.ref)
		}
	}
}
