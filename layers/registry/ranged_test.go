package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// blobServer serves blob at every path through http.ServeContent (the
// standard library's Range handling: the reference the fetcher is checked
// against) unless hook answers the request itself. hook gets the chunk a
// request asks for (-1: no Range) and how many requests that chunk had,
// this one included.
type blobServer struct {
	*httptest.Server
	blob     []byte
	chunk    int64
	mu       sync.Mutex
	requests map[int64]int
	total    atomic.Int32
}

type hook func(chunk int64, n int, w http.ResponseWriter, r *http.Request) bool

func newBlobServer(t *testing.T, blob []byte, chunk int64, h hook) *blobServer {
	t.Helper()
	s := &blobServer{blob: blob, chunk: chunk, requests: map[int64]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.total.Add(1)
		c := int64(-1)
		if a := rangeStart(r); a >= 0 {
			c = a / chunk
		}
		s.mu.Lock()
		s.requests[c]++
		n := s.requests[c]
		s.mu.Unlock()
		if h != nil && h(c, n, w, r) {
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blob))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *blobServer) count(chunk int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[chunk]
}

// partial writes bytes [a, a+len(body)) of blob as a 206 that claims the
// range a-b.
func partial(w http.ResponseWriter, a, b int64, size int, body []byte) {
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b, size))
	w.Header().Set("Content-Length", strconv.FormatInt(b-a+1, 10))
	w.WriteHeader(http.StatusPartialContent)
	w.Write(body)
}

func (s *blobServer) fetcher(opts RangedOptions) *rangeFetcher {
	opts = opts.withDefaults()
	return &rangeFetcher{
		client:  s.Client(),
		url:     s.URL + "/v2/app/blobs/sha256:x",
		size:    int64(len(s.blob)),
		opts:    opts,
		conns:   make(chan struct{}, opts.Total),
		backoff: time.Millisecond,
		name:    "blob",
	}
}

// TestRangedFetch: the ranged reader yields the blob's bytes in order
// whatever order its chunks complete in, takes a 200 as one stream,
// retries failed, cut and short chunks a bounded number of times, and
// fails in one line when a chunk cannot be had. Each case twice: chunk 0
// read in place as it arrives (an Open), and buffered beside the others
// (a Prefetch, read later).
func TestRangedFetch(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffered=%v", buffered), func(t *testing.T) { testRangedFetch(t, buffered) })
	}
}

