package analyze

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// testLayer builds an index.Layer from entries, computing Size as the
// walker does.
func testLayer(entries []index.Entry, whiteouts, opaque []string) *index.Layer {
	l := &index.Layer{Entries: entries, Whiteouts: whiteouts, OpaqueDirs: opaque, CompressedSize: model.Unknown}
	for _, e := range entries {
		l.Size += e.Size
	}
	return l
}

func reg(p string, size int64) index.Entry { return index.Entry{Path: p, Kind: index.File, Size: size} }
func dir(p string) index.Entry             { return index.Entry{Path: p, Kind: index.Dir} }
func sym(p, target string) index.Entry {
	return index.Entry{Path: p, Kind: index.Symlink, Link: target, Size: int64(len(target))}
}
func hard(p, target string) index.Entry {
	return index.Entry{Path: p, Kind: index.Hardlink, Link: target}
}

func testImage(history []v1.History, layers ...*index.Layer) *index.Image {
	cfg := &v1.ConfigFile{History: history}
	for i := range layers {
		layers[i].DiffID = "sha256:" + string(rune('a'+i))
		// The same content is the same layer, as a walk shows it; a
		// position is not.
		layers[i].Identity = fmt.Sprintf("blob:%x", sha256.Sum256(fmt.Appendf(nil, "%v %q %q", layers[i].Entries, layers[i].Whiteouts, layers[i].OpaqueDirs)))
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, v1.Hash{})
	}
	return &index.Image{Ref: "test", Config: cfg, Layers: layers}
}

func TestBuildAttribution(t *testing.T) {
	base := testLayer([]index.Entry{
		dir("usr"), dir("usr/bin"), reg("usr/bin/tool", 1000), sym("usr/bin/t", "tool"),
		dir("src"), reg("src/a.c", 300), reg("src/b.c", 200), dir("src/sub"), reg("src/sub/c.c", 100),
		dir("cache"), reg("cache/x", 50), reg("cfg", 10),
		reg("data", 400), hard("data-link", "data"),
	}, nil, nil)
	// Layer 1 deletes the whole src tree (rm -rf: one whiteout), overwrites
	// cfg, makes cache opaque while adding a file to it, and deletes data,
	// whose inode survives through the hard link.
	change := testLayer([]index.Entry{
		reg("cfg", 20), dir("cache"), reg("cache/y", 5),
	}, []string{"src", "data"}, []string{"cache"})
	// Layer 2 replaces a directory by a file.
	last := testLayer([]index.Entry{reg("usr/bin", 7)}, nil, nil)

	hist := []v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:abc in / "},
		{CreatedBy: "ENV A=b", EmptyLayer: true},
		{CreatedBy: "RUN /bin/sh -c rm -rf /src /data # buildkit"},
		{CreatedBy: "COPY bin /usr/bin # buildkit"},
	}
	img, err := Build(testImage(hist, base, change, last))
	if err != nil {
		t.Fatal(err)
	}

	wantHidden := []model.HiddenFile{
		{Path: "cache/x", Size: 50, Layer: 0, By: 1, How: "deleted"},
		{Path: "cfg", Size: 10, Layer: 0, By: 1, How: "overwritten"},
		{Path: "src/a.c", Size: 300, Layer: 0, By: 1, How: "deleted"},
		{Path: "src/b.c", Size: 200, Layer: 0, By: 1, How: "deleted"},
		{Path: "src/sub/c.c", Size: 100, Layer: 0, By: 1, How: "deleted"},
		{Path: "usr/bin/t", Size: 4, Layer: 0, By: 2, How: "overwritten"},
		{Path: "usr/bin/tool", Size: 1000, Layer: 0, By: 2, How: "overwritten"},
	}
	got := append([]model.HiddenFile(nil), img.Hidden...)
	sort.Slice(got, func(i, j int) bool { return got[i].Path < got[j].Path })
	if diff := cmp.Diff(wantHidden, got); diff != "" {
		t.Errorf("hidden files (-want +got):\n%s", diff)
	}

	// data's 400 bytes survive through data-link, so they are not waste.
	if f, ok := img.FS.Lookup("data-link"); !ok || f.Bytes != 400 {
		t.Errorf("data-link = %+v, %v; want 400 bytes inherited from deleted target", f, ok)
	}
	if _, ok := img.FS.Lookup("src"); ok {
		t.Error("src survived its whiteout")
	}
	if f, ok := img.FS.Lookup("cache/y"); !ok || f.Layer != 1 {
		t.Errorf("cache/y = %+v, %v; entries of the opaque dir's own layer must stay", f, ok)
	}
	if f, ok := img.FS.Lookup("usr/bin"); !ok || f.Kind != index.File || f.Layer != 2 {
		t.Errorf("usr/bin = %+v, %v; want the file from layer 2", f, ok)
	}

	wantSize := int64(1000+4+300+200+100+50+10+400) + (20 + 5) + 7
	if img.Size != wantSize {
		t.Errorf("Size = %d, want %d", img.Size, wantSize)
	}
	if img.Wasted != 1664 {
		t.Errorf("Wasted = %d, want 1664", img.Wasted)
	}
	if got, want := img.FS.Size(), img.Size-img.Wasted; got != want {
		t.Errorf("final filesystem holds %d bytes, want size - wasted = %d", got, want)
	}

	var stepSum int64
	for _, st := range img.Steps {
		stepSum += st.Size
		if st.Final+st.Hidden != st.Size {
			t.Errorf("step %d: final %d + hidden %d != size %d", st.Index, st.Final, st.Hidden, st.Size)
		}
	}
	if stepSum != img.Size {
		t.Errorf("steps add up to %d, image size %d", stepSum, img.Size)
	}
	if got := img.Steps[2]; got.Layer != 1 || got.Instruction.Name != "RUN" || got.Removes != 660 {
		t.Errorf("step 2 = %+v; want RUN owning layer 1 and removing 660 bytes", got)
	}
	if img.Steps[1].Layer != -1 || img.Layers[2].Step != 3 {
		t.Errorf("empty-layer mapping wrong: step1.Layer=%d layer2.Step=%d", img.Steps[1].Layer, img.Layers[2].Step)
	}
	if img.CompressedSize != model.Unknown {
		t.Errorf("CompressedSize = %d, want Unknown for uncompressed layers", img.CompressedSize)
	}
}

func TestBuildHistoryMismatch(t *testing.T) {
	img, err := Build(testImage(nil, testLayer([]index.Entry{reg("a", 1)}, nil, nil), testLayer([]index.Entry{reg("b", 2)}, nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(img.Steps) != 2 || !img.Steps[1].Synthetic || img.Steps[1].Size != 2 || len(img.Warnings) != 1 {
		t.Errorf("steps = %+v, warnings = %q; want one synthetic step per layer and a warning", img.Steps, img.Warnings)
	}
}

func TestBuildWhiteoutLinear(t *testing.T) {
	// A deep chain of whiteouts must not re-scan the tree per whiteout.
	var entries []index.Entry
	var whiteouts []string
	for i := 0; i < 20000; i++ {
		p := "d/" + string(rune('a'+i%26)) + "/" + strconv.Itoa(i)
		entries = append(entries, reg(p, 1))
		if i%2 == 0 {
			whiteouts = append(whiteouts, p)
		}
	}
	img, err := Build(testImage(nil, testLayer(entries, nil, nil), testLayer(nil, whiteouts, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if img.Wasted != 10000 || len(img.Hidden) != 10000 {
		t.Errorf("wasted %d in %d files, want 10000 in 10000", img.Wasted, len(img.Hidden))
	}
}
