package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RangedOptions configures how big registry blobs are fetched: with
// several HTTP range requests at once (`Range: bytes=a-b`), their chunks
// fed in order into the one decompressor and the one SHA-256 the walk
// uses. A registry is often limited to tens of MB/s per connection, less
// than a core decompresses; several connections lift that limit.
//
// Memory: each ranged blob holds at most PerBlob+1 chunks: PerBlob
// fetched or being fetched, and the one being read ((4+1) × 8 MiB by
// default). Connections: each blob opens at most
// PerBlob at once, and all ranged blobs of one Open or OpenAll together
// at most Total. The walk's Jobs still bounds how many layers are read
// (decompressed and indexed) at once, one job per layer; the connections
// are a separate, I/O budget, because a job waiting on the network uses
// no CPU.
type RangedOptions struct {
	// Threshold is the compressed size from which a blob is fetched in
	// ranges (0 = 32 MiB; < 0 = never: one stream per blob).
	Threshold int64
	// ChunkSize is the size of one range request (0 = 8 MiB).
	ChunkSize int64
	// PerBlob is how many chunks of one blob may be fetched or buffered
	// at once (0 = 4).
	PerBlob int
	// Total is how many range requests may be in flight at once over
	// all blobs (0 = 8).
	Total int
}

// The defaults of RangedOptions, for the CLI's flags.
const (
	DefaultRangeThreshold = defaultRangeThreshold
	DefaultRangeTotal     = defaultRangeTotal
)

const (
	defaultRangeThreshold = 32 << 20
	defaultRangeChunk     = 8 << 20
	defaultRangePerBlob   = 4
	defaultRangeTotal     = 8
	// rangeAttempts bounds the tries of one chunk (a failed request, a
	// retryable status, a short or over-long body).
	rangeAttempts = 5
)

// withDefaults fills in the zero fields.
func (r RangedOptions) withDefaults() RangedOptions {
	if r.Threshold == 0 {
		r.Threshold = defaultRangeThreshold
	}
	if r.ChunkSize <= 0 {
		r.ChunkSize = defaultRangeChunk
	}
	if r.PerBlob <= 0 {
		r.PerBlob = defaultRangePerBlob
	}
	if r.Total <= 0 {
		r.Total = defaultRangeTotal
	}
	return r
}

// errNoRanges says the server does not serve this blob in ranges: the
// caller fetches it in one stream.
var errNoRanges = errors.New("registry does not serve ranges")

// rangeFetcher fetches one blob of a known size in chunks.
type rangeFetcher struct {
	client  *http.Client
	url     string // the registry's blob URL
	size    int64
	opts    RangedOptions
	conns   chan struct{} // the Total budget, shared by all blobs
	backoff time.Duration // first wait before a retry, doubling
	name    string        // for errors
	// bufs holds chunk buffers the reader is done with (nil: none are
	// recycled). Reusing them spares the page faults and zeroing of a
	// fresh 8 MiB buffer per chunk, a few percent of a CPU-bound walk;
	// it holds no more buffers than are in use at once anyway.
	bufs chan []byte
}

// chunkBuf returns a buffer of n bytes for a chunk: a recycled one when
// there is one.
func (f *rangeFetcher) chunkBuf(n int64) []byte {
	select {
	case b := <-f.bufs:
		if int64(cap(b)) >= n {
			return b[:n]
		}
	default:
	}
	return make([]byte, n)
}

// recycle hands a chunk buffer back for reuse.
func (f *rangeFetcher) recycle(b []byte) {
	if b == nil {
		return
	}
	select {
	case f.bufs <- b:
	default:
	}
}

