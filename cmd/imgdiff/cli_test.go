package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

const fixtures = "../../testdata/fixtures/"

// result is one run of the CLI.
type result struct {
	code        int
	out, errOut string
}

// imgdiff runs one command line in-process, with no cache and an
// environment holding only env (KEY=VALUE).
func imgdiff(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ios, out, errOut := cmdutil.Test()
	vars := map[string]string{"IMGDIFF_NO_CACHE": "1", "DOCKER_HOST": "unix://" + filepath.Join(t.TempDir(), "no-docker.sock")}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	ios.Getenv = func(k string) string { return vars[k] }
	code := run(context.Background(), ios, args)
	return result{code, out.String(), errOut.String()}
}

func analyzeJSON(t *testing.T, ref string, args ...string) *analyze.Analysis {
	t.Helper()
	return analyzeJSONEnv(t, nil, ref, args...)
}

// analyzeJSONEnv is analyzeJSON with environment variables (demoEnv).
func analyzeJSONEnv(t *testing.T, env []string, ref string, args ...string) *analyze.Analysis {
	t.Helper()
	r := imgdiff(t, env, append([]string{"analyze", "-o", "json", ref}, args...)...)
	if r.code != 0 {
		t.Fatalf("analyze %s: exit %d: %s", ref, r.code, r.errOut)
	}
	var a analyze.Analysis
	if err := json.Unmarshal([]byte(r.out), &a); err != nil {
		t.Fatalf("analyze %s: %v", ref, err)
	}
	return &a
}

