//go:build e2e

// The acceptance test of `imgdiff suggest` (issue 18): for every
// single-stage image run.sh built, the suggested Dockerfile must build
// unchanged with BuildKit, its image must pass the same smoke test as the
// original, `imgdiff compare original suggested` must show at least 90% of
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
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
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
	var p suggestPrediction
	if err := json.Unmarshal(r.stderr, &p); err != nil {
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

// smokeKind is how an app is exercised.
type smokeKind int

const (
	smokeCLI    smokeKind = iota // the image's own command, fed suggestWords
	smokeServer                  // an HTTP server on :8080
	smokeGCC                     // testdata/e2e/gcc-entrypoint: compiles and runs hello.c
)

var suggestSmoke = map[string]smokeKind{
	"go": smokeServer, "goscratch": smokeServer, "node": smokeServer,
	"c": smokeCLI, "python": smokeCLI, "java": smokeCLI,
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
			if families[im.App] {
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
			took := e.dockerBuild(t, dir, im.Context, file, tag, im.BuildArgs)
			total += took
			t.Logf("%s: the suggestion built (BuildKit) in %.1fs", im.name(), took.Seconds())

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
		took += e.dockerBuild(t, dir, ctx, file, tag, args)
		total += took
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
	t.Logf("docker builds of the suggestions: %.1fs in all", total.Seconds())
}