// openRanged starts a ranged fetch. It sends the first chunk's request
// itself: when the server answers 200 (no ranges) it returns that one
// stream, ranged false; when the answer is a 206 whose Content-Range is
// not the one asked for, or the request fails, it returns errNoRanges
// (wrapped) and the caller falls back to one stream. Otherwise the
// returned reader yields the blob's bytes in order and fetches up to
// PerBlob chunks ahead. The reader does not check the digest: the caller
// wraps it in a verifier. buffered says nobody will read the stream
// before its first chunks are wanted (a prefetch): chunk 0 is then read
// into a buffer beside the others instead of in place.
func (f *rangeFetcher) open(ctx context.Context, buffered bool) (rc io.ReadCloser, ranged bool, err error) {
	if err := f.acquire(ctx); err != nil {
		return nil, false, err
	}
	end := min(f.opts.ChunkSize, f.size) - 1
	resp, err := f.get(ctx, f.url, 0, end)
	if err != nil {
		f.release()
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, fmt.Errorf("%w: %w", errNoRanges, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		// The whole blob in one stream: use it. It holds a connection
		// of the budget until closed.
		return &releaseOnClose{ReadCloser: resp.Body, release: f.release}, false, nil
	case resp.StatusCode != http.StatusPartialContent || !contentRangeIs(resp.Header.Get("Content-Range"), 0, end, f.size):
		resp.Body.Close()
		f.release()
		return nil, false, fmt.Errorf("%w: status %d, Content-Range %q for bytes 0-%d", errNoRanges, resp.StatusCode, resp.Header.Get("Content-Range"), end)
	}
	// Registries redirect blob GETs to storage; later chunks go straight
	// to where the first one was served from (a retry asks the registry
	// again, in case a signed URL expired).
	final := f.url
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL.String()
	}
	return f.start(ctx, final, resp, buffered), true, nil
}

// get sends one range request for bytes a..b (inclusive) of u.
func (f *rangeFetcher) get(ctx context.Context, u string, a, b int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", a, b))
	return f.client.Do(req)
}

