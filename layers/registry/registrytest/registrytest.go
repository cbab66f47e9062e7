// Package registrytest holds what the tests of the registry source and
// of the packages that read registries share: go-containerregistry's
// in-memory registry served on loopback (alone or behind a proxy that
// sees every request first), pushes to it, incompressible blobs, the
// Range a request asks for, a server that hangs up, and a bounded wait
// for a read that must not hang.
package registrytest

import (
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Handler is go-containerregistry's in-memory registry with its log
// silenced.
func Handler() http.Handler {
	return registry.New(registry.Logger(log.New(io.Discard, "", 0)))
}

// Serve serves h, or a fresh Handler when h is nil, on loopback until t
// ends, and returns its host:port.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	if h == nil {
		h = Handler()
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Proxied serves a fresh Handler behind a reverse proxy, both on loopback
// until t ends, and returns the registry's host:port and the proxy's.
// front sees every request the proxy gets first and answers it itself by
// returning true (rp passes a request on to the registry); nil passes
// every request on.
func Proxied(t testing.TB, front func(w http.ResponseWriter, r *http.Request, rp http.Handler) bool) (registry, proxy string) {
	t.Helper()
	registry = Serve(t, nil)
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	rp.ErrorLog = log.New(io.Discard, "", 0)
	proxy = Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if front != nil && front(w, r, rp) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	return registry, proxy
}

// Push writes art, a v1.Image or a v1.ImageIndex, to ref
// (host:port/repository:tag), failing t when it cannot.
func Push(t testing.TB, ref string, art any) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	switch a := art.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(r, a)
	case v1.Image:
		err = remote.Write(r, a)
	default:
		t.Fatalf("push %s: %T is neither an image nor an index", ref, art)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// RandomBlob is n incompressible bytes, the same for a seed.
func RandomBlob(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// RangeStart is the first byte a Range header asks for, -1 without one.
func RangeStart(r *http.Request) int64 {
	h := r.Header.Get("Range")
	if h == "" {
		return -1
	}
	a, _, _ := strings.Cut(strings.TrimPrefix(h, "bytes="), "-")
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// Within runs f and returns its error, failing t with stuck when f has
// not returned after d: for reads that must not hang (on a registry that
// never answers, after a cancellation). f goes on in the background then.
func Within(t testing.TB, d time.Duration, stuck string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatal(stuck)
		return nil
	}
}

// Drop closes the connection without a response.
func Drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}
