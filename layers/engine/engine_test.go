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
			io.WriteString(w, "{}")
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
	if err := c.Has(ctx, "my-app:1"); err != nil {
		t.Errorf("Has(my-app:1): %v", err)
	}
	if err := c.Has(ctx, "nope:1"); !errors.Is(err, ErrNoSuchImage) {
		t.Errorf("Has(nope:1) = %v, want ErrNoSuchImage", err)
	}
	if err := c.Has(ctx, "broken"); err == nil || !strings.Contains(err.Error(), "storage driver failed") {
		t.Errorf("Has(broken) = %v, want the engine's message", err)
	}
	var buf bytes.Buffer
	if err := c.Save(ctx, []string{"my-app:1"}, &buf); err != nil || buf.String() != "tar bytes" {
		t.Errorf("Save = %q, %v", buf.String(), err)
	}
	for _, host := range []string{"ssh://x", "%zz"} {
		if _, err := New(host); err == nil {
			t.Errorf("New(%q) accepted", host)
		}
	}
}
