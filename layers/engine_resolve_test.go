package layers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imgdiff/imgdiff/layers/engine/enginetest"
)

// podmanEngine answers as Podman's Docker-compatible API does: it resolves
// the short name short to the image it stores as localhost/short and says
// so in inspect's RepoTags; its save names the image localhost/short.
func podmanEngine(t *testing.T, short, configHex string, archive []byte) string {
	t.Helper()
	sock := enginetest.Serve(t, "podman.sock", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Libpod-Api-Version", "4.3.1")
		switch {
		case r.URL.Path == "/_ping":
			io.WriteString(w, "OK")
		case r.URL.Path == "/images/"+short+"/json" || r.URL.Path == "/images/localhost/"+short+"/json" || r.URL.Path == "/images/"+configHex[:12]+"/json":
			io.WriteString(w, `{"Id":"sha256:`+configHex+`","RepoTags":["localhost/`+short+`"]}`)
		case r.URL.Path == "/images/get":
			w.Write(archive)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"cause":"image not known","message":"failed to find image `+r.URL.Path+`: image not known","response":404}`)
		}
	}))
	return "unix://" + sock
}

// writeContextFor writes a docker CLI context named name for host and
// makes it current in a config.json, by hand as `docker context create`
// and `docker context use` lay them out.
func writeContextFor(t *testing.T, name, host string) string {
	t.Helper()
	cfg := t.TempDir()
	writeContextForIn(t, cfg, name, host)
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"`+name+`"}`), 0o600)
	return cfg
}

// TestEngineAsTheDockerCLIFindsIt opens bare names and docker-daemon:
// references from the engine of the current docker context with
// DOCKER_HOST unset, from Podman by short name and by image ID, and
// checks that a short name goes to a registry only when no engine answers.
func TestEngineAsTheDockerCLIFindsIt(t *testing.T) {
	img, p, _, host := savedInEngine(t, "app:1")
	_, want := walkOne(t, p, Options{Jobs: 2})
	dir, tmp := t.TempDir(), t.TempDir()

	// The current context of config.json, DOCKER_HOST unset.
	cfg := writeContextFor(t, "colima", host)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	o := Options{Jobs: 2, TempDir: tmp, Getenv: env(map[string]string{"DOCKER_CONFIG": cfg})}
	src, got := walkOne(t, "app:1", o)
	if src.Transport != DockerDaemon || figures(got) != figures(want) {
		t.Errorf("context: transport %s, figures\n%s\nwant\n%s", src.Transport, figures(got), figures(want))
	}
	if n := `read from docker-daemon via context "colima" (` + host + ")"; len(src.Notes) != 1 || src.Notes[0] != n {
		t.Errorf("context: notes %q, want %q", src.Notes, n)
	}
	// --context names another one; DOCKER_HOST would be beaten by it.
	cfg2 := writeContextFor(t, "other", "unix:///nonexistent/docker.sock")
	writeContextForIn(t, cfg2, "colima", host)
	o2 := Options{Jobs: 2, TempDir: tmp, DockerContext: "colima", Getenv: env(map[string]string{"DOCKER_CONFIG": cfg2, "DOCKER_HOST": "unix:///nonexistent/x.sock"})}
	if src, _ := walkOne(t, "docker-daemon:app:1", o2); src.Transport != DockerDaemon || !strings.Contains(src.Notes[0], `--context "colima"`) {
		t.Errorf("--context: transport %s notes %q", src.Transport, src.Notes)
	}

	// Podman: the save says localhost/app:1, the engine resolved app:1.
	podSave := filepath.Join(dir, "podman.tar")
	podArchive := oldSave(t, podSave, img, "localhost/app:1")
	cfgName, _ := img.ConfigName()
	pod := podmanEngine(t, "app:1", cfgName.Hex, podArchive)
	po := Options{Jobs: 2, TempDir: tmp, DockerHost: pod}
	for _, ref := range []string{"app:1", "docker-daemon:app:1", "localhost/app:1", cfgName.Hex[:12]} {
		src, got := walkOne(t, ref, po)
		if src.Transport != DockerDaemon || figures(got) != figures(want) {
			t.Errorf("podman %s: transport %s, figures\n%s\nwant\n%s", ref, src.Transport, figures(got), figures(want))
		}
		if n := "read from docker-daemon via DOCKER_HOST (" + pod + ", Podman 4.3.1)"; len(src.Notes) != 1 || src.Notes[0] != n {
			t.Errorf("podman %s: notes %q, want %q", ref, src.Notes, n)
		}
	}

	// A short name the engine lacks: an error naming the engine, no
	// registry asked.
	var asked atomic.Int32
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer reg.Close()
	_, err := Open(context.Background(), "nope:1", po)
	if err == nil || !strings.Contains(err.Error(), `nope:1: no such image "nope:1" in docker-daemon via DOCKER_HOST (`+pod+", Podman 4.3.1)") ||
		!strings.Contains(err.Error(), "localhost/") || !strings.Contains(err.Error(), "docker://nope:1 reads it from docker.io/library/nope:1") {
		t.Errorf("short name not in Podman: %v", err)
	}

	// No engine answers: the registry, and its error names both.
	dead := Options{TempDir: tmp, DockerHost: "unix://" + filepath.Join(dir, "dead.sock"), RegistryTransport: http.DefaultTransport, RetryBackoff: 1}
	rhost := strings.TrimPrefix(reg.URL, "http://")
	_, err = Open(context.Background(), rhost+"/app:9", dead)
	wantErr := rhost + "/app:9: no engine answers: docker-daemon via DOCKER_HOST (" + dead.DockerHost + "): no such file or directory; " + rhost + "/app:9: "
	if err == nil || !strings.HasPrefix(err.Error(), wantErr) || asked.Load() == 0 {
		t.Errorf("no engine: err = %v (registry asked %d times)\nwant it to start %q", err, asked.Load(), wantErr)
	}
	// A context pointing nowhere: the same, naming the context.
	nowhere := Options{TempDir: tmp, Getenv: env(map[string]string{"DOCKER_CONFIG": writeContextFor(t, "gone", "unix://"+filepath.Join(dir, "gone.sock"))})}
	_, err = Open(context.Background(), "docker-daemon:app:1", nowhere)
	if err == nil || err.Error() != `docker-daemon:app:1: no engine answers: docker-daemon via context "gone" (unix://`+filepath.Join(dir, "gone.sock")+`): no such file or directory` {
		t.Errorf("context pointing nowhere: %v", err)
	}
	// A context that does not exist is an error, not a registry lookup.
	missing := Options{TempDir: tmp, DockerContext: "missing", Getenv: env(map[string]string{"DOCKER_CONFIG": cfg})}
	_, err = Open(context.Background(), "app:1", missing)
	if err == nil || !strings.HasPrefix(err.Error(), `app:1: --context "missing": no such docker context`) {
		t.Errorf("missing context: %v", err)
	}
}

// writeContextForIn writes context name for host into the config dir cfg.
func writeContextForIn(t *testing.T, cfg, name, host string) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	meta := filepath.Join(cfg, "contexts", "meta", hex.EncodeToString(sum[:]))
	os.MkdirAll(meta, 0o755)
	os.WriteFile(filepath.Join(meta, "meta.json"), []byte(`{"Name":"`+name+`","Metadata":{},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":false}}}`), 0o644)
}