func TestAnalyzeSameFiguresInEveryFormat(t *testing.T) {
	want, err := imagetest.ReadFixtures(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	refs := []string{
		"docker-archive:" + fixtures + "docker-archive.tar",
		"docker-archive:" + fixtures + "docker-archive-25.tar",
		"docker-archive:" + fixtures + "docker-archive-25-gzip.tar",
		"oci:" + fixtures + "oci-layout-gzip",
		"oci:" + fixtures + "oci-layout-zstd",
		"oci-archive:" + fixtures + "oci-archive.tar",
		fixtures + "oci-archive.tar",
		"oci:" + fixtures + "index-layout",
	}
	for _, ref := range refs {
		t.Run(ref, func(t *testing.T) {
			a := analyzeJSON(t, ref, "--platform", "linux/amd64")
			img := a.Image
			if img.Size != want.Image.Size || img.Platform != "linux/amd64" {
				t.Errorf("size %d platform %s, want %d linux/amd64", img.Size, img.Platform, want.Image.Size)
			}
			if img.Wasted != want.Image.Wasted {
				t.Errorf("wasted %d, want %d", img.Wasted, want.Image.Wasted)
			}
			for i, l := range img.Layers {
				if l.Size != want.Image.Layers[i].Size {
					t.Errorf("layer %d size %d, want %d", i, l.Size, want.Image.Layers[i].Size)
				}
			}
			// Per-instruction figures add up exactly to the total.
			var steps int64
			for _, s := range img.Steps {
				steps += s.Size
			}
			if steps != img.Size {
				t.Errorf("steps add up to %d, total %d", steps, img.Size)
			}
		})
	}
}

func TestCompareDemoExplainsTheDelta(t *testing.T) {
	dir := demo(t)
	r := imgdiff(t, demoEnv(t), "compare", "-o", "json", "oci:"+dir+"/single", "oci:"+dir+"/multi")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var c analyze.Comparison
	if err := json.Unmarshal([]byte(r.out), &c); err != nil {
		t.Fatal(err)
	}
	if c.Delta.Size != c.A.Size-c.B.Size || c.Delta.Size <= 0 {
		t.Errorf("ΔS %d, sizes %d − %d", c.Delta.Size, c.A.Size, c.B.Size)
	}
	if c.Shared.Layers < 1 {
		t.Errorf("shared layers %d, want the base", c.Shared.Layers)
	}
	terms := map[string]int64{}
	var sum int64
	for _, term := range c.Decomposition.Terms {
		terms[term.Name] = term.Bytes
		sum += term.Bytes
	}
	sum -= c.Decomposition.Epsilon
	if sum != c.Delta.Size || c.Decomposition.Total != c.Delta.Size {
		t.Errorf("terms add up to %d, ΔS %d (total %d)", sum, c.Delta.Size, c.Decomposition.Total)
	}
	for _, cat := range []string{"build-tool", "source", "dev-dependency", "cache"} {
		if terms[cat] <= 0 {
			t.Errorf("term %s = %d, the demo must show it", cat, terms[cat])
		}
	}
	// The table is for people: it says which size it means.
	r = imgdiff(t, demoEnv(t), "compare", "oci:"+dir+"/single", "oci:"+dir+"/multi")
	if r.code != 0 || !strings.Contains(r.out, "docker image inspect") {
		t.Errorf("table (exit %d) does not say which size it shows:\n%s", r.code, r.out)
	}
}

func TestCompareWithItself(t *testing.T) {
	ref := "oci:" + fixtures + "oci-layout-gzip"
	r := imgdiff(t, nil, "compare", "-o", "json", ref, ref)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var c analyze.Comparison
	json.Unmarshal([]byte(r.out), &c)
	if c.Delta.Size != 0 || !c.Identical {
		t.Errorf("ΔS %d identical %v", c.Delta.Size, c.Identical)
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/text", []byte("not an image"), 0o644)
	trunc := dir + "/trunc.tar"
	b, _ := os.ReadFile(fixtures + "docker-archive.tar")
	os.WriteFile(trunc, b[:len(b)/3], 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", dir + "/missing.tar"}, "no such file"},
		{[]string{"analyze", dir + "/text"}, "not a tar archive"},
		{[]string{"analyze", trunc}, "truncated"},
		{[]string{"analyze", "ftp:/x"}, "unknown transport"},
		{[]string{"analyze", "oci:" + fixtures + "index-layout", "--platform", "linux/s390x"}, "no linux/s390x image"},
		{[]string{"analyze", "docker-daemon:app:1"}, "no engine answers: docker-daemon via DOCKER_HOST (unix://"},
		{[]string{"analyze", "-o", "yaml", fixtures + "docker-archive.tar"}, "unknown output format"},
		{[]string{"compare", fixtures + "docker-archive.tar"}, "compare: accepts 2 arg(s)"},
		{[]string{"analyze", "--platform", "linux", fixtures + "docker-archive.tar"}, "--platform"},
	} {
		r := imgdiff(t, nil, c.args...)
		lines := strings.Split(strings.TrimSpace(r.errOut), "\n")
		if r.code != 2 || r.out != "" || len(lines) != 1 || !strings.HasPrefix(lines[0], "imgdiff") || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, no report, one line with %q", c.args, r.code, r.out, r.errOut, c.want)
		}
	}
}

// The demo pair is written once per test binary (TestMain removes it):
// generating it is most of the cost of the tests that read it, and they
// only read it.
var (
	demoOnce  sync.Once
	demoDir   string
	demoCache string
	demoErr   error
)

// demo returns the directory holding the demo pair (single, multi).
func demo(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		if demoDir, demoErr = sharedTempDir("imgdiff-demo-"); demoErr == nil {
			demoErr = imagetest.WriteDemo(demoDir)
		}
		if demoErr == nil {
			demoCache, demoErr = sharedTempDir("imgdiff-demo-cache-")
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoDir
}

// demoEnv turns the layer cache on, in a directory shared by the tests
// that read the demo pair: under the race detector, reading its ~190 MB
// of layers is most of each run's cost, and the tests are about what the
// commands make of the layers, not about reading them again. The first
// run to read a layer walks it (a cache miss: the whole walk, then the
// entry is stored); later ones are served the same index, as a user's
// second run is. TestDemoGolden's JSON run reads the pair without the
// cache, and its golden file and the table's and Markdown's (read
// through the cache) pin the same figures.
func demoEnv(t *testing.T) []string {
	t.Helper()
	demo(t)
	return []string{"IMGDIFF_NO_CACHE=", "IMGDIFF_CACHE_DIR=" + demoCache}
}

// TestBudgetExitCodes is the table of budget cases: every rule passing and
// failing, SI and IEC units, percentages, config files good and bad, and
// the exit code each must give (0 within budget, 1 a budget failed, 2 the
// tool could not do its job).
func TestBudgetExitCodes(t *testing.T) {
	dir := demo(t)
	single, multi := "oci:"+dir+"/single", "oci:"+dir+"/multi"
	// Figures of the demo pair, checked below so the thresholds stay honest.
	// The cache makes the 40 runs read the demo at most once.
	env := demoEnv(t)
	a := analyzeJSONEnv(t, env, single)
	b := analyzeJSONEnv(t, env, multi)
	if a.Image.Size != 149_239_666 || b.Image.Size != 41_322_694 || len(b.Image.Layers) != 5 {
		t.Fatalf("demo figures changed: A %d B %d (%d layers); update the thresholds", a.Image.Size, b.Image.Size, len(b.Image.Layers))
	}
	cfgDir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(cfgDir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "budgets:\n  - image: \"oci:*multi\"\n    max-size: 50MB\n    max-category:\n      build-tool: 0\n    fail-on: [secret]\ncompare:\n  min-savings: 70%\n")
	tight := write("tight.yaml", "budgets:\n  - image: \"*\"\n    max-size: 41MB\n")
	other := write("other.yaml", "budgets:\n  - image: \"docker://elsewhere/*\"\n    max-size: 1B\n")
	badKey := write("badkey.yaml", "budgets:\n  - image: \"*\"\n    max-sise: 1MB\n")
	badUnit := write("badunit.yaml", "budgets:\n  - max-size: 12 parsecs\n")
	badCat := write("badcat.yaml", "budgets:\n  - max-category:\n      compilers: 0\n")
	badType := write("badtype.yaml", "budgets:\n  - max-layers: many\n")

	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr for errors, in stdout otherwise
	}{
		{"max-size pass SI", []string{"analyze", multi, "--max-size", "41.4MB"}, 0, "PASS"},
		{"max-size fail SI", []string{"analyze", multi, "--max-size", "41.3MB"}, 1, "FAIL"},
		{"max-size pass IEC", []string{"analyze", multi, "--max-size", "39.5MiB"}, 0, "PASS"}, // 41,418,752
		{"max-size fail IEC", []string{"analyze", multi, "--max-size", "39MiB"}, 1, "FAIL"},   // 40,894,464
		{"max-size exact bytes", []string{"analyze", multi, "--max-size", "41322694"}, 0, "PASS"},
		{"max-size one byte short", []string{"analyze", multi, "--max-size", "41322693"}, 1, "FAIL"},
		{"max-compressed-size pass", []string{"analyze", multi, "--max-compressed-size", "18MB"}, 0, "PASS"},
		{"max-compressed-size fail", []string{"analyze", multi, "--max-compressed-size", "17MB"}, 1, "FAIL"},
		{"max-compressed-size unknown", []string{"analyze", "docker-archive:" + fixtures + "docker-archive.tar", "--max-compressed-size", "1GB"}, 2, "compressed size is unknown"},
		{"max-layers pass", []string{"analyze", multi, "--max-layers", "5"}, 0, "PASS"},
		{"max-layers fail", []string{"analyze", multi, "--max-layers", "4"}, 1, "FAIL"},
		{"max-category pass", []string{"analyze", multi, "--max-category", "build-tool=0"}, 0, "PASS"},
		{"max-category fail", []string{"analyze", single, "--max-category", "build-tool=50MB"}, 1, "FAIL"},
		{"max-wasted bytes pass", []string{"analyze", single, "--max-wasted", "1MB"}, 0, "PASS"},
		{"max-wasted bytes fail", []string{"analyze", single, "--max-wasted", "100kB"}, 1, "FAIL"},
		{"max-wasted percent pass", []string{"analyze", single, "--max-wasted", "1%"}, 0, "PASS"},
		{"max-wasted percent fail", []string{"analyze", single, "--max-wasted", "0.1%"}, 1, "FAIL"},
		{"fail-on finding pass", []string{"analyze", multi, "--fail-on", "root-user"}, 0, "PASS"},
		{"fail-on finding fail", []string{"analyze", single, "--fail-on", "root-user"}, 1, "FAIL"},
		{"fail-on category fail", []string{"analyze", single, "--fail-on", "secret"}, 1, "FAIL"},
		{"min-savings percent pass", []string{"compare", single, multi, "--min-savings", "70%"}, 0, "PASS"},
		{"min-savings percent fail", []string{"compare", single, multi, "--min-savings", "75%"}, 1, "FAIL"},
		{"min-savings bytes fail", []string{"compare", single, multi, "--min-savings", "200MB"}, 1, "FAIL"},
		{"max-growth pass", []string{"compare", multi, single, "--max-growth", "108MB"}, 0, "PASS"},
		{"max-growth fail", []string{"compare", multi, single, "--max-growth", "10%"}, 1, "FAIL"},
		{"config applies to B", []string{"compare", single, multi, "--config", good}, 0, "PASS"},
		{"config fails", []string{"analyze", multi, "--config", tight}, 1, "FAIL"},
		{"config pattern skips", []string{"analyze", multi, "--config", other}, 0, ""},
		{"config unknown key", []string{"analyze", multi, "--config", badKey}, 2, "badkey.yaml:3:5: unknown field \"max-sise\""},
		{"config bad unit", []string{"analyze", multi, "--config", badUnit}, 2, "badunit.yaml:2:15: size \"12 parsecs\""},
		{"config unknown category", []string{"analyze", multi, "--config", badCat}, 2, "badcat.yaml:3:7: max-category: unknown category \"compilers\""},
		{"config wrong type", []string{"analyze", multi, "--config", badType}, 2, "badtype.yaml:2:17:"},
		{"config missing", []string{"analyze", multi, "--config", cfgDir + "/none.yaml"}, 2, "no such file"},
		{"flag bad unit", []string{"analyze", multi, "--max-size", "5 apples"}, 2, "for \"--max-size\" flag: size \"5 apples\""},
		{"flag negative", []string{"analyze", multi, "--max-size", "-5MB"}, 2, "for \"--max-size\" flag: size \"-5MB\""},
		{"max-entries exceeded", []string{"analyze", multi, "--max-entries", "10"}, 2, "entries: too many entries (--max-entries)"},
		{"max-entries negative", []string{"analyze", multi, "--max-entries", "-1"}, 2, "--max-entries must be at least 0"},
		{"ranged-threshold off", []string{"analyze", multi, "--ranged-threshold", "off", "--ranged-conns", "2"}, 0, ""},
		{"ranged-threshold bad", []string{"analyze", multi, "--ranged-threshold", "big"}, 2, "--ranged-threshold: size \"big\""},
		{"flag unknown fail-on", []string{"analyze", multi, "--fail-on", "no-such-thing"}, 2, "unknown finding or category"},
		{"flag bad category", []string{"analyze", multi, "--max-category", "build-tool"}, 2, "want CATEGORY=SIZE"},
		{"error is not a budget failure", []string{"analyze", dir + "/nope", "--max-size", "1B"}, 2, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := imgdiff(t, env, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, c.code, r.out, r.errOut)
			}
			where := r.out
			if c.code == 2 {
				where = r.errOut
				if r.out != "" {
					t.Errorf("an error printed a report:\n%s", r.out)
				}
			}
			if !strings.Contains(where, c.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", c.want, r.out, r.errOut)
			}
		})
	}
}

