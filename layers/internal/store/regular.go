package store

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// OpenRegular opens a file that must be a regular file without blocking on
// what is not one: open(2) of a FIFO with no writer blocks forever (and
// ignores signals), and a device such as /dev/zero never ends. The file is
// opened non-blocking, then fstat'ed, so a path swapped between a stat and
// the open cannot get past; O_NONBLOCK does not change reads of a regular
// file.
func OpenRegular(p string) (*os.File, fs.FileInfo, error) {
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
		return nil, nil, NotRegular(fi)
	}
	return f, fi, nil
}

// NotRegular says what a file is instead of a regular file.
func NotRegular(fi fs.FileInfo) error {
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
