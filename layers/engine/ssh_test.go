package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/engine/enginetest"
)

// TestMain lets the test binary stand in for ssh: run as "ssh" (a symlink
// on PATH), it checks the docker CLI's connection helper asked for
// `docker system dial-stdio` on the host and relays stdin and stdout to
// the engine socket in $FAKE_SSH_ENGINE, as sshd and the remote docker
// would.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "ssh" {
		os.Exit(fakeSSH(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeSSH(args []string) int {
	i := slices.Index(args, "--")
	if i < 0 || i+1 >= len(args) || strings.Join(args[i+2:], " ") != "docker system dial-stdio" || args[i+1] != os.Getenv("FAKE_SSH_HOST") ||
		!strings.Contains(strings.Join(args[:i], " "), "-l "+os.Getenv("FAKE_SSH_USER")) {
		os.Stderr.WriteString("fake ssh: unexpected command " + strings.Join(args, " ") + "\n")
		return 255
	}
	c, err := net.Dial("unix", os.Getenv("FAKE_SSH_ENGINE"))
	if err != nil {
		os.Stderr.WriteString("fake ssh: " + err.Error() + "\n")
		return 255
	}
	go func() { io.Copy(c, os.Stdin); c.(*net.UnixConn).CloseWrite() }()
	io.Copy(os.Stdout, c)
	return 0
}

// TestSSHEngine reaches an engine through an ssh:// context the way the
// docker CLI does: its connection helper runs `ssh HOST docker system
// dial-stdio` and speaks HTTP over the pipe.
func TestSSHEngine(t *testing.T) {
	sock := enginetest.Serve(t, "engine.sock", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_ping":
			io.WriteString(w, "OK")
		case "/images/app:1/json":
			io.WriteString(w, `{"Id":"sha256:abcd","RepoTags":["app:1"]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	bin := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "ssh")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_SSH_ENGINE", sock)
	t.Setenv("FAKE_SSH_HOST", "build-host")
	t.Setenv("FAKE_SSH_USER", "builder")

	cfg := t.TempDir()
	writeConfig(t, cfg, "remote")
	writeContext(t, cfg, "remote", "ssh://builder@build-host", false, nil)
	eps, err := Resolve(Env{Getenv: envOf(map[string]string{"DOCKER_CONFIG": cfg})})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Connect(context.Background(), eps, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := `docker-daemon via context "remote" (ssh://builder@build-host)`; c.String() != want {
		t.Errorf("String() = %q, want %q", c.String(), want)
	}
	// A second request after the ping's context ended still gets through.
	info, err := c.Inspect(context.Background(), "app:1")
	if err != nil || info.ID != "sha256:abcd" {
		t.Errorf("Inspect over ssh = %+v, %v", info, err)
	}
}
