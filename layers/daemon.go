package layers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// engine is a minimal Docker Engine API client: ping, inspect and save are
// all imgdiff needs, so it does without the moby client and its deps.
type engine struct {
	host   string // as configured, for errors
	base   string // URL prefix
	client *http.Client
}

// newEngine connects to dockerHost, or $DOCKER_HOST, or the default socket.
func newEngine(dockerHost string) (*engine, error) {
	if dockerHost == "" {
		dockerHost = os.Getenv("DOCKER_HOST")
	}
	if dockerHost == "" {
		dockerHost = "unix:///var/run/docker.sock"
	}
	u, err := url.Parse(dockerHost)
	if err != nil {
		return nil, fmt.Errorf("DOCKER_HOST %q: %w", dockerHost, err)
	}
	e := &engine{host: dockerHost}
	tr := &http.Transport{DisableCompression: true}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		e.base = "http://docker"
	case "tcp", "http":
		if os.Getenv("DOCKER_TLS_VERIFY") != "" {
			return nil, fmt.Errorf("DOCKER_HOST %q: TLS to the engine is not supported; use a unix socket or an SSH tunnel", dockerHost)
		}
		e.base = "http://" + u.Host
	default:
		return nil, fmt.Errorf("DOCKER_HOST %q: unsupported scheme %q (want unix:// or tcp://)", dockerHost, u.Scheme)
	}
	e.client = &http.Client{Transport: tr}
	return e, nil
}

func (e *engine) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("docker engine at %s does not answer: %w", e.host, unwrapURLError(err))
	}
	return resp, nil
}

// ping reports whether an engine answers within a short time.
func (e *engine) ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := e.get(ctx, "/_ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker engine at %s: ping: %s", e.host, resp.Status)
	}
	return nil
}

// errNoSuchImage is the engine's 404 for an image.
var errNoSuchImage = errors.New("no such image in the docker engine")

// has reports whether the engine holds the image.
func (e *engine) has(ctx context.Context, name string) error {
	resp, err := e.get(ctx, "/images/"+url.PathEscape(name)+"/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return engineStatus(resp, name)
}

// save streams `docker save names...` into w.
func (e *engine) save(ctx context.Context, names []string, w io.Writer) error {
	q := url.Values{"names": names}
	resp, err := e.get(ctx, "/images/get?"+q.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	all := strings.Join(names, " ")
	if err := engineStatus(resp, all); err != nil {
		return err
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("docker save %s: %w", all, unwrapURLError(err))
	}
	return nil
}

func engineStatus(resp *http.Response, name string) error {
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", errNoSuchImage, name)
	case resp.StatusCode != http.StatusOK:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		msg := strings.TrimSpace(string(b))
		if m := jsonMessage(b); m != "" {
			msg = m
		}
		return fmt.Errorf("docker engine: %s: %s", resp.Status, msg)
	}
	return nil
}

// jsonMessage extracts {"message": "..."} from an engine error body.
func jsonMessage(b []byte) string {
	s := string(b)
	i := strings.Index(s, `"message":"`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`"message":"`):]
	if j := strings.Index(s, `"`); j >= 0 {
		return s[:j]
	}
	return ""
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// openDaemon saves the images from the engine, in one `docker save` so
// layers they share cross the socket and the disk once, into a temp file,
// and reads each as a docker save archive. The file is unlinked as soon as
// it is created, so it disappears with the process whatever happens
// (error, Ctrl-C, kill); the open descriptor keeps it readable meanwhile.
func openDaemon(ctx context.Context, e *engine, names []string, o Options) ([]*Image, error) {
	for _, n := range names {
		if err := e.has(ctx, n); err != nil {
			return nil, err
		}
	}
	f, err := os.CreateTemp(o.TempDir, "imgdiff-save-*.tar")
	if err != nil {
		return nil, fmt.Errorf("temp file for docker save: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("temp file for docker save: %w", err)
	}
	var w io.Writer = f
	if o.SaveProgress != nil {
		w = &progressWriter{w: f, report: o.SaveProgress}
	}
	if err := e.save(ctx, names, w); err != nil {
		f.Close()
		return nil, err
	}
	s, err := newTarStore(f, "docker save")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("docker save %s: %w", strings.Join(names, " "), err)
	}
	// The images share the store: the last one closed closes it.
	var mu sync.Mutex
	open := len(names)
	release := func() error {
		mu.Lock()
		defer mu.Unlock()
		if open--; open == 0 {
			return s.close()
		}
		return nil
	}
	imgs := make([]*Image, 0, len(names))
	for _, n := range names {
		img, err := openDockerArchive(s, n, o)
		if err != nil {
			for _, img := range imgs {
				img.Close()
			}
			s.close()
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		img.Transport = DockerDaemon
		for _, l := range img.Layers {
			if sl, ok := l.(*storeLayer); ok {
				sl.engine = true
			}
		}
		img.onClose(release)
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// progressWriter reports the bytes written through it.
type progressWriter struct {
	w       io.Writer
	written int64
	report  func(int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.written += int64(n)
	p.report(p.written)
	return n, err
}
