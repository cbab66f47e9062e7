package layers

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/imgdiff/imgdiff/layers/internal/store"
)

// ErrTooLarge is returned by ReadRegularFile for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// ReadRegularFile reads a small file the user names (a config file, a
// Dockerfile): refused at once when it is not a regular file (a FIFO, a
// device, a link to /dev/zero), and when it holds more than limit bytes,
// so a hostile path can neither hang the run nor exhaust its memory.
func ReadRegularFile(p string, limit int64) ([]byte, error) {
	f, fi, err := store.OpenRegular(p)
	if err != nil {
		var pe *fs.PathError
		if !errors.As(err, &pe) { // what the file is: say which file
			err = fmt.Errorf("%s %w", p, err)
		}
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %d: %w", p, fi.Size(), limit, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit { // grew since the fstat
		return nil, fmt.Errorf("%s: more than %d bytes: %w", p, limit, ErrTooLarge)
	}
	return data, nil
}
