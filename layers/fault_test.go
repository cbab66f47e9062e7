package layers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	regsource "github.com/imgdiff/imgdiff/layers/registry"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// faultProxy is a reverse proxy on 127.0.0.1 in front of ggcr's in-process
// registry that injects one kind of fault.
type faultProxy struct {
	host     string
	requests atomic.Int32
}

// fault decides, for the n-th request (from 1), whether to inject a fault
// and does it; it returns false to pass the request to the registry.
// upstream is the registry's base URL.
type fault func(n int32, w http.ResponseWriter, r *http.Request, upstream string) bool

func newFaultProxy(t *testing.T, f fault) *faultProxy {
	t.Helper()
	p := &faultProxy{}
	var on atomic.Bool // faults start once the image is pushed
	var upstream string
	upstream, p.host = registrytest.Proxied(t, func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		return on.Load() && f(p.requests.Add(1), w, r, "http://"+upstream)
	})
	registrytest.Push(t, p.host+"/app:1", testImage(t, "amd64"))
	on.Store(true)
	return p
}

func isBlob(r *http.Request) bool { return strings.Contains(r.URL.Path, "/blobs/") }

// TestRegistryFaults: registry faults are retried with backoff, honouring
// Retry-After, a bounded number of times; a run recovers, or fails with one
// line and no result.
func TestRegistryFaults(t *testing.T) {
	want := layoutFigures(t, testImage(t, "amd64"))

	cases := []struct {
		name    string
		f       fault
		ok      bool
		wantErr string
		minWait time.Duration // the run must have waited at least this
	}{
		{"503 for the first 3 requests", func(n int32, w http.ResponseWriter, r *http.Request, _ string) bool {
			if n <= 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return true
			}
			return false
		}, true, "", 0},
		{"429 with Retry-After: 1", func(n int32, w http.ResponseWriter, r *http.Request, _ string) bool {
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
				return true
			}
			return false
		}, true, "", time.Second},
		{"connections dropped", func(n int32, w http.ResponseWriter, r *http.Request, _ string) bool {
			if n%2 == 1 && n < 8 {
				registrytest.Drop(w)
				return true
			}
			return false
		}, true, "", 0},
		{"blob GETs dropped twice each", func(n int32, w http.ResponseWriter, r *http.Request, _ string) bool {
			if isBlob(r) && r.Method == http.MethodGet && n < 12 && n%3 != 0 {
				registrytest.Drop(w)
				return true
			}
			return false
		}, true, "", 0},
		{"always 503", func(n int32, w http.ResponseWriter, r *http.Request, _ string) bool {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return true
		}, false, "503", 0},
		{"blob truncated mid-stream", func(n int32, w http.ResponseWriter, r *http.Request, upstream string) bool {
			if !isBlob(r) || r.Method != http.MethodGet {
				return false
			}
			return truncateBlob(w, r, upstream)
		}, false, "unexpected EOF", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newFaultProxy(t, c.f)
			start := time.Now()
			o := Options{Jobs: 2, RetryBackoff: 10 * time.Millisecond}
			img, err := Open(context.Background(), "docker://"+p.host+"/app:1", o)
			var got []string
			if err == nil {
				walked, werr := Walk(context.Background(), WalkOptions{Jobs: 2}, img)
				img.Close()
				err = werr
				if walked != nil {
					got = append(got, figures(walked[0]))
				}
			}
			elapsed := time.Since(start)
			if c.ok {
				if err != nil || len(got) != 1 || got[0] != want {
					t.Fatalf("did not recover: err %v, figures %v", err, got)
				}
				if elapsed < c.minWait {
					t.Errorf("took %s; Retry-After asked for %s", elapsed, c.minWait)
				}
				return
			}
			if err == nil || got != nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v (result %v), want one line with %q and no result", err, got, c.wantErr)
			}
			if n := p.requests.Load(); n > 3*regsource.RetryAttempts {
				t.Errorf("%d requests: retries are not bounded", n)
			}
		})
	}
}

// truncateBlob proxies a blob GET itself: the real headers and length,
// half the body, then the connection is cut.
func truncateBlob(w http.ResponseWriter, r *http.Request, upstream string) bool {
	resp, err := http.Get(upstream + r.URL.Path)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) < 100 {
		return false // config and small blobs pass: cut the layers
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush()
	registrytest.Drop(w)
	return true
}

// hangingRegistry answers the registry ping and then never answers
// manifests (hangManifests) or sends blobs forever, a byte at a time,
// until the client goes away.
func hangingRegistry(t *testing.T, hangManifests bool) string {
	t.Helper()
	img := testImage(t, "amd64")
	ls, _ := img.Layers()
	blobs := map[string][]byte{}
	for _, l := range ls {
		d, _ := l.Digest()
		rc, _ := l.Compressed()
		blobs[d.String()], _ = io.ReadAll(rc)
		rc.Close()
	}
	layerOf := func(r *http.Request) []byte {
		return blobs[r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]]
	}
	p := newFaultProxy(t, func(n int32, w http.ResponseWriter, r *http.Request, _ string) bool {
		switch {
		case hangManifests && strings.Contains(r.URL.Path, "/manifests/"):
			<-r.Context().Done()
			return true
		case !hangManifests && layerOf(r) != nil && r.Method == http.MethodGet:
			slow := layerOf(r)
			w.Header().Set("Content-Length", strconv.Itoa(len(slow)))
			w.WriteHeader(http.StatusOK)
			rc := http.NewResponseController(w)
			// The real layer, a byte every 100ms: tens of seconds.
			for i := 0; i < len(slow) && r.Context().Err() == nil; i++ {
				w.Write(slow[i : i+1])
				rc.Flush()
				time.Sleep(100 * time.Millisecond)
			}
			return true
		}
		return false
	})
	return p.host
}

// TestInterruptWhileOpening pins issue 13 defect 4: Ctrl-C while images are
// opening ends the open at once with an error that is still
// context.Canceled (cmd maps it to exit 130), in one line, and the first
// failure of several opens cancels the others.
func TestInterruptWhileOpening(t *testing.T) {
	host := hangingRegistry(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err := registrytest.Within(t, 5*time.Second, "open ignores the interrupt", func() error {
		_, err := OpenAll(ctx, []string{"docker://" + host + "/app:1"}, Options{Jobs: 1})
		return err
	})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v, want one line that is context.Canceled", err)
	}

	// One image fails at once, the other hangs: the failure cancels it.
	missing := filepath.Join(t.TempDir(), "missing.tar")
	err = registrytest.Within(t, 5*time.Second, "one failed open does not cancel the others", func() error {
		_, err := OpenAll(context.Background(), []string{"docker://" + host + "/app:1", missing}, Options{Jobs: 1})
		return err
	})
	if err == nil || !strings.HasPrefix(err.Error(), missing+": ") {
		t.Errorf("err = %v, want the missing file's error", err)
	}
}

// TestInterruptStopsDownload pins issue 13 defect 4: cancelling the walk
// stops a registry download (the layer is fetched with the walk's
// context, not the one the image was opened with).
func TestInterruptStopsDownload(t *testing.T) {
	host := hangingRegistry(t, false)
	img, err := Open(context.Background(), "docker://"+host+"/app:1", Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	err = registrytest.Within(t, 5*time.Second, "the walk's cancellation does not stop the download", func() error {
		_, err := Walk(ctx, WalkOptions{Jobs: 2}, img)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