func (f *rangeFetcher) acquire(ctx context.Context) error {
	select {
	case f.conns <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *rangeFetcher) release() { <-f.conns }

// contentRangeIs reports whether a Content-Range header says bytes a-b of
// a blob of size total (or of unknown size, "*").
func contentRangeIs(h string, a, b, total int64) bool {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return false
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok || (tot != "*" && tot != strconv.FormatInt(total, 10)) {
		return false
	}
	return rng == strconv.FormatInt(a, 10)+"-"+strconv.FormatInt(b, 10)
}

// chunkResult is one fetched chunk, or why it could not be.
type chunkResult struct {
	data []byte
	err  error
}

// rangedReader hands out the chunks of a blob in order while up to
// PerBlob of them are fetched ahead.
type rangedReader struct {
	cancel context.CancelFunc
	ctx    context.Context
	wg     sync.WaitGroup
	// results is a ring: chunk i arrives on results[i%PerBlob]. The
	// window keeps chunk i+PerBlob from starting before chunk i is
	// received, and each channel is buffered 1, so a sender never blocks.
	// (A channel per chunk would let a manifest that claims a huge size
	// allocate millions of them.)
	results []chan chunkResult
	window  chan struct{} // a slot per chunk fetched or buffered, not yet read
	n       int           // chunks in the blob
	next    int           // the chunk being read
	// first is chunk 0's response body, read in place while firstLeft
	// bytes of it are due; a failure part-way fetches the rest as a
	// chunk of its own.
	first     io.ReadCloser
	firstLeft int64
	// firstInRing: chunk 0 was buffered (a prefetch) and arrives on the
	// ring like any other; first is nil.
	firstInRing bool
	final       string // the URL chunk 0 was served from
	cur         []byte // what is left of it
	buf         []byte // all of it, recycled when the next one is read
	f           *rangeFetcher
	err         error // sticky
	closed      sync.Once
}

func (f *rangeFetcher) nChunks() int {
	return int((f.size + f.opts.ChunkSize - 1) / f.opts.ChunkSize)
}

// start runs the fetch; first is the open response to chunk 0, which
// holds a connection of the budget and a window slot. Chunk 0 is read as
// it arrives, not buffered: the decompressor starts after one round trip
// instead of after a whole chunk (at 40 MB/s, 8 MiB take 0.2 s, a stall
// of every layer's start), while the next chunks are fetched beside it.
// A buffered fetch (a prefetch, read later) reads chunk 0 into the ring
// like the others, so that its connection does not wait on a reader.
func (f *rangeFetcher) start(parent context.Context, final string, first *http.Response, buffered bool) *rangedReader {
	ctx, cancel := context.WithCancel(parent)
	n := f.nChunks()
	f.bufs = make(chan []byte, f.opts.PerBlob+1)
	r := &rangedReader{
		f:       f,
		cancel:  cancel,
		ctx:     ctx,
		results: make([]chan chunkResult, f.opts.PerBlob),
		window:  make(chan struct{}, f.opts.PerBlob),
		n:       n,
	}
	for i := range r.results {
		r.results[i] = make(chan chunkResult, 1)
	}
	r.window <- struct{}{} // chunk 0's slot
	_, b := f.bounds(0)
	first0 := &releaseOnClose{ReadCloser: first.Body, release: f.release}
	r.final = final
	if buffered {
		r.firstInRing = true
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			data, err := f.readChunk(first, 0, b)
			first0.Close()
			if err != nil && ctx.Err() == nil {
				// Cut or over-long: the retries any chunk gets (the
				// open request was its first attempt).
				data, err = f.fetchChunk(ctx, final, 0, 1)
			}
			r.results[0] <- chunkResult{data, err}
		}()
	} else {
		r.first = first0
		r.firstLeft = b + 1
	}
	r.wg.Add(1)
	go func() { // the dispatcher: one fetch per free window slot
		defer r.wg.Done()
		for i := 1; i < n; i++ {
			select {
			case r.window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			r.wg.Add(1)
			go func(i int) {
				defer r.wg.Done()
				data, err := f.fetchChunk(ctx, final, i, 0)
				r.results[i%len(r.results)] <- chunkResult{data, err}
			}(i)
		}
	}()
	return r
}

// bounds gives chunk i's first and last byte.
func (f *rangeFetcher) bounds(i int) (int64, int64) {
	a := int64(i) * f.opts.ChunkSize
	return a, min(a+f.opts.ChunkSize, f.size) - 1
}

// fetchChunk fetches chunk i, retrying a failed request, a retryable
// status or a body of the wrong length; tried says how many attempts
// were already spent on it. The first attempt goes to final (where the
// registry redirected the first chunk), retries to the registry's URL.
func (f *rangeFetcher) fetchChunk(ctx context.Context, final string, i, tried int) ([]byte, error) {
	a, b := f.bounds(i)
	return f.fetchRange(ctx, final, a, b, tried)
}

// fetchRange is fetchChunk for bytes a..b of the blob.
func (f *rangeFetcher) fetchRange(ctx context.Context, final string, a, b int64, tried int) ([]byte, error) {
	wait := f.backoff
	var last error
	for attempt := tried; attempt < rangeAttempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(wait << max(attempt-1, 0))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		u := final
		if attempt > 0 {
			u = f.url
		}
		data, err := f.fetchOnce(ctx, u, a, b)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var perm permanentError
		if errors.As(err, &perm) {
			return nil, fmt.Errorf("%s: bytes %d-%d: %w", f.name, a, b, perm.err)
		}
		last = err
	}
	return nil, fmt.Errorf("%s: bytes %d-%d: %d attempts: %w", f.name, a, b, rangeAttempts, last)
}

// permanentError is a chunk failure not worth retrying.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }

func (f *rangeFetcher) fetchOnce(ctx context.Context, u string, a, b int64) ([]byte, error) {
	if err := f.acquire(ctx); err != nil {
		return nil, err
	}
	defer f.release()
	resp, err := f.get(ctx, u, a, b)
	if err != nil {
		return nil, err
	}
	return f.readChunk(resp, a, b)
}

