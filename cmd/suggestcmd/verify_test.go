package suggestcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// fakeEngine is an Engine that builds nothing and runs nothing: it
// records what it is asked, answers with the runs it is given, and
// "saves" the built image as an OCI layout of a given spec.
type fakeEngine struct {
	t     *testing.T
	dir   string
	built imagetest.Image // what Save writes
	size  int64           // what Size says
	// runs are the answers of Run by image ("original" is the
	// original's name as Image returns it).
	runs     map[string][2]*Run
	buildErr error
	buildLog string
	// block makes Run wait for its context to end.
	block   bool
	running chan struct{} // closed when a blocking Run starts

	once       sync.Once
	mu         sync.Mutex
	build      BuildSpec
	dockerfile string // the Dockerfile as it was when built
	specs      []RunSpec
	made       []string
	cleanups   int
	cleanupErr error // the cleanup context's Err when Cleanup ran
}

func (f *fakeEngine) Builder(context.Context) (string, error) { return "fake build", nil }

func (f *fakeEngine) Build(ctx context.Context, spec BuildSpec) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.build = spec
	b, err := os.ReadFile(spec.Dockerfile)
	if err != nil {
		f.t.Errorf("the Dockerfile to build: %v", err)
	}
	f.dockerfile = string(b)
	if !spec.Keep {
		f.made = append(f.made, spec.Tag)
	}
	return []byte(f.buildLog), f.buildErr
}

func (f *fakeEngine) Image(_ context.Context, ref string) (string, error) { return "original", nil }

func (f *fakeEngine) Run(ctx context.Context, spec RunSpec) (*Run, *Run, error) {
	f.mu.Lock()
	f.specs = append(f.specs, spec)
	f.made = append(f.made, spec.Name)
	f.mu.Unlock()
	if f.block {
		f.once.Do(func() { close(f.running) })
		<-ctx.Done()
		return nil, nil, ctx.Err()
	}
	key := spec.Image
	if key != "original" {
		key = "suggested"
	}
	r, ok := f.runs[key]
	if !ok {
		return nil, nil, fmt.Errorf("no run for %s", spec.Image)
	}
	return r[0], r[1], nil
}

func (f *fakeEngine) Size(context.Context, string) (int64, error) { return f.size, nil }

func (f *fakeEngine) Save(_ context.Context, image, dir string) (string, error) {
	img, err := imagetest.Build(f.built)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "built")
	if err := imagetest.WriteOCILayout(p, "latest", img); err != nil {
		return "", err
	}
	return "oci:" + p, nil
}

func (f *fakeEngine) Cleanup(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups++
	f.cleanupErr = ctx.Err()
	f.made = nil
	return nil
}

// verifyEnv writes the original (a static Go app, whose suggestion is
// FROM scratch and the binary: imagetest.Expect and the binary's length
// give every size by hand) and its Dockerfile in a directory, and returns
// a run of `suggest --verify` with engine f.
type verifyEnv struct {
	t      *testing.T
	dir    string
	orig   string
	binary []byte
}

