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
