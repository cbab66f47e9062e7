package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/reporttest"
	"github.com/imgdiff/imgdiff/report/sarif"
	"github.com/imgdiff/imgdiff/report/view"
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
	a := reporttest.Analysis(t)
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
func buildKit(img *model.Image) {
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
	log := sarifOf(t, &buf, func(w io.Writer) error { return WriteAnalysis(w, SARIF, a) })
	got := map[string]int{}
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0].PhysicalLocation
		if l.ArtifactLocation.URI != "build/Dockerfile" || l.Region == nil {
			t.Fatalf("%s: uri %q, region %v", r.RuleID, l.ArtifactLocation.URI, l.Region)
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
	first := reporttest.ParseCommand(t, strings.SplitN(buf.String(), "\n", 2)[0])
	if first.Props["file"] != "build/Dockerfile" || first.Props["line"] != "2" || !strings.Contains(first.Message, "gcc-12") {
		t.Errorf("first annotation %+v, want the build tools on build/Dockerfile:2", first)
	}
}

// Without a Dockerfile the annotation formats never go silent: a failed
// budget and the image's findings are file-less workflow commands, and
// SARIF results located at the image reference; the note says what could
// not be placed. A comparison annotates its failed budgets and B's
// findings A does not have.
func TestAnnotationsWithoutDockerfile(t *testing.T) {
	a := reporttest.Analysis(t)
	var notes []string
	o := Options{Note: func(s string) { notes = append(notes, s) }}
	var buf bytes.Buffer
	if err := o.WriteAnalysis(&buf, GitHub, a); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var budgetLine reporttest.Command
	for _, l := range lines {
		c := reporttest.ParseCommand(t, l)
		if _, ok := c.Props["file"]; ok {
			t.Errorf("a file on an annotation with no Dockerfile: %q", l)
		}
		if strings.HasPrefix(c.Props["title"], "imgdiff budget failed") {
			budgetLine = c
		}
	}
	wantMsg := "budget max-category.build-tool failed for app:single: " + view.BudgetFigure("bytes", a.Budgets.Checks[1].Actual) + ", limit 0 B (0 bytes) (build-tool bytes)"
	if budgetLine.Command != "error" || budgetLine.Message != wantMsg || budgetLine.Props["title"] != "imgdiff budget failed: max-category.build-tool" {
		t.Errorf("budget annotation %+v, want ::error with %q", budgetLine, wantMsg)
	}
	if len(lines) != 1+len(a.Classification.Findings) {
		t.Errorf("%d commands for 1 failed budget and %d findings:\n%s", len(lines), len(a.Classification.Findings), buf.String())
	}
	if len(notes) != 1 || !strings.Contains(notes[0], fmt.Sprintf("-o github: %d annotations (failed budgets, image findings) with no Dockerfile", len(lines))) {
		t.Errorf("notes %q", notes)
	}

	buf.Reset()
	notes = nil
	log := sarifOf(t, &buf, func(w io.Writer) error { return o.WriteAnalysis(w, SARIF, a) })
	res := log.Runs[0].Results
	if len(res) != len(lines) || len(notes) != 1 || !strings.HasPrefix(notes[0], "-o sarif: ") {
		t.Fatalf("%d results, notes %q", len(res), notes)
	}
	for _, r := range res {
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "app%3Asingle" || loc.ArtifactLocation.URIBaseID != "" || loc.Region != nil {
			t.Errorf("result %s located at %+v, want the image reference app:single", r.RuleID, loc)
		}
	}

	// A comparison: the failed budget, and none of B's findings that A
	// has too.
	c := reporttest.Comparison(t)
	c.Budgets.Checks[0].Pass, c.Budgets.Pass = false, false
	_, ca := reporttest.SingleStage(t)
	_, cb := reporttest.MultiStage(t)
	buf.Reset()
	notes = nil
	o.ClassA, o.ClassB = ca, cb
	if err := o.WriteComparison(&buf, GitHub, c); err != nil {
		t.Fatal(err)
	}
	inA := map[string]bool{}
	for _, f := range ca.Findings {
		inA[f.Title] = true
	}
	new := 0
	for _, f := range cb.Findings {
		if !inA[f.Title] {
			new++
		}
	}
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(got) != 1+new || !strings.HasPrefix(got[0], "::error title=imgdiff budget failed%3A min-savings::budget min-savings failed for app:multi") {
		t.Errorf("comparison annotations (1 budget, %d new findings):\n%s", new, buf.String())
	}
}