// readChunk reads bytes a..b from a response to their range request and
// closes the body. A 200 (a server that stopped honouring ranges) is read
// past the range's start; anything but exactly the range's bytes fails.
func (f *rangeFetcher) readChunk(resp *http.Response, a, b int64) ([]byte, error) {
	defer resp.Body.Close()
	body := resp.Body
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if h := resp.Header.Get("Content-Range"); !contentRangeIs(h, a, b, f.size) {
			return nil, fmt.Errorf("asked for bytes %d-%d, got Content-Range %q", a, b, h)
		}
	case http.StatusOK:
		if _, err := io.CopyN(io.Discard, body, a); err != nil {
			return nil, fmt.Errorf("whole blob instead of a range: %w", err)
		}
	default:
		err := fmt.Errorf("status %s", resp.Status)
		if !retryableStatus(resp.StatusCode) {
			return nil, permanentError{err}
		}
		return nil, err
	}
	data := f.chunkBuf(b - a + 1)
	if n, err := io.ReadFull(body, data); err != nil {
		f.recycle(data)
		return nil, fmt.Errorf("chunk ends after %d of %d bytes: %w", n, len(data), err)
	}
	if resp.StatusCode == http.StatusPartialContent {
		var one [1]byte
		if n, _ := body.Read(one[:]); n > 0 {
			f.recycle(data)
			return nil, fmt.Errorf("chunk is longer than the %d bytes asked for", len(data))
		}
	}
	return data, nil
}

func retryableStatus(code int) bool {
	for _, c := range retryStatusCodes {
		if c == code {
			return true
		}
	}
	return false
}

func (r *rangedReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.next == 0 && !r.firstInRing {
		if n := r.readFirst(p); n > 0 || r.err != nil {
			return n, r.err
		}
	}
	for len(r.cur) == 0 {
		if r.next >= r.n {
			r.err = io.EOF
			return 0, io.EOF
		}
		select {
		case res := <-r.results[r.next%len(r.results)]:
			if res.err != nil {
				r.err = res.err
				r.cancel()
				return 0, r.err
			}
			r.f.recycle(r.buf)
			r.cur, r.buf = res.data, res.data
			r.next++
			<-r.window // this chunk is out of the fetcher's hands
		case <-r.ctx.Done():
			r.err = r.ctx.Err()
			return 0, r.err
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// readFirst reads chunk 0 from its response as it arrives. It returns
// the bytes it read; 0 once chunk 0 is over: r.next moves on (to the
// ring, or to the rest of a cut chunk 0 in r.cur), or r.err is set.
func (r *rangedReader) readFirst(p []byte) int {
	for r.firstLeft > 0 {
		n, err := r.first.Read(p[:min(int64(len(p)), r.firstLeft)])
		r.firstLeft -= int64(n)
		if err != nil && r.firstLeft > 0 {
			r.fetchRestOfFirst()
			return n
		}
		if n > 0 {
			return n
		}
	}
	// All of it came; one byte more would be a chunk longer than asked.
	var one [1]byte
	m, _ := r.first.Read(one[:])
	r.first.Close()
	if m > 0 {
		_, b := r.f.bounds(0)
		r.err = fmt.Errorf("%s: bytes 0-%d: chunk is longer than the %d bytes asked for", r.f.name, b, b+1)
		r.cancel()
		return 0
	}
	r.next++
	<-r.window // chunk 0 is out of the fetcher's hands
	return 0
}

// fetchRestOfFirst fetches what a cut or failed chunk 0 did not deliver,
// with the retries a chunk gets (the cut one was its first attempt).
func (r *rangedReader) fetchRestOfFirst() {
	r.first.Close()
	_, b := r.f.bounds(0)
	a := b + 1 - r.firstLeft
	r.firstLeft = 0
	data, err := r.f.fetchRange(r.ctx, r.final, a, b, 1)
	if err != nil {
		r.err = err
		r.cancel()
		return
	}
	r.cur, r.buf = data, data
	r.next++
	<-r.window
}

// Close stops the fetches and waits for their goroutines.
func (r *rangedReader) Close() error {
	r.closed.Do(func() {
		if r.first != nil {
			r.first.Close()
		}
		r.cancel()
		// Fetchers blocked on a window slot or a connection select on
		// ctx; results channels are buffered; so all of them return.
		r.wg.Wait()
	})
	return nil
}

// releaseOnClose returns a connection to the budget when closed.
type releaseOnClose struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (r *releaseOnClose) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}