func newVerifyEnv(t *testing.T) *verifyEnv {
	t.Helper()
	t.Parallel()
	binary, _, df, orig := staticOriginal(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app", "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	return &verifyEnv{t: t, dir: dir, orig: orig, binary: binary}
}

// newVerifyEnvWith is newVerifyEnv on the static original changed by
// change, written as an OCI layout of its own.
func newVerifyEnvWith(t *testing.T, change func(*imagetest.Image)) *verifyEnv {
	t.Helper()
	e := newVerifyEnv(t)
	_, spec, _, _ := staticOriginal(t)
	change(&spec)
	img, err := imagetest.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(e.dir, "orig")
	if err := imagetest.WriteOCILayout(p, "latest", img); err != nil {
		t.Fatal(err)
	}
	e.orig = "oci:" + p
	return e
}

func (e *verifyEnv) engine() *fakeEngine {
	return &fakeEngine{t: e.t, dir: e.dir, built: scratchBuild(e.binary, 0), size: int64(len(e.binary)), running: make(chan struct{})}
}

func (e *verifyEnv) run(ctx context.Context, f *fakeEngine, args ...string) (string, string, error) {
	ios, out, errOut := testIO(e.dir)
	cmd := NewCmdSuggest(ios, func(ctx context.Context, o *Options) error {
		o.Verify.engine = f
		return suggestRun(ctx, o)
	})
	cmd.SetArgs(append([]string{e.orig, "--dockerfile", "app/Dockerfile", "--verify", "--no-config"}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

var (
	serverRun = &Run{Running: true, Ports: []string{"tcp6 [::]:8080"}, Stdout: []string{}, Stderr: []string{"2026/12/06 10:00:01 listening on :8080"}}
	smokeOK   = &Run{ExitCode: 0, Stdout: []string{"hello"}, Stderr: []string{}}
)

// Same behaviour, built as predicted: exit 0, the JSON verdict passes
// with the sizes computed by hand; the build got the suggestion in the
// Dockerfile's directory under a temporary tag, both images ran the
// same way, and everything made was cleaned up.
func TestVerifyPasses(t *testing.T) {
	e := newVerifyEnv(t)
	f := e.engine()
	later := *serverRun
	later.Stderr = []string{"2026/12/06 10:00:09 listening on :8080"}
	f.runs = map[string][2]*Run{"original": {serverRun, smokeOK}, "suggested": {&later, smokeOK}}
	out, errOut, err := e.run(context.Background(), f, "-o", "json", "--smoke", "/usr/local/bin/app --version", "--timeout", "3s")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var r Verification
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	built := int64(len(e.binary))
	if !r.Pass || !r.SameBehaviour || len(r.Differences) != 0 || r.DockerSize != built || r.DockerSizeError != 0 {
		t.Errorf("verdict %+v: want a pass, same behaviour, docker size %d", r, built)
	}
	if r.Check == nil || r.Check.Sizes.Predicted != built || r.Check.Sizes.Built != built || !r.Check.Pass {
		t.Errorf("check %+v: want predicted = built = %d", r.Check, built)
	}
	if f.build.Context != filepath.Join(e.dir, "app") || !strings.HasPrefix(f.build.Tag, "imgdiff-verify-") || f.build.Keep || r.Kept {
		t.Errorf("build %+v: want the Dockerfile's directory as context and a temporary tag", f.build)
	}
	if !strings.Contains(f.dockerfile, "FROM scratch") || !strings.Contains(f.dockerfile, "COPY --from=build") {
		t.Errorf("the Dockerfile built is not the suggestion:\n%s", f.dockerfile)
	}
	if len(f.specs) != 2 || f.specs[0].Timeout != 3*time.Second || f.specs[1].Timeout != 3*time.Second ||
		strings.Join(f.specs[0].Smoke, " ") != "/usr/local/bin/app --version" || strings.Join(f.specs[1].Smoke, " ") != "/usr/local/bin/app --version" {
		t.Errorf("runs %+v: want both images run for 3s with the smoke command as argv", f.specs)
	}
	if f.cleanups != 1 || len(f.made) != 0 {
		t.Errorf("cleanups %d, left %q", f.cleanups, f.made)
	}
	if _, err := os.Stat(f.build.Dockerfile); !os.IsNotExist(err) {
		t.Errorf("the temporary Dockerfile %s is still there (%v)", f.build.Dockerfile, err)
	}
}

// The suggestion's binary is not where its ENTRYPOINT looks (issue 22's
// Rust CLI): exit 1 after the report, the table says why.
func TestVerifyBehaviourDiffers(t *testing.T) {
	e := newVerifyEnv(t)
	f := e.engine()
	f.runs = map[string][2]*Run{
		"original":  {serverRun, nil},
		"suggested": {{Error: `exec: "app": executable file not found in $PATH`, Stdout: []string{}, Stderr: []string{}}, nil},
	}
	out, errOut, err := e.run(context.Background(), f)
	if !errors.Is(err, cmdutil.ErrBudgetFailed) || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err %v (exit %d), want exit 1\n%s", err, cmdutil.ExitCode(err), errOut)
	}
	for _, want := range []string{
		"behaviour: DIFFERENT",
		`run: the original still running at the deadline, the suggestion did not start: exec: "app": executable file not found in $PATH`,
		"verdict: FAIL",
		"size error +0.0%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "it behaves differently") || f.cleanups != 1 {
		t.Errorf("stderr %q, cleanups %d", errOut, f.cleanups)
	}
}

// Same behaviour, but 10 % larger than predicted: exit 1.
func TestVerifySizeMiss(t *testing.T) {
	e := newVerifyEnv(t)
	f := e.engine()
	extra := int64(len(e.binary)) / 9
	f.built, f.size = scratchBuild(e.binary, extra), int64(len(e.binary))+extra
	f.runs = map[string][2]*Run{"original": {serverRun, nil}, "suggested": {serverRun, nil}}
	out, errOut, err := e.run(context.Background(), f, "-o", "json")
	if cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err %v, want exit 1\n%s", err, errOut)
	}
	var r Verification
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Pass || !r.SameBehaviour || r.DockerSizeError != 10 || r.Check.SizeError != 10 {
		t.Errorf("verdict %+v: want same behaviour, 10%% too large, fail", r)
	}
}

// A suggestion that does not build: exit 2, one line naming the image
// and the Dockerfile, the build log's tail on stderr, nothing on stdout,
// everything cleaned up.
func TestVerifyBuildFails(t *testing.T) {
	e := newVerifyEnv(t)
	f := e.engine()
	f.buildErr = errors.New("docker build: exit status 1")
	f.buildLog = "#5 [2/3] RUN make\n#5 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2\n\x1b[31mfailed\x1b[0m\n"
	out, errOut, err := e.run(context.Background(), f)
	if cmdutil.ExitCode(err) != 2 || err == nil || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "does not build") || !strings.Contains(err.Error(), e.orig) || !strings.Contains(err.Error(), "--output-file keeps it") {
		t.Fatalf("err %v (exit %d), want one line naming the image and the Dockerfile, exit 2", err, cmdutil.ExitCode(err))
	}
	if !strings.Contains(errOut, "did not complete successfully: exit code: 2") || !strings.Contains(errOut, `\x1b[31mfailed`) || strings.Contains(errOut, "\x1b") {
		t.Errorf("stderr lacks the log's tail, made visible:\n%s", errOut)
	}
	if out != "" || f.cleanups != 1 {
		t.Errorf("stdout %q, cleanups %d", out, f.cleanups)
	}
}

// Ctrl-C while the images run: the run returns context.Canceled (exit
// 130), and the cleanup ran with a context of its own that was still live.
func TestVerifyInterrupted(t *testing.T) {
	e := newVerifyEnv(t)
	f := e.engine()
	f.block = true
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-f.running
		cancel()
	}()
	out, errOut, err := e.run(ctx, f)
	if cmdutil.ExitCode(err) != 130 {
		t.Fatalf("err %v (exit %d), want 130\n%s", err, cmdutil.ExitCode(err), errOut)
	}
	if f.cleanups != 1 || f.cleanupErr != nil {
		t.Errorf("cleanups %d, its context's error %v: want one, with a live context", f.cleanups, f.cleanupErr)
	}
	if out != "" {
		t.Errorf("stdout %q", out)
	}
}

