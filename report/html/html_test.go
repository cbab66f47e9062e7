package html

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/report/reporttest"
	"github.com/imgdiff/imgdiff/report/view"
)

// jsonNode is a tree node as the page reads it.
type jsonNode struct {
	N string      `json:"n"`
	K []*jsonNode `json:"k"`
	S int64       `json:"s"`
	C int         `json:"c"`
	T int         `json:"t"`
	E *int        `json:"e"`
	M int         `json:"m"`
}

type pageData struct {
	Kind       string    `json:"kind"`
	Categories []string  `json:"categories"`
	Evidence   []string  `json:"evidence"`
	Tree       *jsonNode `json:"tree"`
	Saved      *jsonNode `json:"saved"`
	Added      *jsonNode `json:"added"`
	Waterfall  []bar     `json:"waterfall"`
}

var dataRe = regexp.MustCompile(`(?s)<script type="application/json" id="data">(.*?)</script>`)

// pageOf extracts and decodes the page's data, checking on the way that
// the page is self-contained: no src or href attribute, no URL to fetch.
func pageOf(t *testing.T, page []byte) pageData {
	t.Helper()
	m := dataRe.FindSubmatch(page)
	if m == nil {
		t.Fatal("no data script in the page")
	}
	code := bytes.Replace(page, m[1], nil, 1)
	for _, bad := range []string{" src=", " href=", "http://", "https://", "@import", "url("} {
		if i := bytes.Index(code, []byte(bad)); i >= 0 && !allowedURL(code, i) {
			t.Errorf("page has %q at %d: %s", bad, i, around(code, i))
		}
	}
	if bytes.ContainsRune(m[1], '<') {
		t.Fatal("the inlined JSON holds a raw '<'")
	}
	var d pageData
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// allowedURL accepts the URLs that are text, not fetches: the licence's
// and d3's homepage in comments, and the SVG namespace.
func allowedURL(page []byte, i int) bool {
	c := string(page[i:min(len(page), i+40)])
	return strings.HasPrefix(c, "https://d3js.org") || strings.HasPrefix(c, "http://www.w3.org/2000/svg")
}

func around(page []byte, i int) string {
	return string(page[max(0, i-60):min(len(page), i+60)])
}

// sums adds up a tree's leaves by category name, checking that every
// directory has children and every leaf bytes.
func sums(t *testing.T, d pageData, n *jsonNode) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	var walk func(n *jsonNode)
	walk = func(n *jsonNode) {
		if n.K != nil {
			for _, k := range n.K {
				walk(k)
			}
			return
		}
		if n.S <= 0 {
			t.Errorf("leaf %q has %d bytes", n.N, n.S)
		}
		out[d.Categories[n.C]] += n.S
	}
	walk(n)
	return out
}

