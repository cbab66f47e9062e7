//go:build e2e

// The acceptance test of `imgdiff suggest` (issue 18): for every
// single-stage image run.sh built, the suggested Dockerfile must build
// unchanged with BuildKit (built by `imgdiff suggest --verify`, issue 22,
// whose verdict must be a pass: same behaviour, size as predicted), its
// image must pass the same smoke test as the original, `imgdiff compare original suggested` must show at least 90% of
// the ΔS of the app's hand-written Dockerfile.multi, and the predicted size
// must be within 5% of the built image's (docker image inspect's and
// imgdiff's). An app whose ENTRYPOINT script calls gcc at run time
// (testdata/e2e/gcc-entrypoint) must get a suggestion that still runs it
// and asks about it.
//
// The smoke tests are written from what each app does (testdata/dockerfiles/
// APP), not from imgdiff: a server is queried over HTTP, a CLI is fed a
// text whose answer is written here by hand. Each one needs the app's
// runtime dependencies: the Node server needs node and express, the Python
// CLI python3, its console script and its C extension, the Java CLI a JRE
// and the jar, the C CLI the C library.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// suggestWords is the text the CLI apps count, and suggestCounts their
// answer (most frequent first, ties by word), the same for the C, Python
// and Java programs: "%7d %s" lines.
const (
	suggestWords  = "the cat and the dog and the bird saw the cat\n"
	suggestCounts = "      4 the\n      2 and\n      2 cat\n      1 bird\n      1 dog\n      1 saw\n"
)

// suggestPrediction is the JSON `imgdiff suggest -o json` prints on stderr
// (docs/suggest.md).
type suggestPrediction struct {
	Base       string   `json:"base"`
	Packages   []string `json:"packages"`
	Copies     []string `json:"copies"`
	Questions  []string `json:"questions"`
	Prediction struct {
		Original  int64 `json:"original"`
		Predicted int64 `json:"predicted"`
		Delta     int64 `json:"delta"`
		Terms     []struct {
			Name  string `json:"name"`
			Bytes int64  `json:"bytes"`
		} `json:"terms"`
	} `json:"prediction"`
}

// suggestLogs is where the suggested Dockerfiles and build logs are kept
// for people to read: the e2e run's logs when run.sh says where.
func (e *e2eEnv) suggestLogs(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("IMGDIFF_E2E_LOGS")
	if root == "" {
		root = e.tmp
	}
	dir := filepath.Join(root, "suggest", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// suggestFor runs `imgdiff suggest -o json` on ref with dockerfile, keeps
// the Dockerfile and the prediction in dir, and returns both.
func (e *e2eEnv) suggestFor(t *testing.T, dir, ref, dockerfile string) (string, *suggestPrediction) {
	t.Helper()
	out := filepath.Join(dir, "Dockerfile.suggested")
	r := e.run(t, "suggest", "--no-config", ref, "--dockerfile", dockerfile, "--output-file", out, "-o", "json")
	if err := os.WriteFile(filepath.Join(dir, "prediction.json"), r.stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("imgdiff suggest %s --dockerfile %s: %s", ref, dockerfile, r)
	}
	// stderr carries the notes of the read (which engine answered, one
	// line each, "imgdiff: …") before the prediction.
	pred := r.stderr
	if i := bytes.Index(pred, []byte("\n{")); i >= 0 && !bytes.HasPrefix(pred, []byte("{")) {
		pred = pred[i+1:]
	}
	var p suggestPrediction
	if err := json.Unmarshal(pred, &p); err != nil {
		t.Fatalf("imgdiff suggest -o json: stderr is not the prediction: %v\n%.2000s", err, r.stderr)
	}
	return out, &p
}

// dockerBuild builds dockerfile in ctx with BuildKit as tag, the build
// log kept in dir; it returns how long the build took.
func (e *e2eEnv) dockerBuild(t *testing.T, dir, ctx, dockerfile, tag string, buildArgs []string) time.Duration {
	t.Helper()
	args := []string{"build", "--network", "host", "--progress", "plain", "-f", dockerfile, "-t", tag}
	for _, a := range buildArgs {
		args = append(args, "--build-arg", a)
	}
	args = append(args, ctx)
	cmd := exec.Command(e.docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	logFile := filepath.Join(dir, "build-"+strings.NewReplacer("/", "-", ":", "-").Replace(tag)+".log")
	if werr := os.WriteFile(logFile, out, 0o644); werr != nil {
		t.Error(werr)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(e.docker, "rmi", tag).CombinedOutput(); err != nil {
			t.Logf("docker rmi %s: %v: %s", tag, err, out)
		}
	})
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Fatalf("DOCKER_BUILDKIT=1 docker %s: %v (log: %s)\n%s", strings.Join(args, " "), err, logFile, strings.Join(lines, "\n"))
	}
	return took
}

// sameFile fails the test when the files a and b differ: --verify builds
// the suggestion suggest writes.
func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(x) != string(y) {
		t.Errorf("%s and %s differ: --verify built another suggestion", a, b)
	}
}