// --tag keeps the image; --context-dir and --build-arg reach the build.
func TestVerifyTagAndContext(t *testing.T) {
	e := newVerifyEnv(t)
	f := e.engine()
	f.runs = map[string][2]*Run{"original": {smokeOK, nil}, "suggested": {smokeOK, nil}}
	if err := os.Mkdir(filepath.Join(e.dir, "ctx"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := e.run(context.Background(), f, "--tag", "app:verified", "--context-dir", "ctx", "--build-arg", "BASE=debian:bookworm", "--output-file", "Dockerfile.multi")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if f.build.Tag != "app:verified" || !f.build.Keep || f.build.Context != filepath.Join(e.dir, "ctx") ||
		len(f.build.BuildArgs) != 1 || f.build.BuildArgs[0] != "BASE=debian:bookworm" || f.build.Dockerfile != filepath.Join(e.dir, "Dockerfile.multi") {
		t.Errorf("build %+v", f.build)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "Dockerfile.multi")); err != nil {
		t.Errorf("--output-file: %v", err)
	}
	if !strings.HasPrefix(f.specs[0].Name, "app-verified-") {
		t.Errorf("container names %q: want them after the tag", f.specs[0].Name)
	}
}

func TestVerifyFlags(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdSuggest, "a:1", "--dockerfile", "D", "--verify", "--smoke", "app -v", "--timeout", "2s", "--context-dir", "c", "--docker", "/usr/bin/docker", "--build-network", "host")
	if err != nil {
		t.Fatal(err)
	}
	v := got.Verify
	if !v.On || v.Smoke != "app -v" || v.Timeout != 2*time.Second || v.Context != "c" || v.Docker != "/usr/bin/docker" || v.BuildNetwork != "host" {
		t.Errorf("options %+v", v)
	}
	for _, args := range [][]string{
		{"--smoke", "x"}, {"--tag", "t:1"}, {"--timeout", "3s"}, {"--context-dir", "c"},
		{"--verify", "--check", "b:1"}, {"--verify", "--timeout", "0s"}, {"--verify", "--smoke", " "}, {"--verify", "--build-arg", "NOEQUALS"},
	} {
		var fe *cmdutil.FlagError
		if _, err := cmdtest.Parse(NewCmdSuggest, append([]string{"a:1", "--dockerfile", "D"}, args...)...); !errors.As(err, &fe) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// With --context NAME the docker CLI --verify runs is pointed at that
// context, over DOCKER_HOST, as `docker --context NAME` would be.
func TestVerifyDockerEnv(t *testing.T) {
	env := []string{"PATH=/bin", "DOCKER_HOST=unix:///a.sock", "DOCKER_CONTEXT=old", "HOME=/h"}
	if got := dockerEnv(env, ""); !slices.Equal(got, env) {
		t.Errorf("no --context: %q, want the environment unchanged", got)
	}
	want := []string{"PATH=/bin", "HOME=/h", "DOCKER_CONTEXT=colima"}
	if got := dockerEnv(env, "colima"); !slices.Equal(got, want) {
		t.Errorf("--context colima: %q, want %q", got, want)
	}
}

// An image with no ENTRYPOINT or CMD (a library image: gvm-libs, F11)
// cannot be run by itself ("No command specified"): neither image is
// run, which is said, and the smoke command alone compares them; the
// verdict passes when it answers the same.
func TestVerifyNoCommand(t *testing.T) {
	e := newVerifyEnvWith(t, func(img *imagetest.Image) { img.Config.Cmd, img.Config.Entrypoint = nil, nil })
	f := e.engine()
	notRun := &Run{Error: noCommand}
	f.runs = map[string][2]*Run{"original": {notRun, smokeOK}, "suggested": {notRun, smokeOK}}
	out, errOut, err := e.run(context.Background(), f, "-o", "json", "--smoke", "ldconfig -p")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var r Verification
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(f.specs) != 2 || !f.specs[0].NoCommand || !f.specs[1].NoCommand {
		t.Errorf("runs %+v: want both without their main container", f.specs)
	}
	if !r.SameBehaviour || !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "no ENTRYPOINT or CMD") }) {
		t.Errorf("verdict %+v: want the same behaviour, and the note that neither image was run", r)
	}
}