// TestConfigFoundByWalkingUp runs from a subdirectory of the one holding
// .imgdiff.yaml, with JSON output carrying the budget results.
func TestConfigFoundByWalkingUp(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(root, ".imgdiff.yaml"), []byte("budgets:\n  - max-layers: 1\n"), 0o644)
	ios, out, _ := cmdutil.Test()
	ios.WorkDir = sub
	ios.Getenv = func(k string) string {
		if k == "IMGDIFF_NO_CACHE" {
			return "1"
		}
		return ""
	}
	code := run(context.Background(), ios, []string{"analyze", "-o", "json", "oci:" + fixtures + "oci-layout-gzip"})
	var a analyze.Analysis
	json.Unmarshal(out.Bytes(), &a)
	if code != 1 || a.Budgets == nil || a.Budgets.Pass || a.Budgets.Source != filepath.Join(root, ".imgdiff.yaml") {
		t.Fatalf("exit %d budgets %+v", code, a.Budgets)
	}
	if c := a.Budgets.Checks[0]; c.Rule != "max-layers" || c.Actual != float64(len(a.Image.Layers)) || c.Limit != 1 || c.Pass {
		t.Errorf("check %+v", c)
	}
	// --no-config ignores it.
	ios, _, _ = cmdutil.Test()
	ios.WorkDir = sub
	if code := run(context.Background(), ios, []string{"analyze", "--no-config", "--no-cache", "oci:" + fixtures + "oci-layout-gzip"}); code != 0 {
		t.Errorf("--no-config: exit %d", code)
	}
}

// TestStepSummary appends the Markdown report to $GITHUB_STEP_SUMMARY
// whatever the -o format.
func TestStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(summary, []byte("earlier step\n"), 0o644)
	r := imgdiff(t, []string{"GITHUB_STEP_SUMMARY=" + summary}, "analyze", "-o", "json", "oci:"+fixtures+"oci-layout-gzip")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	b, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(b), "earlier step\n<!-- imgdiff:") || !json.Valid([]byte(r.out)) {
		t.Errorf("summary:\n%s", b)
	}
}
