package layers

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// openRegular opens a file that must be a regular file without blocking on
// what is not one: open(2) of a FIFO with no writer blocks forever (and
// ignores signals), and a device such as /dev/zero never ends. The file is
// opened non-blocking, then fstat'ed, so a path swapped between a stat and
// the open cannot get past; O_NONBLOCK does not change reads of a regular
// file.
func openRegular(p string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(fi)
	}
	return f, fi, nil
}

// notRegular says what a file is instead of a regular file.
func notRegular(fi fs.FileInfo) error {
	what := "not a regular file"
	switch m := fi.Mode(); {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("is %s, not a regular file", what)
}

// ErrTooLarge is returned by ReadRegularFile for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// ReadRegularFile reads a small file the user names (a config file, a
// Dockerfile): refused at once when it is not a regular file (a FIFO, a
// device, a link to /dev/zero), and when it holds more than limit bytes,
// so a hostile path can neither hang the run nor exhaust its memory.
func ReadRegularFile(p string, limit int64) ([]byte, error) {
	f, fi, err := openRegular(p)
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