// find returns the leaf at the slash-separated path below n.
func find(n *jsonNode, p string) *jsonNode {
	for _, name := range strings.Split(p, "/") {
		var next *jsonNode
		for _, k := range n.K {
			if k.N == name {
				next = k
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func TestAnalysisPage(t *testing.T) {
	var out bytes.Buffer
	if err := WriteAnalysis(&out, analysisView(t, reporttest.PaperAnalysis(t))); err != nil {
		t.Fatal(err)
	}
	d := pageOf(t, out.Bytes())
	want := map[string]int64{"build-tool": reporttest.PaperABuildTool, "cache": reporttest.PaperACache, "source": reporttest.PaperASource, "other": reporttest.PaperAOther}
	if diff := cmp.Diff(want, sums(t, d, d.Tree)); diff != "" {
		t.Errorf("bytes by category (-want +got):\n%s", diff)
	}
	cc1 := find(d.Tree, "usr/lib/gcc/x86_64-linux-gnu/12/cc1")
	if cc1 == nil || cc1.S != 30_000_000 || cc1.E == nil || d.Evidence[*cc1.E] != reporttest.PaperGCCEvidence || cc1.T != 2 {
		t.Errorf("cc1 leaf = %+v, want 30,000,000 bytes by step 2 with evidence %q", cc1, reporttest.PaperGCCEvidence)
	}
	if n := find(d.Tree, "src/build/main.o"); n != nil {
		t.Errorf("a deleted file is in the final filesystem's treemap: %+v", n)
	}
	for _, s := range []string{"<title>imgdiff analyze app:single</title>", `"verdict":"59 MB (94%) of this image`, `"rule":"max-category.build-tool"`, `"id":"root-user"`} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("page lacks %s", s)
		}
	}
}

func TestComparisonPage(t *testing.T) {
	c, ca, cb := reporttest.PaperComparison(t)
	var out bytes.Buffer
	if err := WriteComparison(&out, comparisonView(t, c, ca, cb)); err != nil {
		t.Fatal(err)
	}
	d := pageOf(t, out.Bytes())
	wantSaved := map[string]int64{"build-tool": reporttest.PaperABuildTool, "cache": reporttest.PaperACache, "source": reporttest.PaperASource, "other": reporttest.PaperAOtherSaved, "hidden": reporttest.PaperAHidden}
	if diff := cmp.Diff(wantSaved, sums(t, d, d.Saved)); diff != "" {
		t.Errorf("ΔS treemap by category (-want +got):\n%s", diff)
	}
	// ε: app (851,200, only in B), etc/os-release grown by 300, and the
	// base's os-release that B's layer overwrote (1,000, hidden).
	wantAdded := map[string]int64{"other": 851_200 + 300, "hidden": 1_000}
	if diff := cmp.Diff(wantAdded, sums(t, d, d.Added)); diff != "" {
		t.Errorf("ε treemap by category (-want +got):\n%s", diff)
	}
	if n := find(d.Saved, hiddenDir+"/src/build/main.o"); n == nil || n.S != 120_000 || d.Evidence[*n.E] != "deleted by step 5" {
		t.Errorf("hidden main.o in the ΔS treemap = %+v", n)
	}
	var terms, eps int64
	for _, b := range d.Waterfall[1 : len(d.Waterfall)-1] {
		if b.Kind == "term" {
			terms += b.Bytes
		} else {
			eps -= b.Bytes
		}
	}
	first, last := d.Waterfall[0], d.Waterfall[len(d.Waterfall)-1]
	if first.Bytes != reporttest.PaperASize || last.Bytes != reporttest.PaperBSize || terms-eps != reporttest.PaperDeltaS || eps != reporttest.PaperEpsilon {
		t.Errorf("waterfall %d → %d, terms %d, ε %d; want %d → %d, ΔS %d, ε %d", first.Bytes, last.Bytes, terms, eps, reporttest.PaperASize, reporttest.PaperBSize, reporttest.PaperDeltaS, reporttest.PaperEpsilon)
	}
}

// TestEscaping puts markup in a file name and the image reference: it
// must stay data.
func TestEscaping(t *testing.T) {
	img := reporttest.PaperBuild(t, `evil</script><script>alert(1)</script>`, []v1.History{{CreatedBy: "COPY x / # buildkit"}},
		reporttest.PaperLayer([]index.Entry{reporttest.File(`a/<img src=x onerror=alert(1)>.txt`, 10), reporttest.File("a/<!--b&c.txt", 5)}))
	var out bytes.Buffer
	if err := WriteAnalysis(&out, analysisView(t, analyze.Summarize(img, nil, 5))); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "</script>"); n != 3 {
		t.Errorf("page has %d </script>, want 3 (data, d3, page script)", n)
	}
	if strings.Contains(out.String(), "<img") || strings.Contains(out.String(), "<!--") {
		t.Error("a file name became markup")
	}
	d := pageOf(t, out.Bytes())
	if n := find(d.Tree, `a/<img src=x onerror=alert(1)>.txt`); n == nil || n.S != 10 {
		t.Errorf("the odd file name did not survive the round trip: %+v", n)
	}
}

// TestAggregation: a 150,000-file image gives a page under 5 MB whose
// treemap still adds up exactly, by category and in total, with the
// small files summed per directory.
func TestAggregation(t *testing.T) {
	a := reporttest.ManyFiles(t, 150_000, 0)
	var out bytes.Buffer
	if err := WriteAnalysis(&out, analysisView(t, a)); err != nil {
		t.Fatal(err)
	}
	if out.Len() >= 5_000_000 {
		t.Errorf("page is %d bytes, want < 5 MB", out.Len())
	}
	d := pageOf(t, out.Bytes())
	var want = map[string]int64{}
	for i, f := range a.Image.FS.All() {
		if f.Kind == index.Dir {
			continue
		}
		cat := string(a.Classification.Flags.Category(i))
		if cat == "" {
			cat = "other"
		}
		want[cat] += f.Bytes
	}
	if diff := cmp.Diff(want, sums(t, d, d.Tree)); diff != "" {
		t.Errorf("bytes by category (-want +got):\n%s", diff)
	}
	leaves, aggregates := 0, 0
	var walk func(n *jsonNode)
	walk = func(n *jsonNode) {
		for _, k := range n.K {
			walk(k)
		}
		if n.K == nil {
			leaves++
			if n.M > 0 {
				aggregates++
			}
		}
	}
	walk(d.Tree)
	if leaves > 3*maxLeaves || aggregates == 0 {
		t.Errorf("%d leaves, %d aggregates: want at most %d leaves, some aggregated", leaves, aggregates, 3*maxLeaves)
	}
	t.Logf("150,000 files: %d bytes of HTML, %d leaves (%d aggregates)", out.Len(), leaves, aggregates)
}

func TestBuildTreeAggregates(t *testing.T) {
	// 10,000 bytes in all: minBytes = 10,000/maxLeaves = 1, so only the
	// per-directory cap folds; with 205 files of one category and step in
	// one directory, the 5 smallest become one aggregate.
	var leaves []leaf
	for i := range 205 {
		leaves = append(leaves, leaf{path: "d/f" + string(rune('a'+i%26)) + string(rune('a'+i/26)), bytes: int64(1000 - i), cat: 1, step: 3, evidence: -1})
	}
	root := buildTree("/", leaves)
	d := root.order[0]
	if d.name != "d" || len(d.order) != maxPerDir+1 {
		t.Fatalf("d has %d children, want %d", len(d.order), maxPerDir+1)
	}
	var agg *tnode
	for _, n := range d.order {
		if n.files > 0 {
			agg = n
		}
	}
	if agg == nil {
		t.Fatal("no aggregate")
	}
	// The 5 smallest: 1000-200 … 1000-204 = 800+799+798+797+796.
	if agg.files != 5 || agg.bytes != 3990 || agg.cat != 1 || agg.step != 3 {
		t.Errorf("aggregate = %+v, want 5 files, 3,990 bytes, cat 1, step 3", agg)
	}
}

// TestSharedLayersByIdentity: the layers table calls a layer shared only
// when the walk showed both images hold the same bytes (Identity), never
// on a claimed diffID, so the page agrees with the comparison's count.
func TestSharedLayersByIdentity(t *testing.T) {
	layer := func(diffID, identity string) model.Layer {
		return model.Layer{DiffID: diffID, Identity: identity, Step: -1}
	}
	c := &analyze.Comparison{
		A: &model.Image{Layers: []model.Layer{layer("sha256:base", "blob:1"), layer("sha256:lie", "blob:2"), layer("sha256:x", "")}},
		B: &model.Image{Layers: []model.Layer{layer("sha256:base", "blob:1"), layer("sha256:lie", "blob:3"), layer("sha256:x", "")}},
	}
	var got []bool
	for _, r := range layerRows(c) {
		got = append(got, r.Shared)
	}
	// Same identity: shared; same claimed diffID, other bytes: not;
	// nothing shown (no identity): not.
	want := []bool{true, false, false, true, false, false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("shared per row (A's layers, then B's) = %v, want %v", got, want)
	}
}

// analysisView and comparisonView build the view the report package hands
// to WriteAnalysis and WriteComparison.
func analysisView(t testing.TB, a *analyze.Analysis) *view.Analysis {
	t.Helper()
	v, err := view.NewAnalysis(a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func comparisonView(t testing.TB, c *analyze.Comparison, ca, cb *model.Classification) *view.Comparison {
	t.Helper()
	v, err := view.NewComparison(c, ca, cb)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
