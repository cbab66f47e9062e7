package imagetest

import (
	"archive/tar"
	"io"
)

// ReadTar calls f with each entry of the tar r, in order, and a reader of
// the entry's body (f may leave it unread); it stops at the first error of
// the tar or of f and returns it. Tests read back what was written with it.
func ReadTar(r io.Reader, f func(h *tar.Header, body io.Reader) error) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(h, tr); err != nil {
			return err
		}
	}
}