func testRangedFetch(t *testing.T, buffered bool) {
	const chunk = 16 << 10
	blob := randomBlob(10*chunk+1234, 1) // 11 chunks, the last one short
	opts := RangedOptions{ChunkSize: chunk, PerBlob: 4, Total: 6}
	chunks := int64(11)

	served := make(chan int64, 100) // chunks in the order they finished
	var restAt atomic.Int64         // where the second request for chunk 0 started
	var reorderOnce sync.Once
	release := make(chan struct{})

	// An over-long chunk 0 read in place fails at once (its bytes have
	// gone to the reader); buffered, it is retried like any chunk.
	longFirst := fmt.Sprintf("blob: bytes 0-%d: chunk is longer than the %d bytes asked for", chunk-1, chunk)
	if buffered {
		longFirst = fmt.Sprintf("blob: bytes 0-%d: %d attempts: chunk is longer than the %d bytes asked for", chunk-1, rangeAttempts, chunk)
	}
	cases := []struct {
		name       string
		h          hook
		wantRanged bool
		wantErr    string // "" = the blob's bytes
		check      func(t *testing.T, s *blobServer)
	}{
		{name: "ranges", wantRanged: true, check: func(t *testing.T, s *blobServer) {
			for c := range chunks {
				if n := s.count(c); n != 1 {
					t.Errorf("chunk %d asked %d times, want once", c, n)
				}
			}
		}},
		{name: "200 instead of 206", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			w.Write(blob)
			return true
		}, wantRanged: false, check: func(t *testing.T, s *blobServer) {
			if n := s.total.Load(); n != 1 {
				t.Errorf("%d requests, want the one whose 200 is read", n)
			}
		}},
		{name: "chunks complete out of order", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			// Chunks 0 and 1 wait until chunk 3 has been served: 0 after
			// sending its headers (it is the probe), 1 before anything.
			switch c {
			case 0:
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", chunk-1, len(blob)))
				w.WriteHeader(http.StatusPartialContent)
				http.NewResponseController(w).Flush()
				<-release
				w.Write(blob[:chunk])
				served <- 0
				return true
			case 1:
				<-release
			}
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blob))
			// Recorded before the release: otherwise a released chunk
			// could be recorded first, and the order seen would be the
			// scheduler's, not the server's.
			served <- c
			if c == 3 {
				reorderOnce.Do(func() { close(release) })
			}
			return true
		}, wantRanged: true, check: func(t *testing.T, s *blobServer) {
			var order []int64
			for len(served) > 0 {
				order = append(order, <-served)
			}
			pos := map[int64]int{}
			for i, c := range order {
				pos[c] = i
			}
			if pos[3] > pos[0] || pos[3] > pos[1] {
				t.Errorf("served in order %v; the test wanted 3 before 0 and 1", order)
			}
		}},
		{name: "every chunk fails once (503)", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c > 0 && n == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return true
			}
			return false
		}, wantRanged: true, check: func(t *testing.T, s *blobServer) {
			for c := int64(1); c < chunks; c++ {
				if n := s.count(c); n != 2 {
					t.Errorf("chunk %d asked %d times, want 2", c, n)
				}
			}
		}},
		{name: "a chunk cut mid-body, then short", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c != 2 || n > 2 {
				return false
			}
			a := 2 * chunk
			if n == 1 { // the right headers, half the body, connection cut
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+chunk-1, len(blob)))
				w.Header().Set("Content-Length", strconv.Itoa(chunk))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(blob[a : a+chunk/2])
				http.NewResponseController(w).Flush()
				drop(w)
				return true
			}
			// a well-formed response that is short: it claims and
			// sends half the range
			partial(w, int64(a), int64(a+chunk/2-1), len(blob), blob[a:a+chunk/2])
			return true
		}, wantRanged: true, check: func(t *testing.T, s *blobServer) {
			if n := s.count(2); n != 3 {
				t.Errorf("chunk 2 asked %d times, want 3", n)
			}
		}},
		{name: "chunk 0 (read as it arrives) cut mid-body", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c != 0 {
				return false
			}
			if n == 1 {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", chunk-1, len(blob)))
				w.Header().Set("Content-Length", strconv.Itoa(chunk))
				w.WriteHeader(http.StatusPartialContent)
				w.Write(blob[:chunk/2+7])
				http.NewResponseController(w).Flush()
				drop(w)
				return true
			}
			restAt.Store(rangeStart(r))
			return false
		}, wantRanged: true, check: func(t *testing.T, s *blobServer) {
			// Read as it arrives, the rest of chunk 0 is asked for
			// from where the cut one stopped, not from its start;
			// buffered, chunk 0 is retried whole like any chunk.
			want := int64(chunk/2 + 7)
			if buffered {
				want = 0
			}
			if n, at := s.count(0), restAt.Load(); n != 2 || at != want {
				t.Errorf("chunk 0 asked %d times, the second from byte %d; want 2, from %d", n, at, want)
			}
		}},
		{name: "chunk 0 longer than asked", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c != 0 {
				return false
			}
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", chunk-1, len(blob)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(blob[:chunk+10]) // no Content-Length: the body is what comes
			return true
		}, wantRanged: true, wantErr: longFirst},
		{name: "a chunk answered with the whole blob", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c == 5 {
				w.Write(blob)
				return true
			}
			return false
		}, wantRanged: true},
		{name: "a chunk always failing", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c == 4 {
				http.Error(w, "boom", http.StatusInternalServerError)
				return true
			}
			return false
		}, wantRanged: true, wantErr: fmt.Sprintf("blob: bytes %d-%d: %d attempts: status 500", 4*chunk, 5*chunk-1, rangeAttempts), check: func(t *testing.T, s *blobServer) {
			if n := s.count(4); n != rangeAttempts {
				t.Errorf("chunk 4 asked %d times, want %d", n, rangeAttempts)
			}
		}},
		{name: "a chunk not found", h: func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
			if c == 4 {
				http.Error(w, "gone", http.StatusNotFound)
				return true
			}
			return false
		}, wantRanged: true, wantErr: "status 404", check: func(t *testing.T, s *blobServer) {
			if n := s.count(4); n != 1 {
				t.Errorf("chunk 4 asked %d times; a 404 is not retried", n)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newBlobServer(t, blob, chunk, c.h)
			f := s.fetcher(opts)
			rc, ranged, err := f.open(context.Background(), buffered)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if ranged != c.wantRanged {
				t.Errorf("ranged = %v, want %v", ranged, c.wantRanged)
			}
			if c.wantErr == "" {
				if err != nil || !bytes.Equal(got, blob) {
					t.Fatalf("read %d bytes (equal: %v), err %v; want the %d bytes of the blob", len(got), bytes.Equal(got, blob), err, len(blob))
				}
			} else if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line with %q", err, c.wantErr)
			}
			if c.check != nil {
				c.check(t, s)
			}
			if len(f.conns) != 0 {
				t.Errorf("%d connections of the budget not given back", len(f.conns))
			}
		})
	}
}