// smokeKind is how an app is exercised.
type smokeKind int

const (
	smokeCLI    smokeKind = iota // the image's own command, fed suggestWords
	smokeServer                  // an HTTP server on :8080
	smokeGCC                     // testdata/e2e/gcc-entrypoint: compiles and runs hello.c
	smokeExit                    // the image's own command exits 0 (the rpm family's app is true)
)

var suggestSmoke = map[string]smokeKind{
	"go": smokeServer, "goscratch": smokeServer, "node": smokeServer,
	"c": smokeCLI, "python": smokeCLI, "java": smokeCLI,
	"rpm": smokeExit,
}

// smoke runs the image's own ENTRYPOINT/CMD with no network and returns
// what it answered; an error when it did not answer as the app must.
func (e *e2eEnv) smoke(kind smokeKind, image, client string) (string, error) {
	switch kind {
	case smokeCLI:
		cmd := exec.Command(e.docker, "run", "--rm", "-i", "--network", "none", image)
		cmd.Stdin = strings.NewReader(suggestWords)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("docker run %s: %v: %s", image, err, out)
		}
		if string(out) != suggestCounts {
			return string(out), fmt.Errorf("docker run %s, fed %q: %q, want %q", image, suggestWords, out, suggestCounts)
		}
		return string(out), nil
	case smokeExit:
		out, err := exec.Command(e.docker, "run", "--rm", "--network", "none", image).CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("docker run %s: %v: %s", image, err, out)
		}
		return string(out), nil
	case smokeGCC:
		out, err := exec.Command(e.docker, "run", "--rm", "--network", "none", image, "smoke").CombinedOutput()
		want := "hello from a program compiled at run time, 1 argument(s)\nsmoke\n"
		if err != nil {
			return string(out), fmt.Errorf("docker run %s: %v: %s", image, err, out)
		}
		if string(out) != want {
			return string(out), fmt.Errorf("docker run %s: %q, want %q", image, out, want)
		}
		return string(out), nil
	}
	return e.smokeServer(image, client)
}

// smokeServer starts the image's server with no network, then asks it for
// /healthz and /hello/e2e from a client container in its network
// namespace (bash's /dev/tcp: the server image may have no shell at all).
func (e *e2eEnv) smokeServer(image, client string) (string, error) {
	id, err := e.dockerOut("run", "-d", "--network", "none", image)
	if err != nil {
		return "", err
	}
	defer exec.Command(e.docker, "rm", "-f", id).Run()
	// HTTP/1.0: the server closes the connection after its answer.
	const script = `get() {
	for i in $(seq 100); do
		exec 3<>/dev/tcp/127.0.0.1/8080 && break
		sleep 0.2
	done 2>/dev/null
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
	sed -n '/^\r$/,$p' <&3 | tail -n +2
	echo
	exec 3<&-
}
get /healthz && get /hello/e2e`
	out, err := e.dockerOut("run", "--rm", "--network", "container:"+id, client, "bash", "-c", script)
	if err != nil {
		logs, _ := exec.Command(e.docker, "logs", id).CombinedOutput()
		return out, fmt.Errorf("%v; the server's log:\n%s", err, logs)
	}
	// Each answer ends with a newline or not (Go's JSON encoder adds
	// one, express does not); the client adds one.
	got := strings.Join(strings.Fields(out), " ")
	if want := `ok {"message":"hello, e2e"}`; got != want {
		logs, _ := exec.Command(e.docker, "logs", id).CombinedOutput()
		return out, fmt.Errorf("GET /healthz, /hello/e2e from %s: %q, want %q; the server's log:\n%s", image, got, want, logs)
	}
	return got, nil
}

