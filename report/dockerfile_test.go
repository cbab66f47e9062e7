package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/report/github"
	"github.com/imgdiff/imgdiff/report/reporttest"
	"github.com/imgdiff/imgdiff/report/sarif"
	"github.com/imgdiff/imgdiff/report/view"
)

// The Dockerfile checks of c.single (the e2e C image) end to end: findings,
// SARIF that validates, annotations on the right lines.
func TestDockerfileFindingsToSARIFAndGitHub(t *testing.T) {
	data, err := os.ReadFile("../testdata/dockerfiles/c/Dockerfile.single")
	if err != nil {
		t.Fatal(err)
	}
	f, err := dockerfile.Parse("Dockerfile", data)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := dockerfile.Check(f, dockerfile.Evidence{Lines: map[int]dockerfile.LineEvidence{
		5: {BuildTools: []dockerfile.Package{{Name: "gcc-12", Bytes: 74_000_000}, {Name: "build-essential", Bytes: 20_000}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	anns := view.DockerfileAnnotations(f, fs, "testdata/dockerfiles/c/Dockerfile.single")
	var buf bytes.Buffer
	if err := sarif.Write(&buf, sarif.Tool{Name: "imgdiff"}, view.DockerfileRules(), anns); err != nil {
		t.Fatal(err)
	}
	if err := reporttest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	buf.Reset()
	if err := github.Write(&buf, anns); err != nil {
		t.Fatal(err)
	}
	first := reporttest.ParseCommand(t, strings.SplitN(buf.String(), "\n", 2)[0])
	if first.Command != "warning" || first.Props["file"] != "testdata/dockerfiles/c/Dockerfile.single" || first.Props["line"] != "5" ||
		!strings.Contains(first.Message, "gcc-12, build-essential") {
		t.Errorf("first annotation %+v", first)
	}
}
