package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imgdiff/imgdiff/layers/engine/enginetest"
	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

// asMainEnv makes the test binary run imgdiff's main instead of the tests
// (TestMain checks it), so the interrupt tests signal a real process
// without building one.
const asMainEnv = "IMGDIFF_TEST_AS_MAIN"

// interrupted runs imgdiff with args in a child process, sends it SIGINT
// once ready() says the run has reached the stage under test, and checks
// the contract: exit 130, one "interrupted" line on stderr, nothing on
// stdout, within a second of the signal, and no file left in its temp or
// cache directory.
func interrupted(t *testing.T, env []string, ready func() bool, args ...string) {
	t.Helper()
	tmp, cache := t.TempDir(), t.TempDir()
	env = append([]string{asMainEnv + "=1", "TMPDIR=" + tmp, "IMGDIFF_CACHE_DIR=" + cache, "NO_COLOR=1"}, env...)
	cmd, out, errOut := startProcess(t, append(os.Environ(), env...), os.Args[0], args...)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// The deadline only catches a run that hangs: under the race
	// detector on a loaded machine, reading the demo image before the
	// stage under test took over a minute.
	deadline := time.Now().Add(5 * time.Minute)
	for !ready() {
		select {
		case err := <-done:
			t.Fatalf("imgdiff ended before the stage under test (%v): %s", err, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done // the streams' copies have ended: errOut is ours to read
			t.Fatalf("imgdiff never reached the stage under test: %s", errOut.String())
		}
	}
	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("imgdiff still running 30 s after SIGINT")
	}
	took := time.Since(signalled)
	t.Logf("exited %v after SIGINT", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("imgdiff took %v to stop after SIGINT, want at most 1 s", took)
	}
	var ee *exec.ExitError
	if code := 0; err != nil {
		if !asExit(err, &ee) {
			t.Fatal(err)
		}
		code = ee.ExitCode()
		if code != 130 {
			t.Errorf("exit %d after SIGINT, want 130; stderr %q", code, errOut.String())
		}
	} else {
		t.Errorf("exit 0 after SIGINT, want 130; stdout %d bytes", out.Len())
	}
	if out.Len() != 0 {
		t.Errorf("a report after SIGINT: %.200q", out.String())
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "interrupted") {
		t.Errorf("stderr does not end with the interrupt line: %q", errOut.String())
	}
	for _, dir := range []string{tmp, cache} {
		var left []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) > 0 {
			t.Errorf("files left after the interrupt: %v", left)
		}
	}
}

// startProcess starts bin with args in the environment env and returns
// the running command and the buffers its stdout and stderr fill.
func startProcess(t *testing.T, env []string, bin string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errOut
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// TestInterruptWhileSavingFromTheEngine: SIGINT while the engine streams
// `docker save` (opening the image): exit 130 and the save's temp file
// removed.
func TestInterruptWhileSavingFromTheEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	var streamed atomic.Int64
	stop := make(chan struct{})
	sock := enginetest.Serve(t, "docker.sock", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_ping" || strings.HasSuffix(r.URL.Path, "/_ping"):
			io.WriteString(w, "OK")
		case strings.HasSuffix(r.URL.Path, "/images/my-app:single/json"):
			io.WriteString(w, `{"Id":"sha256:`+strings.Repeat("ab", 32)+`"}`)
		case strings.HasSuffix(r.URL.Path, "/images/get"):
			// A save that never ends: 64 kB of a tar every 20 ms.
			chunk := make([]byte, 64<<10)
			for {
				n, err := w.Write(chunk)
				streamed.Add(int64(n))
				if err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-stop:
					return
				case <-r.Context().Done():
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(stop) }) // before the server closes: the save ends

	interrupted(t, []string{"DOCKER_HOST=unix://" + sock}, func() bool { return streamed.Load() > 256<<10 },
		"analyze", "docker-daemon:my-app:single")
}

// TestInterruptWhileDownloading: SIGINT while a registry blob trickles in.
func TestInterruptWhileDownloading(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	reg := registrytest.Handler()
	img, err := random.Image(8<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	ls, _ := img.Layers()
	blob, _ := ls[0].Digest()
	var served atomic.Int64
	host := registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+blob.String()) {
			reg.ServeHTTP(w, r)
			return
		}
		trickle(w, r, reg, 32<<10, 20*time.Millisecond, &served) // the 8 MB blob takes 5 s
	}))
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: v1.RootFS{Type: "layers", DiffIDs: mustDiffIDs(t, img)}})
	if err != nil {
		t.Fatal(err)
	}
	registrytest.Push(t, host+"/slow/app:1", img)
	interrupted(t, nil, func() bool { return served.Load() > 256<<10 },
		"analyze", "--platform", "linux/amd64", "docker://"+host+"/slow/app:1")
}

