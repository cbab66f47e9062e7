package ncdu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// testImage is two layers with one of each entry kind: the second layer
// deletes etc/passwd and adds a file owned by uid 1000. The final
// filesystem holds 1,000 (usr/bin/a) + 1 (the symlink's target "a") +
// 5,000 (app/big) = 6,001 content bytes; usr/bin/b is a hard link to
// usr/bin/a and adds nothing.
func testImage(t *testing.T) *model.Image {
	t.Helper()
	l0 := &index.Layer{DiffID: "sha256:l0", CompressedSize: 100, Entries: []index.Entry{
		{Path: "usr", Kind: index.Dir, Mode: 0o755},
		{Path: "usr/bin", Kind: index.Dir, Mode: 0o755},
		{Path: "usr/bin/a", Kind: index.File, Size: 1000, Mode: 0o755},
		{Path: "usr/bin/sh", Kind: index.Symlink, Size: 1, Link: "a", Mode: 0o777},
		{Path: "usr/bin/b", Kind: index.Hardlink, Link: "usr/bin/a", Mode: 0o755},
		{Path: "etc/passwd", Kind: index.File, Size: 500, Mode: 0o644},
		{Path: "run/ctl", Kind: index.FIFO, Mode: 0o600},
		{Path: "tmp", Kind: index.Dir, Mode: 0o1777},
	}}
	l1 := &index.Layer{DiffID: "sha256:l1", CompressedSize: 50, Whiteouts: []string{"etc/passwd"}, Entries: []index.Entry{
		{Path: "app/big", Kind: index.File, Size: 5000, Mode: 0o640, UID: 1000, GID: 1000},
	}}
	for _, l := range []*index.Layer{l0, l1} {
		for _, e := range l.Entries {
			l.Size += e.Size
		}
	}
	cfg := &v1.ConfigFile{History: []v1.History{{CreatedBy: "ADD rootfs /"}, {CreatedBy: "COPY big /app/big # buildkit"}}}
	cfg.RootFS.DiffIDs = []v1.Hash{{}, {}}
	img, err := analyze.Build(&index.Image{Ref: "app:test", Platform: "linux/amd64", Config: cfg, Layers: []*index.Layer{l0, l1}})
	if err != nil {
		t.Fatal(err)
	}
	if img.Size-img.Wasted != 6001 {
		t.Fatalf("fixture: final filesystem holds %d bytes, want 6001", img.Size-img.Wasted)
	}
	return img
}

// entry is a parsed ncdu info object.
type entry struct {
	Name   string `json:"name"`
	Asize  int64  `json:"asize"`
	Dsize  int64  `json:"dsize"`
	Ino    int64  `json:"ino"`
	Hlnkc  bool   `json:"hlnkc"`
	Nlink  int    `json:"nlink"`
	Notreg bool   `json:"notreg"`
	UID    int    `json:"uid"`
	Mode   int64  `json:"mode"`
}

// parse decodes an ncdu export into "path kind size" lines (sorted) and
// the total content bytes, counting each hard-linked inode once.
func parse(t *testing.T, data []byte) ([]string, int64) {
	t.Helper()
	var top []json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	if len(top) != 4 || string(top[0]) != "1" {
		t.Fatalf("want [1, minor, meta, root], got %d elements, major %s", len(top), top[0])
	}
	var lines []string
	var total int64
	seen := map[int64]bool{}
	var walk func(raw json.RawMessage, dir string)
	walk = func(raw json.RawMessage, dir string) {
		if raw[0] == '[' {
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				t.Fatal(err)
			}
			var e entry
			if err := json.Unmarshal(items[0], &e); err != nil {
				t.Fatal(err)
			}
			p := e.Name
			if dir != "" {
				p = strings.TrimPrefix(dir+"/"+e.Name, "//")
				lines = append(lines, fmt.Sprintf("%s dir", p))
			}
			for _, it := range items[1:] {
				walk(it, p)
			}
			return
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		kind := "file"
		if e.Notreg {
			kind = "notreg"
		}
		if e.Hlnkc {
			kind = fmt.Sprintf("link%d/%d", e.Ino, e.Nlink)
		}
		lines = append(lines, fmt.Sprintf("%s %s %d", strings.TrimPrefix(dir+"/"+e.Name, "//"), kind, e.Asize))
		if !e.Hlnkc || !seen[e.Ino] {
			total += e.Asize
			seen[e.Ino] = e.Hlnkc
		}
	}
	walk(top[3], "")
	sort.Strings(lines)
	return lines, total
}

