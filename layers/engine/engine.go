// Package engine is the client of the local Docker Engine API that the
// docker-daemon source uses: whether an engine answers, whether it holds an
// image, and `docker save` streamed to a writer or into an unlinked temp
// file. It knows HTTP over a unix socket or TCP and the engine's error
// bodies; it knows nothing of image formats: package layers reads what
// Save writes with package dockerarchive.
package engine

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
	"time"
)

// Client is a minimal Docker Engine API client: ping, inspect and save are
// all imgdiff needs, so it does without the moby client and its deps.
type Client struct {
	host   string // as configured, for errors
	base   string // URL prefix
	client *http.Client
}

// New makes a client of the engine at dockerHost, or $DOCKER_HOST, or the
// default socket. It does not connect yet.
func New(dockerHost string) (*Client, error) {
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
	e := &Client{host: dockerHost}
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

func (e *Client) get(ctx context.Context, path string) (*http.Response, error) {
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

// Ping reports whether the engine answers within timeout.
func (e *Client) Ping(ctx context.Context, timeout time.Duration) error {
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

// ErrNoSuchImage is the engine's 404 for an image.
var ErrNoSuchImage = errors.New("no such image in the docker engine")

// Has returns nil when the engine holds the image, an error wrapping
// ErrNoSuchImage when it does not.
func (e *Client) Has(ctx context.Context, name string) error {
	resp, err := e.get(ctx, "/images/"+url.PathEscape(name)+"/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return engineStatus(resp, name)
}

// Save streams `docker save names...` into w.
func (e *Client) Save(ctx context.Context, names []string, w io.Writer) error {
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
		return fmt.Errorf("%w: %s", ErrNoSuchImage, name)
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