// trickle serves h's answer to r slowly: chunk bytes, then a pause, until
// the body is sent or the client goes away; sent counts the bytes written.
func trickle(w http.ResponseWriter, r *http.Request, h http.Handler, chunk int, pause time.Duration, sent *atomic.Int64) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	for len(body) > 0 {
		n := min(len(body), chunk)
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		sent.Add(int64(n))
		body = body[n:]
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(pause):
		}
	}
}

func mustDiffIDs(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf.RootFS.DiffIDs
}

// hugeGzipLayer is one gzip layer holding a single file of size GB of
// zeros, as a multi-member gzip stream made of one compressed 16 MB
// member repeated: a few MB on disk, minutes of decompression, no time to
// build. Its diffID is only claimed (imgdiff verifies the blob digest of a
// compressed layer, not its diffID).
type hugeGzipLayer struct {
	blob   []byte
	digest v1.Hash
}

func newHugeGzipLayer(t *testing.T, size int64) *hugeGzipLayer {
	t.Helper()
	const chunk = 16 << 20
	if size%chunk != 0 {
		t.Fatalf("size %d is not a multiple of %d", size, chunk)
	}
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: "huge.bin", Mode: 0o644, Size: size, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	tw.Flush() // the header only: the body follows in the zero members
	var blob bytes.Buffer
	blob.Write(member(hdr.Bytes()))
	zeros := member(make([]byte, chunk))
	for range size / chunk {
		blob.Write(zeros)
	}
	blob.Write(member(make([]byte, 1024))) // end of archive (the body needs no padding)
	sum := sha256.Sum256(blob.Bytes())
	return &hugeGzipLayer{blob: blob.Bytes(), digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}
}

func (l *hugeGzipLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *hugeGzipLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0d", 32)}, nil
}
func (l *hugeGzipLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}
func (l *hugeGzipLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, fmt.Errorf("not needed: layouts store the compressed blob")
}
func (l *hugeGzipLayer) Size() (int64, error)                { return int64(len(l.blob)), nil }
func (l *hugeGzipLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

// TestInterruptInsideAHugeFile: SIGINT while the walker decompresses one
// 64 GB file (a 4 MB gzip layer in an OCI layout). The walk checks its
// context per decoded block, not per tar entry, so it stops at once.
func TestInterruptInsideAHugeFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: newHugeGzipLayer(t, 64<<30)})
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: v1.RootFS{Type: "layers", DiffIDs: mustDiffIDs(t, img)}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	interrupted(t, nil, func() bool { return time.Since(start) > 1500*time.Millisecond }, "analyze", "oci:"+dir)
}

// TestInterruptWhileVerifying: SIGINT while `suggest --verify` waits for
// the two containers (a fake docker CLI whose `docker wait` never ends):
// exit 130 within a second, and every container and the temporary image
// removed (the fake CLI's log of calls).
func TestInterruptWhileVerifying(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	img, err := imagetest.Build(imagetest.DemoSingle())
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "single.tar")
	if err := tarball.WriteToFile(archive, name.MustParseReference("demo:single"), img); err != nil {
		t.Fatal(err)
	}
	df := filepath.Join(dir, "Dockerfile.single")
	if err := os.WriteFile(df, []byte(imagetest.DemoSingleDockerfile()), 0o644); err != nil {
		t.Fatal(err)
	}
	docker, err := filepath.Abs("../suggestcmd/testdata/fakedocker.sh")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "docker.log")
	calls := func() string { b, _ := os.ReadFile(log); return string(b) }
	// The cache is off: the original was read in full before the
	// interrupt, and its complete cache entries are not leftovers.
	interrupted(t, []string{"FAKE_LOG=" + log, "FAKE_VERSION=20.10.24", "FAKE_WAIT_SLEEP=1", "IMGDIFF_NO_CACHE=1"},
		func() bool { return strings.Count(calls(), " wait imgdiff-verify-") == 2 },
		"suggest", "--no-config", "docker-archive:"+archive, "--dockerfile", df, "--verify", "--docker", docker)
	got := calls()
	for _, re := range []string{
		`(?m)^DOCKER_BUILDKIT= rm --force imgdiff-verify-[0-9a-f]{12}-original$`,
		`(?m)^DOCKER_BUILDKIT= rm --force imgdiff-verify-[0-9a-f]{12}-suggested$`,
		`(?m)^DOCKER_BUILDKIT= rmi imgdiff-verify-[0-9a-f]{12}:suggested$`,
	} {
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("no call matching %s after the interrupt:\n%s", re, got)
		}
	}
}