// TestRangedFetchStreamsFirstChunk: the first chunk's bytes reach the
// reader as they arrive: with half of chunk 0 sent and the rest held
// until the reader has that half, the read completes (a reader that
// waited for the whole chunk would wait for ever).
func TestRangedFetchStreamsFirstChunk(t *testing.T) {
	const chunk = 64 << 10
	blob := randomBlob(3*chunk, 9)
	gotHalf := make(chan struct{})
	s := newBlobServer(t, blob, chunk, func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
		if c != 0 {
			return false
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", chunk-1, len(blob)))
		w.Header().Set("Content-Length", strconv.Itoa(chunk))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(blob[:chunk/2])
		http.NewResponseController(w).Flush()
		select {
		case <-gotHalf:
		case <-r.Context().Done():
			return true
		}
		w.Write(blob[chunk/2 : chunk])
		return true
	})
	f := s.fetcher(RangedOptions{ChunkSize: chunk, PerBlob: 2})
	rc, ranged, err := f.open(context.Background(), false)
	if err != nil || !ranged {
		t.Fatalf("open: ranged %v, err %v", ranged, err)
	}
	defer rc.Close()
	half := make([]byte, chunk/2)
	err = registrytest.Within(t, 10*time.Second, "the first half of chunk 0 was not readable before the rest of it came", func() error {
		_, err := io.ReadFull(rc, half)
		return err
	})
	if err != nil || !bytes.Equal(half, blob[:chunk/2]) {
		t.Fatalf("first half: err %v, equal %v", err, bytes.Equal(half, blob[:chunk/2]))
	}
	close(gotHalf)
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(rest, blob[chunk/2:]) {
		t.Fatalf("rest: %d bytes, err %v", len(rest), err)
	}
}

// TestRangedFetchRefusesBadFirstRange: a 206 whose Content-Range is not
// the range asked for, or missing, means no ranges: the caller falls back
// to one stream.
func TestRangedFetchRefusesBadFirstRange(t *testing.T) {
	blob := randomBlob(100<<10, 2)
	for _, cr := range []string{"", "bytes 0-99/102400", "bytes 1-16384/102400", "bytes 0-16383/5"} {
		t.Run(cr, func(t *testing.T) {
			s := newBlobServer(t, blob, 16<<10, func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
				if cr != "" {
					w.Header().Set("Content-Range", cr)
				}
				w.WriteHeader(http.StatusPartialContent)
				w.Write(blob[:16<<10])
				return true
			})
			f := s.fetcher(RangedOptions{ChunkSize: 16 << 10})
			rc, _, err := f.open(context.Background(), false)
			if rc != nil {
				rc.Close()
			}
			if !errors.Is(err, errNoRanges) {
				t.Fatalf("err = %v, want errNoRanges", err)
			}
			if len(f.conns) != 0 {
				t.Errorf("%d connections of the budget not given back", len(f.conns))
			}
		})
	}
}

// goroutineCount settles s's idle connections and counts goroutines.
func goroutineCount(s *blobServer) int {
	s.Client().Transport.(*http.Transport).CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	return runtime.NumGoroutine()
}

// openCancelable opens a ranged fetch from s, 4 chunks at once, under a
// context the caller cancels.
func openCancelable(t *testing.T, s *blobServer, buffered bool) (*rangeFetcher, io.ReadCloser, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := s.fetcher(RangedOptions{ChunkSize: s.chunk, PerBlob: 4})
	rc, ranged, err := f.open(ctx, buffered)
	if err != nil || !ranged {
		t.Fatalf("open: ranged %v, err %v", ranged, err)
	}
	return f, rc, cancel
}

// waitReleased waits up to 5 s for the goroutines to drop back to before
// and f's connections to come back, and fails with every stack if not.
func waitReleased(t *testing.T, s *blobServer, f *rangeFetcher, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := goroutineCount(s)
		if n <= before && len(f.conns) == 0 {
			return
		}
		if time.Now().After(deadline) {
			stacks := make([]byte, 1<<20)
			stacks = stacks[:runtime.Stack(stacks, true)]
			t.Fatalf("%d goroutines (%d before the fetch), %d connections held:\n%s", n, before, len(f.conns), stacks)
		}
	}
}

