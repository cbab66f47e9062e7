package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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
	r := imgdiff(t, nil, append([]string{"analyze", "-o", "json", ref}, args...)...)
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
	raw, err := os.ReadFile(fixtures + "expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want imagetest.Fixtures
	if err := json.Unmarshal(raw, &want); err != nil {
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
	r := imgdiff(t, nil, "compare", "-o", "json", "oci:"+dir+"/single", "oci:"+dir+"/multi")
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
	r = imgdiff(t, nil, "compare", "oci:"+dir+"/single", "oci:"+dir+"/multi")
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
		{[]string{"analyze", "docker-daemon:app:1"}, "does not answer"},
		{[]string{"analyze", "-o", "yaml", fixtures + "docker-archive.tar"}, "unknown output format"},
		{[]string{"compare", fixtures + "docker-archive.tar"}, "accepts 2 arg(s)"},
		{[]string{"analyze", "--platform", "linux", fixtures + "docker-archive.tar"}, "--platform"},
	} {
		r := imgdiff(t, nil, c.args...)
		lines := strings.Split(strings.TrimSpace(r.errOut), "\n")
		if r.code != 2 || r.out != "" || !strings.HasPrefix(lines[0], "imgdiff: ") || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, no report, one line with %q", c.args, r.code, r.out, r.errOut, c.want)
		}
	}
}

// demo writes the demo pair.
func demo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := imagetest.WriteDemo(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}