// want is the final filesystem of testImage, written out by hand.
var want = []string{
	"app dir",
	"app/big file 5000",
	"run dir",
	"run/ctl notreg 0",
	"tmp dir",
	"usr dir",
	"usr/bin dir",
	"usr/bin/a link1/2 1000",
	"usr/bin/b link1/2 1000",
	"usr/bin/sh notreg 1",
}

func TestWrite(t *testing.T) {
	img := testImage(t)
	var out bytes.Buffer
	if err := Write(&out, img); err != nil {
		t.Fatal(err)
	}
	lines, total := parse(t, out.Bytes())
	// etc is implied by etc/passwd and stays (empty) once the file is
	// deleted: the stack keeps the directory a whiteout does not name.
	if diff := cmp.Diff(withEtc(img, want), lines); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if total != 6001 {
		t.Errorf("total = %d bytes, want 6001", total)
	}
	// The extended fields: app/big is a regular file 0640 owned by 1000,
	// the symlink a 0777 link, tmp a sticky directory.
	for _, c := range []struct{ frag string }{
		{`{"name":"big","asize":5000,"dsize":5000,"uid":1000,"gid":1000,"mode":33184}`},
		{`{"name":"sh","asize":1,"dsize":1,"notreg":true,"uid":0,"gid":0,"mode":41471}`},
		{`[{"name":"tmp","uid":0,"gid":0,"mode":17407}`},
	} {
		if !bytes.Contains(out.Bytes(), []byte(c.frag)) {
			t.Errorf("output lacks %s:\n%s", c.frag, out.String())
		}
	}
}

// withEtc adds the etc directory when the final filesystem kept it.
func withEtc(img *model.Image, lines []string) []string {
	if _, ok := img.FS.Lookup("etc"); !ok {
		return lines
	}
	out := append([]string{"etc dir"}, lines...)
	sort.Strings(out)
	return out
}

// TestNcduLoads feeds the export to the real ncdu, which re-exports what
// it loaded: the same tree and sizes must come back, with nothing on
// stderr (ncdu 1.x exits 0 even on a parse error and says so there).
func TestNcduLoads(t *testing.T) {
	bin, err := exec.LookPath("ncdu")
	if err != nil {
		if os.Getenv("IMGDIFF_REQUIRE_TOOLS") != "" {
			t.Fatalf("ncdu not found and IMGDIFF_REQUIRE_TOOLS is set: %v", err)
		}
		t.Skip("ncdu not installed (apt-get install ncdu)")
	}
	img := testImage(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "image.json")
	var out bytes.Buffer
	if err := Write(&out, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ext := range [][]string{nil, {"-e"}} {
		args := append(append([]string{"-0"}, ext...), "-f", in, "-o", "-")
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Fatalf("ncdu %v: %v\n%s", args, err, stderr.String())
		}
		lines, total := parse(t, stdout.Bytes())
		if diff := cmp.Diff(withEtc(img, want), lines); diff != "" {
			t.Errorf("ncdu %v re-exported (-want +got):\n%s", args, diff)
		}
		if total != 6001 {
			t.Errorf("ncdu %v: total = %d bytes, want 6001", args, total)
		}
		if len(ext) > 0 && !bytes.Contains(stdout.Bytes(), []byte(`"name":"big","asize":5000,"dsize":5000,"uid":1000,"gid":1000,"mode":33184`)) {
			t.Errorf("ncdu -e lost the owner or mode of app/big:\n%s", stdout.String())
		}
	}
}

func TestWriteNoFS(t *testing.T) {
	if err := Write(&bytes.Buffer{}, &model.Image{}); err == nil {
		t.Error("an image without a filesystem: no error")
	}
}
