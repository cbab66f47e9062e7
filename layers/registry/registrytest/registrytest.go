// Package registrytest holds what the tests of the registry source and
// of package layers' registry reads share: incompressible blobs, the
// Range a request asks for, and a server that hangs up.
package registrytest

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

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

// Drop closes the connection without a response.
func Drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}
