package suggestcmd

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// checkEnv writes the original (a static Go app) and its Dockerfile, and
// returns a function that writes a "built" image of the given layers and
// runs `suggest --check` on it (on a missing OCI layout when built has no
// layers).
func checkEnv(t *testing.T) (binary []byte, orig imagetest.Image, run func(built imagetest.Image, format string) (string, string, error)) {
	t.Helper()
	binary, orig, df, origRef := staticOriginal(t)
	dir := t.TempDir()
	write := func(name string, spec imagetest.Image) string {
		img, err := imagetest.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := imagetest.WriteOCILayout(p, "latest", img); err != nil {
			t.Fatal(err)
		}
		return "oci:" + p
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	return binary, orig, func(built imagetest.Image, format string) (string, string, error) {
		n++
		ref := filepath.Join(dir, "missing")
		if built.Layers != nil {
			ref = write("built"+string(rune('0'+n)), built)
		}
		ios, out, errOut := testIO(dir)
		cmd := NewCmdSuggest(ios, nil)
		cmd.SetArgs([]string{origRef, "--dockerfile", filepath.Join(dir, "Dockerfile"), "--check", ref, "-o", format, "--no-config"})
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.ExecuteContext(context.Background())
		return out.String(), errOut.String(), err
	}
}

// scratchBuild is what the suggestion for a static binary builds: FROM
// scratch, the binary, plus extra bytes.
func scratchBuild(binary []byte, extra int64) imagetest.Image {
	entries := []imagetest.Entry{{Path: "usr/local/bin/app", Body: binary, Mode: 0o755}}
	if extra > 0 {
		entries = append(entries, imagetest.Entry{Path: "usr/local/share/extra.dat", Size: extra})
	}
	return imagetest.Image{
		Compression: imagetest.Gzip,
		Layers:      []imagetest.Layer{{CreatedBy: "COPY /usr/local /usr/local # buildkit", Comment: imagetest.BuildKitComment, Entries: entries}},
		Config:      v1.Config{User: "65532:65532", Cmd: []string{"/usr/local/bin/app"}},
	}
}

// The built suggestion as predicted: sizes, ΔS and the decomposition
// measured against the original, error 0 %, exit 0. Sizes are checked
// against imagetest.Expect (the spec's own sums) and the binary's length.
func TestCheckPasses(t *testing.T) {
	binary, orig, run := checkEnv(t)
	out, errOut, err := run(scratchBuild(binary, 0), "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var r Check
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	origSize := imagetest.Expect(orig).Size
	built := int64(len(binary))
	if r.Sizes.Original != origSize || r.Sizes.Built != built || r.Actual != origSize-built {
		t.Errorf("sizes %+v, actual ΔS %d; want original %d, built %d, ΔS %d", r.Sizes, r.Actual, origSize, built, origSize-built)
	}
	if r.Base != "scratch" || r.Sizes.Predicted != built || r.SizeError != 0 || !r.Pass {
		t.Errorf("check %+v: want the scratch prediction of exactly the binary, passed", r)
	}
	var sum int64
	for _, term := range r.Decomposition.Terms {
		sum += term.Bytes
	}
	if sum-r.Decomposition.Epsilon != r.Actual || r.Decomposition.Total != r.Actual {
		t.Errorf("decomposition %+v does not add up to ΔS %d", r.Decomposition, r.Actual)
	}
}

// A build 10 % larger than predicted fails the check: exit 1
// (ErrBudgetFailed) after the report; the table says FAIL with the
// error computed by hand.
func TestCheckFails(t *testing.T) {
	binary, _, run := checkEnv(t)
	extra := int64(len(binary)) / 9 // built = 10/9 of predicted: error 10 %
	out, errOut, err := run(scratchBuild(binary, extra), "table")
	if !errors.Is(err, cmdutil.ErrBudgetFailed) || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err %v (exit %d), want exit 1\n%s", err, cmdutil.ExitCode(err), errOut)
	}
	built := int64(len(binary)) + extra
	want := percent(extra, built)
	if want < 9.9 || want > 10.1 {
		t.Fatalf("test setup: error %.1f%%", want)
	}
	for _, line := range []string{
		"size error +10.0% of the built size (tolerance ±5%): FAIL",
		"predicted ",
		"ΔS, predicted and as compare measures it:",
		"build-tool",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("report lacks %q:\n%s", line, out)
		}
	}
	if !strings.Contains(errOut, "10.0% from the predicted size") {
		t.Errorf("stderr %q", errOut)
	}
}

// A built reference that cannot be read is bad input: exit 2, one line
// naming it; --check with --output-file is a usage error.
func TestCheckBadInput(t *testing.T) {
	_, _, run := checkEnv(t)
	_, errOut, err := run(imagetest.Image{}, "table")
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "missing") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing built image: exit %d, %v\n%s", cmdutil.ExitCode(err), err, errOut)
	}
	var fe *cmdutil.FlagError
	if _, err := cmdtest.Parse(NewCmdSuggest, "a:1", "--dockerfile", "D", "--check", "b:1", "--output-file", "x"); !errors.As(err, &fe) {
		t.Errorf("--check with --output-file: %v", err)
	}
}
