//go:build unix

package imagetest

import (
	"os"
	"syscall"
	"testing"
)

// Special files, the inputs that hang a reader that opens whatever it is
// given, for the tests that every file input is refused at once.

// FIFO makes a named pipe at path and returns path: open(2) on it blocks
// until a writer comes, ignoring signals. A file system that cannot hold
// one skips the test.
func FIFO(t testing.TB, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return path
}

// DevZero makes a symbolic link to /dev/zero at path and returns path: a
// character device whose reads never end.
func DevZero(t testing.TB, path string) string {
	t.Helper()
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	return path
}
