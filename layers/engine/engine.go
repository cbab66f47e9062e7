// Package engine is the client of the local Docker Engine API that the
// docker-daemon source uses: whether an engine answers, whether it holds an
// image, and `docker save` streamed to a writer or into an unlinked temp
// file. It knows HTTP over a unix socket or TCP and the engine's error
// bodies; it knows nothing of image formats: package layers reads what
// Save writes with package dockerarchive.
package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/docker/cli/cli/connhelper"
)

// Client is a minimal Docker Engine API client: ping, inspect and save are
// all imgdiff needs, so it does without the moby client and its deps.
type Client struct {
	ep     Endpoint // as resolved, for reports and errors
	base   string   // URL prefix
	client *http.Client
	podman string // Podman's version when the engine is Podman (after Ping)
}

// New makes a client of the engine at dockerHost, or $DOCKER_HOST, or the
// default socket. It does not connect yet.
func New(dockerHost string) (*Client, error) {
	eps, err := Resolve(Env{Host: dockerHost, Getenv: os.Getenv})
	if err != nil {
		return nil, err
	}
	return NewEndpoint(eps[0])
}

// NewEndpoint makes a client of the engine ep: a unix socket, tcp://
// (with ep.TLS when set) or ssh:// (through the docker CLI's connection
// helper, which runs `ssh HOST docker system dial-stdio`). It does not
// connect yet.
func NewEndpoint(ep Endpoint) (*Client, error) {
	u, err := url.Parse(ep.Host)
	if err != nil {
		return nil, fmt.Errorf("engine %q (%s): %w", ep.Host, ep.Via, err)
	}
	e := &Client{ep: ep}
	tr := &http.Transport{DisableCompression: true, Proxy: nil}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		e.base = "http://docker"
	case "tcp", "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("engine %q (%s): no host:port", ep.Host, ep.Via)
		}
		e.base = "http://" + u.Host
		if ep.TLS != nil || u.Scheme == "https" {
			tr.TLSClientConfig = ep.TLS
			e.base = "https://" + u.Host
		}
	case "ssh":
		h, err := connhelper.GetConnectionHelper(ep.Host)
		if err != nil {
			return nil, fmt.Errorf("engine %q (%s): %w", ep.Host, ep.Via, err)
		}
		tr.DialContext = h.Dialer
		e.base = "http://docker"
	default:
		return nil, fmt.Errorf("engine %q (%s): unsupported scheme %q (want unix://, tcp:// or ssh://)", ep.Host, ep.Via, u.Scheme)
	}
	e.client = &http.Client{Transport: tr}
	return e, nil
}

// String names the engine as reports do: `docker-daemon via context
// "colima" (unix:///…)`, with Podman's version when Ping found Podman.
func (e *Client) String() string {
	s := "docker-daemon via " + e.ep.Via + " (" + e.ep.Host
	if e.podman != "" {
		s += ", Podman " + e.podman
	}
	return s + ")"
}

// Endpoint is the engine the client talks to.
func (e *Client) Endpoint() Endpoint { return e.ep }

// Podman reports whether Ping found Podman's Docker-compatible API.
func (e *Client) Podman() bool { return e.podman != "" }

func (e *Client) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s does not answer: %w", e, unwrapURLError(err))
	}
	return resp, nil
}

// Ping reports whether the engine answers within timeout; Connect names
// the engine in its errors.
func (e *Client) Ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := e.get(ctx, "/_ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ping: %s", resp.Status)
	}
	// Podman's compatible API says so on every answer. The version is
	// the engine's text and goes into every message naming the engine:
	// a real one is a few characters.
	e.podman = resp.Header.Get("Libpod-Api-Version")
	if len(e.podman) > maxVersion {
		e.podman = e.podman[:maxVersion] + "…"
	}
	return nil
}

// maxVersion bounds the Podman version an engine's header claims.
const maxVersion = 32

// maxRepoTags bounds the names of an image Inspect keeps: each is tried
// in turn against the engine's save (a hostile engine could claim a
// million, each a search of the archive's manifest).
const maxRepoTags = 64

// inspectTimeout bounds an inspect: the engine answers it from its store
// at once; one that accepts the connection and never answers would
// otherwise hold the run until it is interrupted. (Save has no such
// bound: Podman writes the whole archive before its first byte.)
var inspectTimeout = time.Minute

// ErrNoSuchImage is the engine's 404 for an image.
var ErrNoSuchImage = errors.New("no such image")

// ImageInfo is what the engine says of an image it holds.
type ImageInfo struct {
	// ID is the image ID ("sha256:…"): the config digest (a classic
	// Docker store, Podman) or the manifest's (the containerd store).
	ID string `json:"Id"`
	// RepoTags are the image's names in the engine (Podman's are
	// qualified: localhost/app:1).
	RepoTags []string
}

// Inspect asks the engine for the image name (a name, a short name the
// engine resolves its own way, an image ID or NAME@DIGEST). An image the
// engine does not hold is an error wrapping ErrNoSuchImage that names the
// engine.
func (e *Client) Inspect(ctx context.Context, name string) (ImageInfo, error) {
	var info ImageInfo
	ctx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	resp, err := e.get(ctx, "/images/"+url.PathEscape(name)+"/json")
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return info, fmt.Errorf("%s did not answer an inspect of %s in %s", e, name, inspectTimeout)
		}
		return info, err
	}
	defer resp.Body.Close()
	if err := e.status(resp, name); err != nil {
		return info, err
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&info); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return info, fmt.Errorf("%s did not answer an inspect of %s in %s", e, name, inspectTimeout)
		}
		return info, fmt.Errorf("%s: inspect %s: %w", e, name, err)
	}
	if len(info.RepoTags) > maxRepoTags {
		info.RepoTags = info.RepoTags[:maxRepoTags]
	}
	if !strings.Contains(info.ID, ":") && info.ID != "" {
		info.ID = "sha256:" + info.ID // Podman's libpod form
	}
	return info, nil
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
	if err := e.status(resp, all); err != nil {
		return err
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("docker save %s: %w", all, unwrapURLError(err))
	}
	return nil
}

func (e *Client) status(resp *http.Response, name string) error {
	switch {
	case resp.StatusCode == http.StatusNotFound:
		how := ""
		if e.podman != "" {
			how = "; Podman looks short names up under localhost/ and its unqualified-search registries"
		}
		return fmt.Errorf("%w %q in %s%s", ErrNoSuchImage, name, e, how)
	case resp.StatusCode != http.StatusOK:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		msg := strings.TrimSpace(string(b))
		if m := jsonMessage(b); m != "" {
			msg = m
		}
		return fmt.Errorf("%s: %s: %s", e, resp.Status, msg)
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
