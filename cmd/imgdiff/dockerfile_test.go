package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureDockerfile is a Dockerfile the fixture image's BuildKit steps
// match: its base (an ADD, an ENV and a RUN of the legacy builder), then
// COPY, USER and ENTRYPOINT.
const fixtureDockerfile = `FROM fixture-base:1
COPY app /app
USER 1000:1000
ENTRYPOINT ["/app/main"]
`

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnalyzeWithDockerfile(t *testing.T) {
	df := writeFile(t, t.TempDir(), "Dockerfile", fixtureDockerfile)
	r := imgdiff(t, nil, "analyze", "-o", "json", "--dockerfile", df, "oci:"+fixtures+"oci-layout-gzip")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var a struct {
		Dockerfile struct {
			Source    string  `json:"source"`
			MatchRate float64 `json:"matchRate"`
			Steps     []struct {
				Kind  string `json:"kind"`
				Start int    `json:"startLine"`
			} `json:"steps"`
		} `json:"dockerfile"`
	}
	if err := json.Unmarshal([]byte(r.out), &a); err != nil {
		t.Fatal(err)
	}
	// By hand: the three base entries on the FROM line, then lines 2-4.
	var got []string
	for _, s := range a.Dockerfile.Steps {
		got = append(got, s.Kind+":"+itoa(s.Start))
	}
	if want := "base:1 base:1 base:1 instruction:2 instruction:3 instruction:4"; strings.Join(got, " ") != want {
		t.Errorf("steps %q, want %q", strings.Join(got, " "), want)
	}
	if a.Dockerfile.Source != "dockerfile" || a.Dockerfile.MatchRate != 1 {
		t.Errorf("source %q, match rate %v", a.Dockerfile.Source, a.Dockerfile.MatchRate)
	}
	if !strings.Contains(r.errOut, "mapped 6 of 6 history entries (100.0%)") {
		t.Errorf("stderr lacks the match rate: %q", r.errOut)
	}

	// Without --dockerfile the JSON has no dockerfile field.
	r = imgdiff(t, nil, "analyze", "-o", "json", "oci:"+fixtures+"oci-layout-gzip")
	if r.code != 0 || strings.Contains(r.out, `"dockerfile"`) {
		t.Errorf("without --dockerfile: exit %d, dockerfile field present: %v", r.code, strings.Contains(r.out, `"dockerfile"`))
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// An edited Dockerfile warns on stderr, naming the first mismatch.
func TestAnalyzeDockerfileEdited(t *testing.T) {
	df := writeFile(t, t.TempDir(), "Dockerfile", strings.Replace(fixtureDockerfile, "USER 1000:1000", "USER 2000:2000", 1))
	r := imgdiff(t, nil, "analyze", "--dockerfile", df, "oci:"+fixtures+"oci-layout-gzip")
	if r.code != 0 || !strings.Contains(r.errOut, "warning: ") || !strings.Contains(r.errOut, ":3") {
		t.Errorf("exit %d, stderr %q; want 0 and a warning naming line 3", r.code, r.errOut)
	}
}

// Bad Dockerfile input: exit 2 and one line naming it.
func TestDockerfileBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "Dockerfile", fixtureDockerfile)
	noFrom := writeFile(t, dir, "NoFrom", "RUN true\n")
	ref := "oci:" + fixtures + "oci-layout-gzip"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze", "--dockerfile", filepath.Join(dir, "missing"), ref}, "--dockerfile"},
		{[]string{"analyze", "--dockerfile", noFrom, ref}, "NoFrom"},
		{[]string{"analyze", "--dockerfile", good, "--target", "nope", ref}, `"nope"`},
		{[]string{"analyze", "--target", "build", ref}, "need --dockerfile"},
		{[]string{"analyze", "--dockerfile", good, "--build-arg", "NOEQUALS", ref}, "KEY=VALUE"},
		{[]string{"compare", "--dockerfile-b", noFrom, ref, ref}, "--dockerfile-b"},
	} {
		r := imgdiff(t, nil, c.args...)
		first := strings.SplitN(strings.TrimSpace(r.errOut), "\n", 2)[0]
		if r.code != 2 || r.out != "" || !strings.HasPrefix(first, "imgdiff") || !strings.Contains(first, c.want) {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want exit 2 and a line with %q", c.args, r.code, len(r.out), r.errOut, c.want)
		}
	}
}

// The image a real BuildKit built with a mode=max provenance attestation
// maps without --dockerfile: the lines below are read by hand from
// testdata/provenance/context/Dockerfile (the final stage: ARG 7,
// WORKDIR 8, COPY --from 9, COPY over 10-11, ENV 12, USER 13, CMD 14).
func TestAnalyzeFromProvenance(t *testing.T) {
	r := imgdiff(t, nil, "analyze", "-o", "json", "--platform", "linux/amd64", "oci-archive:../../testdata/provenance/image.oci.tar")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	var a struct {
		Dockerfile *struct {
			Source    string  `json:"source"`
			File      string  `json:"file"`
			MatchRate float64 `json:"matchRate"`
			Steps     []struct {
				Kind  string `json:"kind"`
				Start int    `json:"startLine"`
				End   int    `json:"endLine"`
				Stage string `json:"stage"`
			} `json:"steps"`
		} `json:"dockerfile"`
	}
	if err := json.Unmarshal([]byte(r.out), &a); err != nil {
		t.Fatal(err)
	}
	if a.Dockerfile == nil {
		t.Fatalf("no dockerfile mapping; stderr %q", r.errOut)
	}
	var got []string
	for _, s := range a.Dockerfile.Steps {
		l := itoa(s.Start)
		if s.End > s.Start {
			l += "-" + itoa(s.End)
		}
		got = append(got, s.Kind+":"+l+"@"+s.Stage)
	}
	want := "instruction:7@stage 1 instruction:8@stage 1 instruction:9@stage 1 instruction:10-11@stage 1 instruction:12@stage 1 instruction:13@stage 1 instruction:14@stage 1"
	if strings.Join(got, " ") != want {
		t.Errorf("steps\n %s\nwant\n %s", strings.Join(got, " "), want)
	}
	if a.Dockerfile.Source != "provenance" || a.Dockerfile.File != "Dockerfile" || a.Dockerfile.MatchRate != 1 {
		t.Errorf("source %q, file %q, match rate %v; want provenance, Dockerfile, 1", a.Dockerfile.Source, a.Dockerfile.File, a.Dockerfile.MatchRate)
	}
	if !strings.Contains(r.errOut, "from the provenance") {
		t.Errorf("stderr does not say where the mapping came from: %q", r.errOut)
	}
}

// .imgdiff.yaml's dockerfiles: names the Dockerfile (relative to the
// config file) when no --dockerfile is given.
func TestDockerfileFromConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "build"), "Dockerfile", fixtureDockerfile)
	cfg := writeFile(t, dir, ".imgdiff.yaml", "dockerfiles:\n  - image: \"*oci-layout-gzip*\"\n    dockerfile: build/Dockerfile\n")
	r := imgdiff(t, nil, "analyze", "--config", cfg, "oci:"+fixtures+"oci-layout-gzip")
	if r.code != 0 || !strings.Contains(r.errOut, "mapped 6 of 6 history entries (100.0%) to "+filepath.Join(dir, "build", "Dockerfile")) {
		t.Errorf("exit %d, stderr %q; want the config's Dockerfile mapped", r.code, r.errOut)
	}
}