// verifyReport is the part of `imgdiff suggest --verify -o json` the test
// reads (docs/suggest.md).
type verifyReport struct {
	Suggested string `json:"suggested"`
	Builder   string `json:"builder"`
	Kept      bool   `json:"kept"`
	Runs      struct {
		Original  verifyRun `json:"original"`
		Suggested verifyRun `json:"suggested"`
	} `json:"runs"`
	Smoke *struct {
		Command   []string  `json:"command"`
		Original  verifyRun `json:"original"`
		Suggested verifyRun `json:"suggested"`
	} `json:"smoke"`
	Differences     []string `json:"differences"`
	Notes           []string `json:"notes"`
	SameBehaviour   bool     `json:"sameBehaviour"`
	DockerSize      int64    `json:"dockerSize"`
	DockerSizeError float64  `json:"dockerSizeErrorPercent"`
	Check           struct {
		Sizes struct {
			Predicted int64 `json:"predicted"`
			Built     int64 `json:"built"`
		} `json:"sizes"`
		SizeError float64 `json:"sizeErrorPercent"`
		Pass      bool    `json:"pass"`
	} `json:"check"`
	Pass    bool `json:"pass"`
	Seconds struct {
		Build float64 `json:"build"`
		Runs  float64 `json:"runs"`
		Size  float64 `json:"size"`
	} `json:"seconds"`
}

type verifyRun struct {
	Running      bool     `json:"running"`
	ExitCode     int      `json:"exitCode"`
	Ports        []string `json:"ports"`
	PortsUnknown string   `json:"portsUnknown"`
	Stdout       []string `json:"stdout"`
	Stderr       []string `json:"stderr"`
	Error        string   `json:"error"`
}

// verifyTimeout is how long --verify runs each image here: the servers
// listen within a second; the CLI programs exit at once (no stdin).
const verifyTimeout = "4s"

// verify runs `imgdiff suggest REF --dockerfile DF --verify -o json` with
// the build context and arguments the original was built with, the
// report and log kept in dir; tag "" leaves the built image to --verify
// to remove, else it is kept as tag (and removed when the test ends).
// It checks that nothing --verify made is left behind.
func (e *e2eEnv) verify(t *testing.T, dir, ref, dockerfile, buildCtx, tag string, buildArgs []string, extra ...string) (*verifyReport, e2eResult, time.Duration) {
	t.Helper()
	args := []string{"suggest", "--no-config", ref, "--dockerfile", dockerfile, "--verify", "--docker", e.docker,
		"--build-network", "host", "--context-dir", buildCtx, "--timeout", verifyTimeout, "-o", "json",
		"--output-file", filepath.Join(dir, "Dockerfile.verified")}
	for _, a := range buildArgs {
		args = append(args, "--build-arg", a)
	}
	if tag != "" {
		args = append(args, "--tag", tag)
		t.Cleanup(func() {
			if out, err := exec.Command(e.docker, "rmi", tag).CombinedOutput(); err != nil {
				t.Logf("docker rmi %s: %v: %s", tag, err, out)
			}
		})
	}
	args = append(args, extra...)
	start := time.Now()
	// As long as a docker build may take on a busy machine (the builds
	// had no limit before --verify ran them).
	r, err := e.execTimeout(30*time.Minute, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	name := "verify"
	if len(extra) > 0 {
		name = "verify-extra"
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), r.stdout, 0o644); err != nil {
		t.Error(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".log"), r.stderr, 0o644); err != nil {
		t.Error(err)
	}
	// Nothing left: no container, no temporary image.
	for _, q := range [][]string{{"ps", "--all", "--quiet", "--filter", "name=imgdiff-verify"}, {"images", "--quiet", "--filter", "reference=imgdiff-verify-*"}} {
		if tag != "" && q[0] == "ps" {
			q[len(q)-1] = "name=" + strings.NewReplacer("/", "-", ":", "-").Replace(tag)
		}
		if out, err := e.dockerOut(q...); err != nil || out != "" {
			t.Errorf("after suggest --verify, docker %s: %q (%v): left behind", strings.Join(q, " "), out, err)
		}
	}
	if r.code != 0 && r.code != 1 {
		t.Fatalf("imgdiff %s: %s", strings.Join(args, " "), r)
	}
	var v verifyReport
	if err := json.Unmarshal(r.stdout, &v); err != nil {
		t.Fatalf("imgdiff suggest --verify -o json: stdout is not the verdict: %v\n%.2000s\n%s", err, r.stdout, r.stderr)
	}
	return &v, r, took
}