// TestAnnotationsOnDockerfileFirstLine: with a Dockerfile, a failed budget
// and the findings no instruction holds go on its first line.
func TestAnnotationsOnDockerfileFirstLine(t *testing.T) {
	a := mappedAnalysis(t)
	a.Budgets = &model.BudgetReport{Checks: []model.BudgetCheck{{Rule: "max-size", Image: a.Image.Ref, Unit: "bytes", Actual: 2e6, Limit: 1e6}}}
	a.Classification.Findings = append(a.Classification.Findings, model.Finding{ID: "no-healthcheck", Severity: "info", Title: "no HEALTHCHECK", Step: -1})
	var notes []string
	var buf bytes.Buffer
	if err := (Options{Note: func(s string) { notes = append(notes, s) }}).WriteAnalysis(&buf, GitHub, a); err != nil {
		t.Fatal(err)
	}
	var onFirst []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		c := reporttest.ParseCommand(t, l)
		if c.Props["file"] == "" {
			t.Errorf("an annotation without a file although a Dockerfile is given: %q", l)
		}
		if c.Props["line"] == "1" && c.Props["file"] == a.Dockerfile.File {
			onFirst = append(onFirst, c.Props["title"])
		}
	}
	if !slices.Contains(onFirst, "imgdiff budget failed: max-size") || !slices.Contains(onFirst, "no HEALTHCHECK") {
		t.Errorf("on line 1 of %s: %q\n%s", a.Dockerfile.File, onFirst, buf.String())
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "placed on line 1 of "+a.Dockerfile.File) {
		t.Errorf("notes %q", notes)
	}
}

// TestImageAnnotationsEscaped: an image reference and a finding built to
// forge commands (a newline then ::error, commas and colons in a title,
// percent signs, an escape sequence) stay one command each, and read back
// as written, control characters made visible.
func TestImageAnnotationsEscaped(t *testing.T) {
	ref := "evil:1\n::error file=x::forged,%0A\x1b[31m"
	a := &analyze.Analysis{Image: &model.Image{Ref: ref},
		Budgets: &model.BudgetReport{Checks: []model.BudgetCheck{{Rule: "fail-on.secret", Image: ref, Unit: "count", Actual: 1}}},
		Classification: &model.Classification{Findings: []model.Finding{{ID: "secret", Severity: "error", Step: -1,
			Title: "secret: a,b: 100%\r\n::warning::x", Path: "etc/\n::error::p"}}}}
	var buf bytes.Buffer
	if err := WriteAnalysis(&buf, GitHub, a); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines for 2 annotations:\n%q", len(lines), buf.String())
	}
	for _, l := range lines {
		c := reporttest.ParseCommand(t, l)
		if strings.ContainsAny(c.Message+c.Props["title"], "\n\r\x1b") {
			t.Errorf("a control character reaches the log: %+v", c)
		}
		if !strings.Contains(c.Message, `evil:1\n::error file=x::forged,%0A\x1b[31m`) {
			t.Errorf("the reference does not read back visible: %q", c.Message)
		}
	}
	buf.Reset()
	log := sarifOf(t, &buf, func(w io.Writer) error { return WriteAnalysis(w, SARIF, a) })
	for _, r := range log.Runs[0].Results {
		u := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if strings.ContainsAny(u, ":\n\x1b ") {
			t.Errorf("artifact URI %q is not one escaped URI reference", u)
		}
	}
}

func TestComparisonDockerfileOrigins(t *testing.T) {
	c := reporttest.Comparison(t)
	f, err := dockerfile.Parse("Dockerfile.single", []byte(singleStageDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	_, cls := reporttest.SingleStage(t)
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
	if err := reporttest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// sarifOf writes SARIF into buf, checks it against the schema and reads
// it back.
func sarifOf(t *testing.T, buf *bytes.Buffer, write func(io.Writer) error) sarif.Log {
	t.Helper()
	if err := write(buf); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Fatalf("SARIF does not validate: %v\n%s", err, buf.String())
	}
	var log sarif.Log
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return log
}
