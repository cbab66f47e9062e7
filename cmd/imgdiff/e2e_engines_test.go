//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// e2eEngines is the "engines" object of images.json: the engines run.sh
// starts besides dockerd's unix socket.
type e2eEngines struct {
	Podman    string `json:"podman"`    // Podman's service, unix://
	PodmanApp string `json:"podmanApp"` // whose BuildKit pair Podman holds
	TLSHost   string `json:"tlsHost"`   // the same dockerd, tcp:// with --tlsverify
	TLSCerts  string `json:"tlsCerts"`  // ca.pem, cert.pem, key.pem of a client
	WrongCA   string `json:"wrongCA"`   // the same client trusting another CA
}

// withoutEnv is os.Environ() without the variables that choose an engine,
// plus extra.
func withoutEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH", "CONTAINER_HOST":
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// TestE2EEngines reads the same images from the engines a user's docker
// CLI would find: Podman's service (the images loaded from docker's own
// save), a docker context with DOCKER_HOST unset, the same dockerd over
// tcp:// with mutual TLS (a context and DOCKER_TLS_VERIFY), and checks the
// reports are byte for byte the ones dockerd's socket gives; and that a
// dead socket, a context pointing nowhere, a wrong CA and a short name
// Podman lacks are one-line errors naming the engine, exit 2.
func TestE2EEngines(t *testing.T) {
	env := setup(t)
	raw, err := os.ReadFile(os.Getenv("IMGDIFF_E2E_MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Engines e2eEngines `json:"engines"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Engines.Podman == "" || m.Engines.TLSHost == "" {
		t.Fatalf("images.json has no engines (%v): run.sh starts Podman and dockerd's TLS port", err)
	}
	eng := m.Engines
	single := env.find(t, eng.PodmanApp, "single", "buildkit")
	multi := env.find(t, eng.PodmanApp, "multi", "buildkit")
	dockerHost := os.Getenv("DOCKER_HOST")
	cfg := t.TempDir()

	run := func(t *testing.T, vars []string, args ...string) e2eResult {
		t.Helper()
		cmd := exec.Command(env.bin, args...)
		cmd.Env = withoutEnv(vars...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := e2eResult{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	docker := func(t *testing.T, args ...string) {
		t.Helper()
		cmd := exec.Command(env.docker, args...)
		cmd.Env = withoutEnv("DOCKER_CONFIG=" + cfg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The docker CLI itself writes the contexts (and their TLS material).
	docker(t, "context", "create", "e2e", "--docker", "host="+dockerHost)
	docker(t, "context", "create", "nowhere", "--docker", "host=unix://"+filepath.Join(cfg, "nowhere.sock"))
	docker(t, "context", "create", "tls", "--docker", "host="+eng.TLSHost+
		",ca="+filepath.Join(eng.TLSCerts, "ca.pem")+",cert="+filepath.Join(eng.TLSCerts, "cert.pem")+",key="+filepath.Join(eng.TLSCerts, "key.pem"))
	docker(t, "--context", "tls", "version") // the docker CLI reaches it: the certificates are right
	docker(t, "context", "use", "e2e")

	// dockerd's socket, as every other e2e test reads it: the reference.
	analyzeArgs := []string{"analyze", "--no-cache", "-o", "json", multi.Tag}
	compareArgs := []string{"compare", "--no-cache", "-o", "json", single.Tag, multi.Tag}
	want := map[string]e2eResult{}
	for _, args := range [][]string{analyzeArgs, compareArgs} {
		r := run(t, []string{"DOCKER_HOST=" + dockerHost}, args...)
		if r.code != 0 || !json.Valid(r.stdout) {
			t.Fatalf("imgdiff %s on dockerd: %s", strings.Join(args, " "), r)
		}
		want[args[0]] = r
	}

	// Podman reads both images (compare), the others the smaller one: the
	// same engine by other routes.
	same := []struct {
		name   string
		vars   []string
		flags  []string
		engine string // what stderr must say answered
		runs   [][]string
	}{
		{"podman", []string{"DOCKER_HOST=" + eng.Podman}, nil, "docker-daemon via DOCKER_HOST (" + eng.Podman + ", Podman ", [][]string{analyzeArgs, compareArgs}},
		{"current context, DOCKER_HOST unset", []string{"DOCKER_CONFIG=" + cfg}, nil, `docker-daemon via context "e2e" (` + dockerHost + ")", [][]string{analyzeArgs}},
		{"--context over TLS", []string{"DOCKER_CONFIG=" + cfg}, []string{"--context", "tls"}, `docker-daemon via --context "tls" (` + eng.TLSHost + ")", [][]string{analyzeArgs}},
		{"DOCKER_TLS_VERIFY", []string{"DOCKER_CONFIG=" + cfg, "DOCKER_HOST=" + eng.TLSHost, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + eng.TLSCerts}, nil,
			"docker-daemon via DOCKER_HOST (" + eng.TLSHost + ")", [][]string{analyzeArgs}},
	}
	for _, c := range same {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range c.runs {
				args = append(append([]string{args[0]}, c.flags...), args[1:]...)
				r := run(t, c.vars, args...)
				if r.code != 0 {
					t.Fatalf("imgdiff %s: %s", strings.Join(args, " "), r)
				}
				if !bytes.Equal(r.stdout, want[args[0]].stdout) {
					t.Errorf("imgdiff %s: the report differs from dockerd's socket's:\n%.3000s\nwant\n%.3000s", strings.Join(args, " "), r.stdout, want[args[0]].stdout)
				}
				if !strings.Contains(string(r.stderr), multi.Tag+": read from "+c.engine) {
					t.Errorf("stderr does not say %q answered:\n%s", c.engine, r.stderr)
				}
			}
		})
	}

	// A socket nothing listens on (the file is there: connection refused).
	dead := filepath.Join(cfg, "dead.sock")
	ln, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	errs := []struct {
		name  string
		vars  []string
		args  []string
		names []string // what the one-line error must say
	}{
		{"dead socket, bare name", []string{"DOCKER_HOST=unix://" + dead}, []string{"analyze", multi.Tag},
			[]string{"no engine answers: docker-daemon via DOCKER_HOST (unix://" + dead + "): connection refused; docker.io/" + multi.Tag + ": "}},
		{"dead socket, docker-daemon:", []string{"DOCKER_HOST=unix://" + dead}, []string{"analyze", "docker-daemon:" + multi.Tag},
			[]string{"docker-daemon:" + multi.Tag + ": no engine answers: docker-daemon via DOCKER_HOST (unix://" + dead + "): connection refused"}},
		{"context pointing nowhere", []string{"DOCKER_CONFIG=" + cfg}, []string{"analyze", "--context", "nowhere", "docker-daemon:" + multi.Tag},
			[]string{`docker-daemon via --context "nowhere" (unix://` + filepath.Join(cfg, "nowhere.sock") + "): no such file or directory"}},
		{"context that does not exist", []string{"DOCKER_CONFIG=" + cfg}, []string{"analyze", "--context", "gone", multi.Tag},
			[]string{`--context "gone": no such docker context`}},
		{"TLS, wrong CA", []string{"DOCKER_HOST=" + eng.TLSHost, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + eng.WrongCA}, []string{"analyze", "docker-daemon:" + multi.Tag},
			[]string{"docker-daemon via DOCKER_HOST (" + eng.TLSHost + "): tls: failed to verify certificate: x509: certificate signed by unknown authority"}},
		{"Podman lacks a short name", []string{"DOCKER_HOST=" + eng.Podman}, []string{"analyze", "imgdiff-e2e/nope:missing"},
			[]string{`no such image "imgdiff-e2e/nope:missing" in docker-daemon via DOCKER_HOST (` + eng.Podman + ", Podman ", "localhost/", "docker://imgdiff-e2e/nope:missing"}},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.vars, c.args...)
			msg := strings.TrimRight(string(r.stderr), "\n")
			if r.code != 2 || len(r.stdout) != 0 || strings.Count(msg, "\n") != 0 {
				t.Fatalf("imgdiff %s: %s; want exit 2, one line, no report", strings.Join(c.args, " "), r)
			}
			for _, n := range c.names {
				if !strings.Contains(msg, n) {
					t.Errorf("the error does not say %q:\n%s", n, msg)
				}
			}
		})
	}
}