// checkVerified: --verify passed, and what it saw is what the app does,
// as the test knows it by hand: a server still running with :8080 open,
// a CLI exited 0, in both images; the size it read is docker's.
func (e *e2eEnv) checkVerified(t *testing.T, v *verifyReport, r e2eResult, kind smokeKind, tag string) {
	t.Helper()
	t.Logf("--verify: %s; built %d bytes (docker), %+.1f%% from the prediction; differences %q, notes %q; %.1fs to build, %.1fs to run, %.1fs to measure",
		v.Builder, v.DockerSize, v.DockerSizeError, v.Differences, v.Notes, v.Seconds.Build, v.Seconds.Runs, v.Seconds.Size)
	if r.code != 0 || !v.Pass || !v.SameBehaviour || len(v.Differences) != 0 {
		t.Errorf("suggest --verify: exit %d, pass %v, same behaviour %v, differences %q\n%s", r.code, v.Pass, v.SameBehaviour, v.Differences, r.stderr)
	}
	for who, run := range map[string]verifyRun{"original": v.Runs.Original, "suggested": v.Runs.Suggested} {
		switch kind {
		case smokeServer:
			if !run.Running || !slices.ContainsFunc(run.Ports, func(p string) bool { return strings.HasSuffix(p, ":8080") }) {
				t.Errorf("--verify: the %s server: running %v, ports %q (%s); want still running, listening on 8080", who, run.Running, run.Ports, run.PortsUnknown)
			}
		default:
			if run.Running || run.ExitCode != 0 || run.Error != "" {
				t.Errorf("--verify: the %s program: %+v; want exited 0", who, run)
			}
		}
	}
	if got := e.dockerSize(t, tag); got != v.DockerSize {
		t.Errorf("--verify says the built image is %d bytes, docker image inspect %d", v.DockerSize, got)
	}
}

// compareDelta runs `imgdiff compare -o json a b`.
func (e *e2eEnv) compareDelta(t *testing.T, a, b string) *compareReport {
	t.Helper()
	r := e.run(t, "compare", "--no-config", "-o", "json", a, b)
	if r.code != 0 {
		t.Fatalf("imgdiff compare -o json %s %s: %s", a, b, r)
	}
	var c compareReport
	if err := json.Unmarshal(r.stdout, &c); err != nil {
		t.Fatalf("imgdiff compare: stdout is not the JSON report: %v\n%.2000s", err, r.stdout)
	}
	return &c
}

// dockerSize is docker image inspect's .Size of image.
func (e *e2eEnv) dockerSize(t *testing.T, image string) int64 {
	t.Helper()
	out, err := e.dockerOut("image", "inspect", "-f", "{{.Size}}", image)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		t.Fatalf("docker image inspect %s: size %q: %v", image, out, err)
	}
	return n
}

// offBy is |got − want| / want, in percent.
func offBy(got, want int64) float64 {
	return 100 * math.Abs(float64(got-want)) / float64(want)
}

