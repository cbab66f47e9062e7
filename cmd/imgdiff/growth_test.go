package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/layers/imagetest"
)

// TestBaselineVsChangeNamesTheGrowth: B is the demo's multi-stage image
// plus a 30 MB file and a dpkg package; the report must name them first.
func TestBaselineVsChangeNamesTheGrowth(t *testing.T) {
	base := imagetest.DemoMulti()
	var status []byte
	for _, e := range base.Layers[0].Entries {
		if e.Path == "var/lib/dpkg/status" {
			status = e.Body
		}
	}
	if status == nil {
		t.Fatal("the demo base has no dpkg status")
	}
	const stanza = "Package: libvips42\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 9000\nArchitecture: amd64\nVersion: 8.14.1-3\nDescription: image processing system good for very large images\n\n"
	files := []string{"usr/lib/x86_64-linux-gnu/libvips.so.42.17.1", "usr/lib/x86_64-linux-gnu/libvips-cpp.so.42.17.1"}
	change := base
	change.Layers = append(append([]imagetest.Layer(nil), base.Layers...),
		imagetest.Layer{CreatedBy: imagetest.RunBuildKit("apt-get install -y --no-install-recommends libvips42 && rm -rf /var/lib/apt/lists/*"), Comment: imagetest.BuildKitComment,
			Entries: []imagetest.Entry{
				{Path: "var/lib/dpkg/status", Body: append(append([]byte(nil), status...), stanza...)},
				{Path: "var/lib/dpkg/info/libvips42:amd64.list", Body: []byte("/.\n/" + strings.Join(files, "\n/") + "\n")},
				{Path: files[0], Size: 8_000_000},
				{Path: files[1], Size: 1_000_000},
			}},
		imagetest.Layer{CreatedBy: imagetest.BuildKit("COPY model.bin /app/model.bin"), Comment: imagetest.BuildKitComment,
			Entries: []imagetest.Entry{{Path: "app/model.bin", Size: 30_000_000}}},
	)
	dir := t.TempDir()
	for name, spec := range map[string]imagetest.Image{"main": base, "pr": change} {
		img, err := imagetest.Build(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := imagetest.WriteOCILayout(filepath.Join(dir, name), "latest", img); err != nil {
			t.Fatal(err)
		}
	}
	// The second run (the table) is served the layers' indexes by the
	// cache the first one fills.
	env := []string{"IMGDIFF_NO_CACHE=", "IMGDIFF_CACHE_DIR=" + t.TempDir()}
	r := imgdiff(t, env, "compare", "-o", "json", "oci:"+dir+"/main", "oci:"+dir+"/pr", "--max-growth", "10MB")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (max-growth broken): %s", r.code, r.errOut)
	}
	var c analyze.Comparison
	if err := json.Unmarshal([]byte(r.out), &c); err != nil {
		t.Fatal(err)
	}
	if c.Delta.Size != c.A.Size-c.B.Size || c.Delta.Size > -39_000_000 {
		t.Errorf("ΔS %d, want about −39 MB", c.Delta.Size)
	}
	if top := c.Files.OnlyB.Top; len(top) == 0 || top[0].Path != "app/model.bin" || top[0].B != 30_000_000 {
		t.Errorf("only in B, first: %+v", top)
	}
	if len(c.Packages) == 0 || c.Packages[0].Name != "libvips42" || c.Packages[0].Delta != -9_000_000 {
		t.Errorf("packages, first: %+v", c.Packages)
	}
	if len(c.StepsB) < 2 || !strings.Contains(c.StepsB[0].Instruction, "model.bin") || !strings.Contains(c.StepsB[1].Instruction, "libvips42") {
		t.Errorf("B's steps: %+v", c.StepsB)
	}
	// The table leads with the growth.
	r = imgdiff(t, env, "compare", "oci:"+dir+"/main", "oci:"+dir+"/pr")
	if first := strings.SplitN(r.out, "\n", 2)[0]; !strings.Contains(first, "larger") {
		t.Errorf("headline %q", first)
	}
	if i, j := strings.Index(r.out, "/app/model.bin"), strings.Index(r.out, "libvips42"); i < 0 || j < 0 {
		t.Errorf("table does not name the file and the package:\n%s", r.out)
	}
}
