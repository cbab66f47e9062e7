// Package enginetest holds what the tests of the engine client and of the
// packages that read images from an engine share: a stand-in for an
// engine's API served on a unix socket, as dockerd and Podman serve it.
package enginetest

import (
	"net"
	"net/http"
	"path/filepath"
	"testing"
)

// Serve serves h on a new unix socket named name in a temporary directory
// until t ends, and returns the socket's path.
func Serve(t testing.TB, name string, h http.Handler) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), name)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sock
}