// checkPredicted: the prediction within 5% of the built image, as docker
// and as imgdiff measure it.
func checkPredicted(t *testing.T, name string, p *suggestPrediction, dockerSize, imgdiffSize int64) {
	t.Helper()
	pred := p.Prediction.Predicted
	t.Logf("%s: predicted %d bytes; built %d (docker image inspect, off by %.2f%%), %d (imgdiff, off by %.2f%%)",
		name, pred, dockerSize, offBy(pred, dockerSize), imgdiffSize, offBy(pred, imgdiffSize))
	if offBy(pred, dockerSize) > 5 || offBy(pred, imgdiffSize) > 5 {
		t.Errorf("%s: predicted size %d is not within 5%% of the built image's %d (docker) and %d (imgdiff); terms %+v",
			name, pred, dockerSize, imgdiffSize, p.Prediction.Terms)
	}
}

func TestE2ESuggest(t *testing.T) {
	e := setup(t)
	if e.manifest.Base == "" {
		t.Fatal("the e2e manifest names no base image: written by an older run.sh")
	}
	var total time.Duration
	for _, im := range e.manifest.Images {
		if im.Variant != "single" {
			continue
		}
		t.Run(im.name(), func(t *testing.T) {
			if families[im.App] && im.App != "rpm" {
				// The rpm family's toolchain is ADDed as a tar too, but
				// its files are the rpm database's packages: suggest
				// leaves them behind as it leaves dnf's installs.
				t.Skip("suggest rewrites a toolchain a package manager installs in a RUN; the family images ADD theirs as a tar")
			}
			kind, ok := suggestSmoke[im.App]
			if !ok {
				t.Fatalf("no smoke test for the %s app", im.App)
			}
			if im.Context == "" {
				t.Fatalf("the e2e manifest gives no build context for %s: written by an older run.sh", im.Tag)
			}
			dir := e.suggestLogs(t, im.name())
			original := filepath.Join(im.Context, "Dockerfile.single")
			file, p := e.suggestFor(t, dir, "docker-archive:"+im.Archive, original)
			t.Logf("%s: suggested %s: base %s, packages %v, %d copies, %d question(s)", im.name(), file, p.Base, p.Packages, len(p.Copies), len(p.Questions))

			// A suggestion uses BuildKit's cache mounts, which the legacy
			// builder does not have: the suggestion of an image the legacy
			// builder made is the user's next build, and is built with
			// BuildKit like the others.
			tag := "imgdiff-e2e-suggest/" + im.App + ":" + im.Builder
			v, r, took := e.verify(t, dir, "docker-archive:"+im.Archive, original, im.Context, tag, im.BuildArgs)
			total += took
			t.Logf("%s: suggest --verify (build, both runs, size) in %.1fs", im.name(), took.Seconds())
			e.checkVerified(t, v, r, kind, tag)
			sameFile(t, file, filepath.Join(dir, "Dockerfile.verified"))
			if im.App == "c" && im.Builder == "buildkit" {
				// The other way: a --smoke whose answer differs. The
				// suggestion leaves the sources in the build stage (it
				// keeps the binary make left in /src), so `ls /src` lists
				// wordfreq.c in the original and not in the suggestion:
				// exit 1, the difference named, and the temporary image
				// removed.
				v, r, took := e.verify(t, dir, "docker-archive:"+im.Archive, original, im.Context, "", im.BuildArgs, "--smoke", "ls /src")
				total += took
				t.Logf("%s: suggest --verify --smoke 'ls /src' in %.1fs: exit %d, differences %q", im.name(), took.Seconds(), r.code, v.Differences)
				if r.code != 1 || v.Pass || v.SameBehaviour || v.Smoke == nil ||
					v.Smoke.Original.ExitCode != 0 || !slices.Contains(v.Smoke.Original.Stdout, "wordfreq.c") || slices.Contains(v.Smoke.Suggested.Stdout, "wordfreq.c") ||
					!slices.ContainsFunc(v.Differences, func(d string) bool { return strings.HasPrefix(d, "--smoke: ") }) {
					t.Errorf("--verify --smoke 'ls /src': exit %d, pass %v, smoke %+v, differences %q; want exit 1 and the smoke's difference", r.code, v.Pass, v.Smoke, v.Differences)
				}
			}

			want, err := e.smoke(kind, im.Tag, e.manifest.Base)
			if err != nil {
				t.Fatalf("the original fails its own smoke test: %v", err)
			}
			got, err := e.smoke(kind, tag, e.manifest.Base)
			if err != nil {
				t.Errorf("the suggested image fails the smoke test: %v", err)
			} else if got != want {
				t.Errorf("smoke test: the suggested image answers %q, the original %q", got, want)
			}

			multi := e.find(t, im.App, "multi", im.Builder)
			hand := e.compareDelta(t, "docker-archive:"+im.Archive, "docker-archive:"+multi.Archive)
			sug := e.compareDelta(t, "docker-archive:"+im.Archive, "docker-daemon:"+tag)
			ratio := pct(sug.Delta.Size, hand.Delta.Size)
			t.Logf("%s: ΔS(original, suggested) %d bytes = %.1f%% of ΔS(original, Dockerfile.multi) %d; original %d, suggested %d, hand-written %d",
				im.name(), sug.Delta.Size, ratio, hand.Delta.Size, sug.A.Size, sug.B.Size, hand.B.Size)
			if ratio < 90 {
				t.Errorf("ΔS(original, suggested) is %.1f%% of the hand-written multi-stage build's; want at least 90%%", ratio)
			}
			checkPredicted(t, im.name(), p, e.dockerSize(t, tag), sug.B.Size)
		})
	}
	t.Run("gcc-entrypoint", func(t *testing.T) {
		dir := e.suggestLogs(t, "gcc-entrypoint")
		ctx, err := filepath.Abs(filepath.Join("..", "..", "testdata", "e2e", "gcc-entrypoint"))
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"BASE=" + e.manifest.Base}
		original := "imgdiff-e2e-suggest/gcc-entrypoint:single"
		took := e.dockerBuild(t, dir, ctx, filepath.Join(ctx, "Dockerfile"), original, args)
		want, err := e.smoke(smokeGCC, original, "")
		if err != nil {
			t.Fatalf("the original fails its own smoke test: %v", err)
		}
		file, p := e.suggestFor(t, dir, "docker-daemon:"+original, filepath.Join(ctx, "Dockerfile"))
		t.Logf("gcc-entrypoint: suggested %s: base %s, packages %v, %d copies, questions %q", file, p.Base, p.Packages, len(p.Copies), p.Questions)
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// The question is in the file, beside the decision: a comment
		// that names the compiler the script runs (or says the script
		// could not be read).
		asked := false
		for _, line := range strings.Split(string(text), "\n") {
			if strings.HasPrefix(line, "# ? ") && (strings.Contains(line, "gcc") || strings.Contains(line, "script")) {
				asked = true
			}
		}
		if !asked {
			t.Errorf("the suggested Dockerfile asks nothing about the gcc its ENTRYPOINT script runs:\n%s", text)
		}
		tag := "imgdiff-e2e-suggest/gcc-entrypoint:suggested"
		v, r, vtook := e.verify(t, dir, "docker-daemon:"+original, filepath.Join(ctx, "Dockerfile"), ctx, tag, args)
		took += vtook
		total += took
		e.checkVerified(t, v, r, smokeCLI, tag)
		sameFile(t, file, filepath.Join(dir, "Dockerfile.verified"))
		if out := v.Runs.Suggested.Stdout; len(out) == 0 || out[0] != "hello from a program compiled at run time, 0 argument(s)" {
			t.Errorf("--verify: the suggestion's first line %q, want the compiled program's greeting", out)
		}
		got, err := e.smoke(smokeGCC, tag, "")
		if err != nil {
			t.Errorf("the suggested image fails the smoke test: %v", err)
		} else if got != want {
			t.Errorf("smoke test: the suggested image answers %q, the original %q", got, want)
		}
		sug := e.compareDelta(t, "docker-daemon:"+original, "docker-daemon:"+tag)
		t.Logf("gcc-entrypoint: ΔS(original, suggested) %d bytes (original %d, suggested %d); both builds %.1fs",
			sug.Delta.Size, sug.A.Size, sug.B.Size, took.Seconds())
		checkPredicted(t, "gcc-entrypoint", p, e.dockerSize(t, tag), sug.B.Size)
	})
	t.Logf("suggest --verify of the suggestions (builds, runs, sizes) and the gcc-entrypoint original's build: %.1fs in all", total.Seconds())
}
