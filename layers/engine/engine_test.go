package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_ping":
			io.WriteString(w, "OK")
		case r.URL.Path == "/images/my-app:1/json":
			io.WriteString(w, `{"Id":"sha256:7d1f","RepoTags":["my-app:1"]}`)
		case r.URL.Path == "/images/localhost/pod:1/json":
			io.WriteString(w, `{"Id":"7d1f","RepoTags":["localhost/pod:1"]}`)
		case r.URL.Path == "/images/get" && r.URL.Query().Get("names") == "my-app:1":
			io.WriteString(w, "tar bytes")
		case r.URL.Path == "/images/broken/json":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"message":"storage driver failed"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such image"}`)
		}
	}))
	defer srv.Close()
	c, err := New("tcp://" + strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx, time.Second); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if info, err := c.Inspect(ctx, "my-app:1"); err != nil || info.ID != "sha256:7d1f" || len(info.RepoTags) != 1 || info.RepoTags[0] != "my-app:1" {
		t.Errorf("Inspect(my-app:1) = %+v, %v", info, err)
	}
	// Podman's libpod form of the ID has no algorithm.
	if info, err := c.Inspect(ctx, "localhost/pod:1"); err != nil || info.ID != "sha256:7d1f" {
		t.Errorf("Inspect(localhost/pod:1) = %+v, %v", info, err)
	}
	host := "tcp://" + strings.TrimPrefix(srv.URL, "http://")
	if _, err := c.Inspect(ctx, "nope:1"); !errors.Is(err, ErrNoSuchImage) || !strings.Contains(err.Error(), `"nope:1" in docker-daemon via DOCKER_HOST (`+host+`)`) {
		t.Errorf("Inspect(nope:1) = %v, want ErrNoSuchImage naming the engine", err)
	}
	if _, err := c.Inspect(ctx, "broken"); err == nil || !strings.Contains(err.Error(), "storage driver failed") {
		t.Errorf("Inspect(broken) = %v, want the engine's message", err)
	}
	var buf bytes.Buffer
	if err := c.Save(ctx, []string{"my-app:1"}, &buf); err != nil || buf.String() != "tar bytes" {
		t.Errorf("Save = %q, %v", buf.String(), err)
	}
	for _, host := range []string{"ftp://x", "%zz", "tcp://"} {
		if _, err := New(host); err == nil {
			t.Errorf("New(%q) accepted", host)
		}
	}
}

// TestHostileEngine: an engine's answers are its text. One claiming a
// million names for an image (each would be a search of the save's
// manifest), one that accepts an inspect and never answers, and one
// whose Podman version header is half a megabyte: Inspect keeps at most
// maxRepoTags names, gives up after inspectTimeout naming the engine,
// and the engine's name in messages stays short.
func TestHostileEngine(t *testing.T) {
	defer func(d time.Duration) { inspectTimeout = d }(inspectTimeout)
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_ping":
			w.Header().Set("Libpod-Api-Version", strings.Repeat("4", 1<<19))
			io.WriteString(w, "OK")
		case "/images/many:1/json":
			io.WriteString(w, `{"Id":"sha256:7d1f","RepoTags":["a:1"`+strings.Repeat(`,"a:1"`, 1_000_000)+`]}`)
		case "/images/silent:1/json":
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(block)
	c, err := New("tcp://" + strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Ping(ctx, 5*time.Second); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if n := len(c.String()); n > 200 {
		t.Errorf("the engine's name is %d bytes long (its Podman version header)", n)
	}
	if info, err := c.Inspect(ctx, "many:1"); err != nil || len(info.RepoTags) > maxRepoTags {
		t.Errorf("Inspect(many:1): %d names, %v; want at most %d", len(info.RepoTags), err, maxRepoTags)
	}
	inspectTimeout = 300 * time.Millisecond
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second) // the test's own bound
	defer cancel()
	_, err = c.Inspect(ctx, "silent:1")
	if took := time.Since(start); err == nil || took > 3*time.Second || !strings.Contains(err.Error(), "did not answer an inspect of silent:1") {
		t.Errorf("Inspect of an engine that never answers: %.300v after %v", err, took)
	}
}