// TestRangedFetchCancel: cancelling the context mid-blob ends Read with
// context.Canceled at once, and Close leaves no goroutine behind.
func TestRangedFetchCancel(t *testing.T) {
	const chunk = 16 << 10
	blob := randomBlob(20*chunk, 3)
	s := newBlobServer(t, blob, chunk, func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
		if c >= 2 { // hangs until the client goes away
			<-r.Context().Done()
			return true
		}
		return false
	})
	before := goroutineCount(s)
	f, rc, cancel := openCancelable(t, s, false)
	buf := make([]byte, 2*chunk)
	if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, blob[:2*chunk]) {
		t.Fatalf("first two chunks: err %v", err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	err := registrytest.Within(t, 5*time.Second, "Read ignores the cancellation", func() error {
		_, err := rc.Read(buf)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel: %v, want context.Canceled", err)
	}
	rc.Close()
	if len(f.conns) != 0 {
		t.Errorf("%d connections of the budget not given back", len(f.conns))
	}
	waitReleased(t, s, f, before)
}

// TestRangedPrefetchAbandoned: a prefetch (a buffered open) that is
// never read nor closed, as when the walk fails before it reaches the
// layer, gives its connections back and leaves no goroutine behind once
// its context ends, whether its first chunk had arrived or was hanging.
func TestRangedPrefetchAbandoned(t *testing.T) {
	const chunk = 16 << 10
	blob := randomBlob(20*chunk, 4)
	s := newBlobServer(t, blob, chunk, func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
		if c == 0 || c == 2 { // headers, half a chunk, then hangs
			a := c * chunk
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+chunk-1, len(blob)))
			w.Header().Set("Content-Length", strconv.Itoa(chunk))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(blob[a : a+chunk/2])
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
			return true
		}
		return false
	})
	before := goroutineCount(s)
	f, _, cancel := openCancelable(t, s, true)
	time.Sleep(100 * time.Millisecond) // chunks 1 and 3 arrive, 0 and 2 hang
	cancel()
	waitReleased(t, s, f, before)
}

// TestRangedFetchUsesHTTP1: against a TLS server that speaks HTTP/2, the
// ranged client's requests go over HTTP/1.1, so that concurrent ranges
// get their own TCP connections instead of sharing one.
func TestRangedFetchUsesHTTP1(t *testing.T) {
	const chunk = 16 << 10
	blob := randomBlob(8*chunk, 4)
	var mu sync.Mutex
	protos := map[string]int{}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos[r.Proto]++
		mu.Unlock()
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(blob))
	}))
	s.EnableHTTP2 = true
	s.StartTLS()
	t.Cleanup(s.Close)
	for _, c := range []struct {
		rt   http.RoundTripper
		want string
	}{{s.Client().Transport, "HTTP/2.0"}, {http1Only(s.Client().Transport), "HTTP/1.1"}} {
		clear(protos)
		opts := RangedOptions{ChunkSize: chunk}.withDefaults()
		f := &rangeFetcher{client: &http.Client{Transport: c.rt}, url: s.URL, size: int64(len(blob)), opts: opts, conns: make(chan struct{}, opts.Total), backoff: time.Millisecond, name: "blob"}
		rc, ranged, err := f.open(context.Background(), false)
		if err != nil || !ranged {
			t.Fatalf("open: ranged %v, err %v", ranged, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("read: %v", err)
		}
		mu.Lock()
		if protos[c.want] != 8 || len(protos) != 1 {
			t.Errorf("requests by protocol %v, want 8 over %s", protos, c.want)
		}
		mu.Unlock()
	}
}

// TestRangedFetchHugeClaimedSize: a manifest and a registry that claim a
// blob of a terabyte cost what the chunks in flight cost, not a slot per
// chunk of the claim; the first chunk the registry cannot serve ends the
// read in one line.
func TestRangedFetchHugeClaimedSize(t *testing.T) {
	const chunk = 16 << 10
	blob := randomBlob(4*chunk, 5)
	s := newBlobServer(t, blob, chunk, func(c int64, n int, w http.ResponseWriter, r *http.Request) bool {
		if c >= 4 {
			http.Error(w, "no such range", http.StatusNotFound)
			return true
		}
		a := c * chunk
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/*", a, a+chunk-1))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(blob[a : a+chunk])
		return true
	})
	f := s.fetcher(RangedOptions{ChunkSize: chunk, PerBlob: 4})
	f.size = 1 << 40 // 2^26 chunks
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rc, ranged, err := f.open(context.Background(), false)
	if err != nil || !ranged {
		t.Fatalf("open: ranged %v, err %v", ranged, err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if !bytes.Equal(got, blob) || err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Fatalf("read %d bytes, err %v; want the 4 served chunks, then the 404", len(got), err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("allocated %d MB for a claim of 2^26 chunks", grew>>20)
	}
}
