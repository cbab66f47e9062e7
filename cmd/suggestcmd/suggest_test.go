package suggestcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
)

func TestFlags(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdSuggest, "oci:build/app", "--dockerfile", "Dockerfile", "--output-file", "out", "-o", "json", "--target", "app")
	if err != nil {
		t.Fatal(err)
	}
	if got.Ref != "oci:build/app" || got.Dockerfile != "Dockerfile" || got.OutputFile != "out" || got.Format != "json" || got.Target != "app" {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{{"a:1"}, {"a:1", "--dockerfile", "D", "-o", "markdown"}, {"a:1", "b:1", "--dockerfile", "D"}} {
		if _, err := cmdtest.Parse(NewCmdSuggest, args...); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// The demo image, end to end through the pipeline: the suggestion parses,
// keeps the build as the build stage, prunes the devDependencies, leaves
// the toolchain behind, and the JSON prediction's terms add up to ΔS.
func TestRunOnDemo(t *testing.T) {
	dir := sharedDemo(t)
	ios, out, errOut := testIO(dir)
	outFile := filepath.Join(t.TempDir(), "Dockerfile.suggested")
	cmd := NewCmdSuggest(ios, nil)
	cmd.SetArgs([]string{"oci:" + filepath.Join(dir, "single"), "--dockerfile", filepath.Join(dir, "Dockerfile.single"), "--output-file", outFile, "-o", "json", "--no-config"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if out.Len() != 0 {
		t.Errorf("stdout should be empty with --output-file: %q", out)
	}
	text, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dockerfile.Parse("suggested", text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(f.Stages) != 3 || f.Stages[0].Name != "build" || f.Stages[1].Name != "prod-deps" || f.Stages[2].BaseName != "node-base:20-bookworm" {
		t.Errorf("stages %+v", f.Stages)
	}
	for _, want := range []string{"RUN npm prune --omit=dev", "COPY --from=prod-deps --chown=65532:65532 /app/node_modules /app/node_modules", "COPY --from=build --chown=65532:65532 /app/dist /app/dist", "USER 65532:65532"} {
		if !strings.Contains(string(text), want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	for _, not := range []string{"/app/.git", "/app/.env", "/app/src"} {
		if strings.Contains(string(text), not+" ") {
			t.Errorf("%s is copied", not)
		}
	}
	var rep struct {
		Prediction struct {
			Original, Predicted, Delta int64
			Terms                      []struct {
				Name  string
				Bytes int64
			}
		}
	}
	if err := json.Unmarshal(errOut.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	p := rep.Prediction
	var sum int64
	for _, term := range p.Terms {
		sum += term.Bytes
	}
	if p.Delta != p.Original-p.Predicted || sum != p.Delta || p.Predicted <= 0 || p.Predicted >= p.Original {
		t.Errorf("prediction %+v, terms sum %d", p, sum)
	}
}

// A Dockerfile none of whose instructions is in the image's history (the
// wrong file, or a stage that was not built) is an error naming both, no
// suggestion: nothing would tell the app's files from the base's. The
// demo's multi-stage Dockerfile's last stage ("FROM node-base ... COPY
// --from=build") shares only its FROM with the single-stage image.
func TestMismatchedDockerfile(t *testing.T) {
	dir := sharedDemo(t)
	other := filepath.Join(t.TempDir(), "Dockerfile.other")
	if err := os.WriteFile(other, []byte("FROM node-base:20-bookworm\nRUN echo not this image > /x\nCMD [\"/x\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, out, errOut := testIO(dir)
	cmd := NewCmdSuggest(ios, nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs([]string{"oci:" + filepath.Join(dir, "single"), "--dockerfile", other, "--no-config"})
	err := cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "Dockerfile.other does not match oci:") || cmdutil.ExitCode(err) != 2 {
		t.Fatalf("err %v (exit %d), want a mismatch naming both inputs, exit 2\n%s", err, cmdutil.ExitCode(err), errOut)
	}
	if out.Len() != 0 {
		t.Errorf("a suggestion was written for a Dockerfile that does not match:\n%s", out)
	}
}

// testIO is the streams of a test run in dir, with the layer cache the
// package's runs share (see shared_test.go).
func testIO(dir string) (*cmdutil.IOStreams, *bytes.Buffer, *bytes.Buffer) {
	ios, out, errOut := cmdutil.Test()
	ios.Getenv = func(k string) string {
		if k == "IMGDIFF_CACHE_DIR" {
			return cacheDir
		}
		return ""
	}
	ios.WorkDir = dir
	return ios, out, errOut
}
