package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
)

// singleStageDockerfile is the Dockerfile singleStage's history was
// written from; the lines below are counted by hand.
const singleStageDockerfile = `FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y gcc-12 libc6-dev make
WORKDIR /src
COPY . /src
RUN make && rm build/main.o
ENTRYPOINT ["/src/app"]
`

func mappedAnalysis(t *testing.T) *analyze.Analysis {
	t.Helper()
	a := testAnalysis(t)
	buildKit(a.Image)
	f, err := dockerfile.Parse("build/Dockerfile", []byte(singleStageDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	r, err := analyze.MapDockerfile(a.Image, a.Classification, f, analyze.DockerfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Dockerfile = r
	return a
}

func TestDockerfileSectionTableAndMarkdown(t *testing.T) {
	a := mappedAnalysis(t)
	var buf bytes.Buffer
	if err := (Options{Width: 200}).WriteAnalysis(&buf, Table, a); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"build/Dockerfile (target stage 0, buildkit history, from the dockerfile): 7 of 7 history entries mapped (100.0%)",
		"build/Dockerfile:1 (stage 0)", // the base image's entries
		"build/Dockerfile:2 (stage 0)",
		"build/Dockerfile:5 (stage 0)",
		"dockerfile-build-tools-in-final-stage",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The step row of the toolchain install names its line.
	found := false
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "RUN apt-get update") && strings.HasSuffix(strings.TrimSpace(l), "build/Dockerfile:2 (stage 0)") {
			found = true
		}
	}
	if !found {
		t.Errorf("no step row ends with build/Dockerfile:2:\n%s", out)
	}

	buf.Reset()
	o := Options{SourceURL: GitHubSourceURL(env{
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc123"}.get)}
	if err := o.WriteAnalysis(&buf, Markdown, a); err != nil {
		t.Fatal(err)
	}
	if want := "[`build/Dockerfile:2`](https://github.com/o/r/blob/abc123/build/Dockerfile#L2) (stage 0)"; !strings.Contains(buf.String(), want) {
		t.Errorf("Markdown lacks the link %s:\n%s", want, buf.String())
	}
}

// buildKit gives the fixture's instruction entries the comment BuildKit
// writes on every entry it creates (the fixture leaves it out).
func buildKit(img *analyze.Image) {
	for i := range img.Steps {
		if !strings.Contains(img.Steps[i].CreatedBy, "#(nop)") {
			img.Steps[i].Comment = "buildkit.dockerfile.v0"
		}
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestGitHubSourceURLNeedsAllThree(t *testing.T) {
	if u := GitHubSourceURL(env{"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r"}.get); u != "" {
		t.Errorf("without GITHUB_SHA: %q, want none", u)
	}
	if u := GitHubSourceURL(env{"GITHUB_SERVER_URL": "https://ghe.example/", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "s"}.get); u != "https://ghe.example/o/r/blob/s" {
		t.Errorf("got %q", u)
	}
}

func TestAnalysisSARIFAndGitHub(t *testing.T) {
	a := mappedAnalysis(t)
	var buf bytes.Buffer
	if err := WriteAnalysis(&buf, SARIF, a); err != nil {
		t.Fatal(err)
	}
	if err := validate(t, sarifSchema(t), buf.Bytes()); err != nil {
		t.Fatalf("SARIF does not validate: %v\n%s", err, buf.String())
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		if l.ArtifactLocation.URI != "build/Dockerfile" {
			t.Errorf("%s: uri %q", r.RuleID, l.ArtifactLocation.URI)
		}
		got[r.RuleID] = l.Region.StartLine
	}
	// By hand: the toolchain RUN is line 2; the RUN that deletes main.o,
	// which a lower layer still ships, line 5; apt-lists-left is the
	// package-cache check's (annotated once, by the check).
	for id, line := range map[string]int{"dockerfile-build-tools-in-final-stage": 2, "dockerfile-package-cache-left": 2, "wasted-bytes": 5} {
		if got[id] != line {
			t.Errorf("%s on line %d, want %d (results %v)", id, got[id], line, got)
		}
	}
	if _, dup := got["apt-lists-left"]; dup {
		t.Error("apt-lists-left annotated besides dockerfile-package-cache-left")
	}

	buf.Reset()
	if err := WriteAnalysis(&buf, GitHub, a); err != nil {
		t.Fatal(err)
	}
	first := parseCommand(t, strings.SplitN(buf.String(), "\n", 2)[0])
	if first.Props["file"] != "build/Dockerfile" || first.Props["line"] != "2" || !strings.Contains(first.Message, "gcc-12") {
		t.Errorf("first annotation %+v, want the build tools on build/Dockerfile:2", first)
	}
}

// Without a Dockerfile the annotation formats say nothing wrong: SARIF
// with no results, no workflow command.
func TestAnnotationsWithoutDockerfile(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAnalysis(&buf, SARIF, testAnalysis(t)); err != nil {
		t.Fatal(err)
	}
	if err := validate(t, sarifSchema(t), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"ruleId"`) {
		t.Errorf("results without a Dockerfile:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteComparison(&buf, GitHub, testComparison(t)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("workflow commands without a Dockerfile: %q", buf.String())
	}
}

func TestComparisonDockerfileOrigins(t *testing.T) {
	c := testComparison(t)
	f, err := dockerfile.Parse("Dockerfile.single", []byte(singleStageDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	_, cls := singleStage(t)
	buildKit(c.A)
	r, err := analyze.MapDockerfile(c.A, cls, f, analyze.DockerfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.DockerfileA = r
	var buf bytes.Buffer
	if err := (Options{Width: 200}).WriteComparison(&buf, Table, c); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "#2 RUN apt-get") && strings.HasSuffix(strings.TrimSpace(l), "Dockerfile.single:2 (stage 0)") {
			found = true
		}
	}
	if !found {
		t.Errorf("A's instruction of origin #2 not placed on Dockerfile.single:2:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteComparison(&buf, SARIF, c); err != nil {
		t.Fatal(err)
	}
	if err := validate(t, sarifSchema(t), buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}
