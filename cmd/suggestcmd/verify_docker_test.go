package suggestcmd

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeDockerScript is a docker CLI written in sh (see its comment).
const fakeDockerScript = "testdata/fakedocker.sh"

// newFakeDocker writes fakeDocker and returns a dockerCLI running it and
// a function that reads its call log.
func newFakeDocker(t *testing.T, version string, buildx bool) (*dockerCLI, func() []string) {
	t.Helper()
	dir := t.TempDir()
	bin, err := filepath.Abs(fakeDockerScript)
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log")
	env := []string{"PATH=" + os.Getenv("PATH"), "FAKE_LOG=" + log, "FAKE_VERSION=" + version}
	if buildx {
		env = append(env, "FAKE_BUILDX=1")
	}
	return newDockerCLI(bin, env), func() []string {
		b, _ := os.ReadFile(log)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
}

// The builder as each CLI has it: buildx when there is one; the built-in
// BuildKit of a client before 23 with DOCKER_BUILDKIT=1; none for a
// newer client without buildx (its `docker build` would need buildx).
func TestDockerCLIBuilder(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		version string
		buildx  bool
		want    string // the build call as logged, "" for an error
	}{
		{"28.2.2", true, "DOCKER_BUILDKIT= buildx build --load --progress plain -f D -t t:1 --build-arg A=1 --network host C"},
		{"20.10.24+dfsg1", false, "DOCKER_BUILDKIT=1 build --progress plain -f D -t t:1 --build-arg A=1 --network host C"},
		{"28.2.2", false, ""},
	} {
		d, calls := newFakeDocker(t, c.version, c.buildx)
		name, err := d.Builder(ctx)
		if c.want == "" {
			if err == nil || !strings.Contains(err.Error(), "has no buildx") {
				t.Errorf("%s without buildx: %q, %v; want an error naming buildx", c.version, name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.version, err)
		}
		if !strings.Contains(name, c.version) {
			t.Errorf("builder %q does not name the client version %s", name, c.version)
		}
		if _, err := d.Build(ctx, BuildSpec{Dockerfile: "D", Context: "C", Tag: "t:1", BuildArgs: []string{"A=1"}, Network: "host"}); err != nil {
			t.Fatal(err)
		}
		if got := calls(); !slices.Contains(got, c.want) {
			t.Errorf("%s: calls %q, want %q", c.version, got, c.want)
		}
		// The tag is removed at Cleanup.
		if err := d.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if got := calls(); got[len(got)-1] != "DOCKER_BUILDKIT= rmi t:1" {
			t.Errorf("cleanup: %q", got[len(got)-1])
		}
	}
}

// A server still running at the deadline: its ports read through a
// helper container in its network namespace (its PID is not on this
// machine), the smoke command run in that namespace, then killed, its
// logs read, every container removed. A CLI that exits: its status and
// output, the smoke run with the network off.
func TestDockerCLIRun(t *testing.T) {
	ctx := context.Background()
	d, calls := newFakeDocker(t, "20.10.24", false)
	start := time.Now()
	main, smoke, err := d.Run(ctx, RunSpec{Image: "server", Name: "v-server", Timeout: 300 * time.Millisecond, Smoke: []string{"/bin/app", "--version"}, PortsHelpers: []string{"orig"}})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %s: the deadline did not stop it", took)
	}
	want := &Run{Command: []string{"/bin/app"}, Running: true, Ports: []string{"tcp 0.0.0.0:8080"}, Stdout: []string{"out 1", "out 2"}, Stderr: []string{"2026-12-06T10:00:00Z err"}}
	if diff := cmp.Diff(want, main); diff != "" {
		t.Errorf("server run (-want +got):\n%s", diff)
	}
	if smoke == nil || smoke.Running || smoke.ExitCode != 0 || !cmp.Equal(smoke.Command, []string{"/bin/app", "--version"}) {
		t.Errorf("smoke %+v", smoke)
	}
	got := calls()
	for _, w := range []string{
		"DOCKER_BUILDKIT= create --name v-server --network none server",
		"DOCKER_BUILDKIT= run --rm --name v-server-ports0 --network container:v-server --entrypoint cat orig /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6",
		"DOCKER_BUILDKIT= create --name v-server-smoke --network container:v-server --entrypoint /bin/app server --version",
		"DOCKER_BUILDKIT= kill v-server",
		"DOCKER_BUILDKIT= rm --force v-server-smoke",
		"DOCKER_BUILDKIT= rm --force v-server",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("no call %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if len(d.containers) != 0 {
		t.Errorf("containers left to clean up: %q", d.containers)
	}

	main, smoke, err = d.Run(ctx, RunSpec{Image: "cli", Name: "v-cli", Timeout: 5 * time.Second, Smoke: []string{"/bin/app"}})
	if err != nil {
		t.Fatal(err)
	}
	if main.Running || main.ExitCode != 3 || main.Ports != nil || len(main.Stdout) != 2 {
		t.Errorf("cli run %+v: want exited 3, no ports read", main)
	}
	if smoke == nil || smoke.ExitCode != 3 {
		t.Errorf("cli smoke %+v", smoke)
	}
	if got := calls(); !slices.Contains(got, "DOCKER_BUILDKIT= create --name v-cli-smoke --network none --entrypoint /bin/app cli") {
		t.Errorf("the smoke of an exited run is not run with the network off:\n%s", strings.Join(got, "\n"))
	}

	// `docker wait` slower than the deadline (a busy machine) for a
	// container that exited: it exited, as the engine says.
	main, _, err = d.Run(ctx, RunSpec{Image: "cli", Name: "v-slow", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if main.Running || main.ExitCode != 4 {
		t.Errorf("slow wait: %+v, want exited 4", main)
	}
}

// An image with no command: no main container (the engine refuses one),
// the smoke command with the network off.
func TestDockerCLIRunNoCommand(t *testing.T) {
	d, calls := newFakeDocker(t, "20.10.24", false)
	main, smoke, err := d.Run(context.Background(), RunSpec{Image: "cli", Name: "v-lib", Timeout: 5 * time.Second, Smoke: []string{"/bin/app"}, NoCommand: true})
	if err != nil {
		t.Fatal(err)
	}
	if main == nil || main.Error != noCommand || smoke == nil || smoke.ExitCode != 3 {
		t.Errorf("main %+v, smoke %+v", main, smoke)
	}
	got := calls()
	if slices.ContainsFunc(got, func(c string) bool { return strings.Contains(c, "create --name v-lib ") }) ||
		!slices.Contains(got, "DOCKER_BUILDKIT= create --name v-lib-smoke --network none --entrypoint /bin/app cli") {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
}

// Cancelled while a container runs: Run returns the context's error, and
// the container is still removed (with a context of its own).
func TestDockerCLIRunCancelled(t *testing.T) {
	d, calls := newFakeDocker(t, "20.10.24", false)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := d.Run(ctx, RunSpec{Image: "server", Name: "v-server-int", Timeout: time.Minute})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err %v", err)
	}
	if got := calls(); !slices.Contains(got, "DOCKER_BUILDKIT= rm --force v-server-int") {
		t.Errorf("the container was not removed:\n%s", strings.Join(got, "\n"))
	}
}
