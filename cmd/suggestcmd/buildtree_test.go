package suggestcmd

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// A single-stage C build that leaves its build tree in the image
// (analyze/testdata/buildtree/jq.txt: jq's /app after autoreconf,
// configure, make and make check, under /src here), read through the
// walk, the rules and suggest: no build output is copied into the final
// stage, and the prediction counts its bytes in the build-tool term.
func TestBuildTreeStaysInBuildStage(t *testing.T) {
	f, err := os.Open("../../analyze/testdata/buildtree/jq.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec, df := imagetest.BinaryApp(buildGo(t, "0"), "")
	last := &spec.Layers[len(spec.Layers)-1]
	var buildOutput []string
	var outputBytes int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 4)
		if len(fields) != 4 || fields[0][0] == '#' || !strings.HasPrefix(fields[2], "app/") {
			continue
		}
		size, err := strconv.ParseInt(fields[1], 10, 64)
		head, err2 := strconv.Unquote(fields[3])
		if err != nil || err2 != nil || int64(len(head)) > size {
			t.Fatalf("jq.txt: %q", sc.Text())
		}
		p := "src/" + strings.TrimPrefix(fields[2], "app/")
		body := append([]byte(head), imagetest.Content(p, size-int64(len(head)))...)
		last.Entries = append(last.Entries, imagetest.Entry{Path: p, Body: body})
		if strings.HasPrefix(fields[0], "build-tool/") {
			buildOutput = append(buildOutput, "/"+p)
			outputBytes += size
		}
	}
	if len(buildOutput) < 30 {
		t.Fatalf("%d build output files in jq.txt", len(buildOutput))
	}
	text, rep := runSuggest(t, spec, df)
	final := finalStage(text)
	for _, p := range buildOutput {
		if strings.Contains(final, p+" ") || strings.Contains(final, p+"\n") {
			t.Errorf("the final stage copies %s:\n%s", p, final)
		}
		for _, c := range rep.Copies {
			if c == p || strings.HasPrefix(p, c+"/") {
				t.Errorf("%s copied (as %s)", p, c)
			}
		}
	}
	var pred struct {
		Prediction struct {
			Terms []struct {
				Name  string
				Bytes int64
			}
		}
	}
	if err := json.Unmarshal([]byte(rep.raw), &pred); err != nil {
		t.Fatal(err)
	}
	var buildTool int64 = -1
	for _, term := range pred.Prediction.Terms {
		if term.Name == "build-tool" {
			buildTool = term.Bytes
		}
	}
	if buildTool < outputBytes {
		t.Errorf("build-tool term %d bytes, less than the build output's %d: %+v", buildTool, outputBytes, pred.Prediction.Terms)
	}
}
