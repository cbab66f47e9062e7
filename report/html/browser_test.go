package html

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/layers/index"
	"github.com/imgdiff/imgdiff/report/reporttest"
)

// The browser tests drive Debian's chromium, headless, through chromedp.
// They skip when no chromium is installed, unless IMGDIFF_REQUIRE_TOOLS
// is set (CI sets it). With IMGDIFF_SCREENSHOT_DIR set, a screenshot of
// each view is written there.

func chromiumPath(tb testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("IMGDIFF_REQUIRE_TOOLS") != "" {
		tb.Fatal("chromium not found and IMGDIFF_REQUIRE_TOOLS is set")
	}
	tb.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// The tests share one browser, started by the first that needs it and
// stopped by TestMain; each test gets a tab of its own.
var shared struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

// browser opens a tab in the shared headless chromium, closed when the
// test ends; actions in it time out after a minute.
func browser(tb testing.TB) context.Context {
	path := chromiumPath(tb)
	shared.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		shared.ctx, shared.cancel = ctx, func() { cancelCtx(); cancelAlloc() }
		// The first Run starts the browser, which lives as long as ctx.
		shared.err = chromedp.Do(ctx)
	})
	if shared.err != nil {
		tb.Fatalf("starting %s: %v", path, shared.err)
	}
	tab, cancelTab := chromedp.NewContext(shared.ctx)
	if err := chromedp.Do(tab); err != nil {
		cancelTab()
		tb.Fatalf("opening a tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, 60*time.Second)
	tb.Cleanup(func() { cancelTimeout(); cancelTab() })
	return ctx
}

// problems collects what the page must not do: console errors, uncaught
// exceptions, log errors (a CSP violation lands there) and requests
// other than the page itself.
type problems struct {
	mu   sync.Mutex
	page string
	list []string
}

func (p *problems) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, s)
}

func (p *problems) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

func (p *problems) listen(tb testing.TB, ctx context.Context) {
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.add("console." + string(e.Type) + ": " + strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			p.add(fmt.Sprintf("exception: %s at %d:%d", e.ExceptionDetails.Text, e.ExceptionDetails.LineNumber, e.ExceptionDetails.ColumnNumber))
			if ex := e.ExceptionDetails.Exception; ex != nil {
				p.add("  " + ex.Description)
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				p.add("log: " + e.Entry.Text + " " + e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if e.Request.URL != p.page {
				p.add("request: " + e.Request.URL)
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// open writes page to a file and loads it, waiting until the first draw.
func open(tb testing.TB, ctx context.Context, page []byte) *problems {
	tb.Helper()
	f := filepath.Join(tb.TempDir(), "report.html")
	if err := os.WriteFile(f, page, 0o644); err != nil {
		tb.Fatal(err)
	}
	p := &problems{page: "file://" + f}
	p.listen(tb, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.page), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
		tb.Fatalf("loading the page: %v (%v)", err, p.get())
	}
	return p
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("IMGDIFF_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// areas sums the drawn leaf rectangles of treemap id by category, in px².
type areas struct {
	ByCat  map[string]float64 `json:"byCat"`
	W      float64            `json:"w"`
	H      float64            `json:"h"`
	Leaves int                `json:"leaves"`
	Crumbs string             `json:"crumbs"`
}

func readAreas(t *testing.T, ctx context.Context, id string) areas {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		const svg = document.getElementById(%q), byCat = {};
		let leaves = 0;
		for (const r of svg.querySelectorAll("rect.leaf")) {
			byCat[r.dataset.cat] = (byCat[r.dataset.cat] || 0) + r.width.baseVal.value * r.height.baseVal.value;
			leaves++;
		}
		return {byCat, w: svg.width.baseVal.value, h: svg.height.baseVal.value, leaves,
			crumbs: document.getElementById(%q + "-crumbs").textContent};
	})()`, id, id)
	a, err := chromedp.Run(ctx, chromedp.Evaluate[areas](js))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// checkAreas: each category's area is its share of the bytes, within 1%.
func checkAreas(t *testing.T, what string, a areas, want map[string]int64) {
	t.Helper()
	var total int64
	for _, n := range want {
		total += n
	}
	for cat, n := range want {
		exp := float64(n) / float64(total) * a.W * a.H
		if got := a.ByCat[cat]; math.Abs(got-exp) > 0.01*exp {
			t.Errorf("%s: %s covers %.1f px², want %.1f (%d of %d bytes)", what, cat, got, exp, n, total)
		}
	}
	for cat := range a.ByCat {
		if _, ok := want[cat]; !ok {
			t.Errorf("%s: rectangles of category %s, which holds no bytes here", what, cat)
		}
	}
}

// center returns the page coordinates of the centre of the largest leaf
// of category cat in treemap id.
func center(t *testing.T, ctx context.Context, id, cat string) (float64, float64) {
	t.Helper()
	js := fmt.Sprintf(`(() => {
		let best = null, bestA = -1;
		for (const r of document.querySelectorAll("#%s rect.leaf[data-cat='%s']")) {
			const a = r.width.baseVal.value * r.height.baseVal.value;
			if (a > bestA) { best = r; bestA = a; }
		}
		best.scrollIntoView({block: "center"});
		const b = best.getBoundingClientRect();
		return [b.x + b.width / 2, b.y + b.height / 2];
	})()`, id, cat)
	xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](js))
	if err != nil {
		t.Fatal(err)
	}
	return xy[0], xy[1]
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBrowserAnalyze(t *testing.T) {
	ctx := browser(t)
	var page bytes.Buffer
	if err := WriteAnalysis(&page, analysisView(t, reporttest.PaperAnalysis(t))); err != nil {
		t.Fatal(err)
	}
	p := open(t, ctx, page.Bytes())

	// Areas by category, against the figures computed on paper.
	a := readAreas(t, ctx, "treemap")
	checkAreas(t, "whole image", a, map[string]int64{"build-tool": reporttest.PaperABuildTool, "cache": reporttest.PaperACache, "source": reporttest.PaperASource, "other": reporttest.PaperAOther})
	if a.Leaves != 11 {
		t.Errorf("%d leaves drawn, want the 11 files of the final filesystem", a.Leaves)
	}
	if v := text(t, ctx, "#verdict"); !strings.Contains(v, "59 MB (94%)") {
		t.Errorf("verdict = %q", v)
	}

	// Hover over cc1 (the largest build-tool file): path, size, category,
	// evidence and instruction.
	x, y := center(t, ctx, "treemap", "build-tool")
	if err := chromedp.Do(ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y)); err != nil {
		t.Fatal(err)
	}
	tip := text(t, ctx, "#tip")
	for _, want := range []string{"/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "30,000,000 bytes", "category: build-tool", "evidence: " + reporttest.PaperGCCEvidence, "#2 RUN apt-get update && apt-get install -y gcc-12"} {
		if !strings.Contains(tip, want) {
			t.Errorf("hover text %q lacks %q", tip, want)
		}
	}
	screenshot(t, ctx, "analyze.png")

	// The flagged-packages table says what the JSON report says: every
	// package a category claims, in order, with its manager, category,
	// bytes, evidence and the packages that pulled it in.
	js, err := json.Marshal(reporttest.PaperAnalysis(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Classification struct {
			Packages []struct {
				Name, Manager, Category, Evidence string
				Bytes                             int64
				PulledBy                          []string
			}
		}
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for _, p := range doc.Classification.Packages {
		if p.Category != "" && p.Category != "other" {
			want = append(want, []string{p.Name, p.Manager, p.Category, strconv.FormatInt(p.Bytes, 10), p.Evidence, strings.Join(p.PulledBy, ", ")})
		}
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#packages tr[data-bytes]")].map(r =>
		[r.cells[0].textContent, r.cells[1].textContent, r.cells[2].textContent, r.dataset.bytes, r.cells[4].textContent, r.cells[5].textContent])`))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 2 {
		t.Fatalf("the fixture's JSON has %d flagged packages, want 2", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("flagged-packages table against the JSON (-want +got):\n%s", diff)
	}
	// The Dockerfile findings, on their lines.
	dfText := text(t, ctx, "#df-findings")
	for _, w := range []string{"build-tools-in-final-stage", "Dockerfile:3-4", "gcc-12 ships 31 MB", "apt-lists-left", "Dockerfile:3 (build)", "9.0 MB"} {
		if !strings.Contains(dfText, w) {
			t.Errorf("Dockerfile findings %q lack %q", dfText, w)
		}
	}
	if b := text(t, ctx, "#base"); !strings.Contains(b, "heuristic rootfs import") {
		t.Errorf("base line %q, want the heuristic that found it", b)
	}

	// Click it: the treemap zooms into usr, which holds 34,030,000 bytes:
	// 31,030,000 build-tool, 3,000,000 other (libc, bash).
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
		t.Fatal(err)
	}
	z := readAreas(t, ctx, "treemap")
	if !strings.Contains(z.Crumbs, "usr") || !strings.Contains(z.Crumbs, "34 MB") {
		t.Errorf("after the click the breadcrumb is %q, want it to name usr and 34 MB", z.Crumbs)
	}
	checkAreas(t, "zoomed into usr", z, map[string]int64{"build-tool": reporttest.PaperABuildTool, "other": 3_000_000})
	screenshot(t, ctx, "analyze-zoomed.png")

	// The breadcrumb's root goes back.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#treemap-crumbs button"))); err != nil {
		t.Fatal(err)
	}
	if back := readAreas(t, ctx, "treemap"); back.Leaves != a.Leaves {
		t.Errorf("back at the root: %d leaves, want %d", back.Leaves, a.Leaves)
	}

	// Colour by instruction: the legend names the steps that wrote bytes.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#treemap-by-instruction"))); err != nil {
		t.Fatal(err)
	}
	legend := text(t, ctx, "#treemap-legend")
	for _, want := range []string{"#2 RUN apt-get update && apt-get install -y gcc-12", "#4 COPY . /src", "#5 RUN make && rm build/main.o"} {
		if !strings.Contains(legend, want) {
			t.Errorf("legend by instruction %q lacks %q", legend, want)
		}
	}
	screenshot(t, ctx, "analyze-by-instruction.png")

	if ps := p.get(); len(ps) > 0 {
		t.Errorf("the page misbehaved:\n%s", strings.Join(ps, "\n"))
	}
}

type wfBar struct {
	Kind   string  `json:"kind"`
	Bytes  string  `json:"bytes"`
	Height float64 `json:"height"`
}

func TestBrowserCompare(t *testing.T) {
	ctx := browser(t)
	c, ca, cb := reporttest.PaperComparison(t)
	var page bytes.Buffer
	if err := WriteComparison(&page, comparisonView(t, c, ca, cb)); err != nil {
		t.Fatal(err)
	}
	p := open(t, ctx, page.Bytes())

	checkAreas(t, "ΔS treemap", readAreas(t, ctx, "saved"),
		map[string]int64{"build-tool": reporttest.PaperABuildTool, "cache": reporttest.PaperACache, "source": reporttest.PaperASource, "other": reporttest.PaperAOtherSaved, "hidden": reporttest.PaperAHidden})
	checkAreas(t, "ε treemap", readAreas(t, ctx, "added"), map[string]int64{"other": 851_500, "hidden": 1_000})

	// The waterfall: the bars between size(A) and size(B) add up to ΔS,
	// in bytes and in pixels.
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[[]wfBar](`[...document.querySelectorAll("#waterfall rect.wf")].map(r =>
		({kind: r.dataset.kind, bytes: r.dataset.bytes, height: r.height.baseVal.value}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(bars) < 3 || bars[0].Kind != "total" || bars[len(bars)-1].Kind != "total" {
		t.Fatalf("waterfall bars = %+v", bars)
	}
	var sum int64
	var px float64
	for _, b := range bars[1 : len(bars)-1] {
		n, err := strconv.ParseInt(b.Bytes, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += n
		px += math.Copysign(b.Height, float64(n))
	}
	if sum != reporttest.PaperDeltaS {
		t.Errorf("waterfall terms add up to %d, want ΔS = %d", sum, reporttest.PaperDeltaS)
	}
	if d := bars[0].Height - px - bars[len(bars)-1].Height; math.Abs(d) > 0.5 {
		t.Errorf("size(A) bar − terms − size(B) bar = %.2f px, want 0", d)
	}
	if v := text(t, ctx, "#verdict"); !strings.Contains(v, "ΔS = 59 MB") || !strings.Contains(v, "ε 853 kB") {
		t.Errorf("ΔS line = %q", v)
	}
	// The base term's source and the other term's groups, as the JSON
	// decomposition has them.
	if b := text(t, ctx, "#base"); !strings.Contains(b, "Base (from "+c.Decomposition.BaseSource+")") || !strings.Contains(b, c.Decomposition.BaseDetail) {
		t.Errorf("base line %q, want the source %q and %q", b, c.Decomposition.BaseSource, c.Decomposition.BaseDetail)
	}
	groups, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#other-groups tr[data-bytes]")].map(r =>
		[r.cells[0].textContent, r.dataset.bytes])`))
	if err != nil {
		t.Fatal(err)
	}
	var wantGroups [][]string
	for _, g := range c.Decomposition.OtherGroups {
		wantGroups = append(wantGroups, []string{g.Name, strconv.FormatInt(g.Bytes, 10)})
	}
	if len(wantGroups) == 0 {
		t.Fatal("the fixture's comparison has no other groups")
	}
	if diff := cmp.Diff(wantGroups, groups); diff != "" {
		t.Errorf("other groups (-want +got):\n%s", diff)
	}
	if l := text(t, ctx, "#layers"); !strings.Contains(l, "shared") {
		t.Errorf("layers table %q shows no shared layer", l)
	}
	screenshot(t, ctx, "compare.png")
	if ps := p.get(); len(ps) > 0 {
		t.Errorf("the page misbehaved:\n%s", strings.Join(ps, "\n"))
	}
}

// BenchmarkFirstDraw150k loads the page of a 150,000-file image and
// reports its size, the time from navigation start to the first painted
// frame and the page script's own time, as the page measures them, and
// the rectangles drawn. "small" has files of 1-21 kB (summed per
// directory); "big" has 5,000 of them at 10 MB, each drawn on its own;
// "floor-10-files" is the same page for 10 files, the fixed cost of a
// page load on this machine at the time (others' load included).
func BenchmarkFirstDraw150k(b *testing.B) {
	for _, c := range []struct {
		name   string
		n, big int
	}{{"small", 150_000, 0}, {"big", 150_000, 5000}, {"floor-10-files", 10, 0}} {
		b.Run(c.name, func(b *testing.B) {
			a := reporttest.ManyFiles(b, c.n, c.big)
			var page bytes.Buffer
			if err := WriteAnalysis(&page, analysisView(b, a)); err != nil {
				b.Fatal(err)
			}
			f := filepath.Join(b.TempDir(), "report.html")
			if err := os.WriteFile(f, page.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			ctx := browser(b)
			var drawn, script, rects float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := chromedp.Do(ctx, chromedp.Navigate("file://"+f), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`))); err != nil {
					b.Fatal(err)
				}
				m, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[+document.body.dataset.drawnMs, +document.body.dataset.scriptMs, document.querySelectorAll("rect.leaf").length]`))
				if err != nil {
					b.Fatal(err)
				}
				drawn += m[0]
				script += m[1]
				rects = m[2]
			}
			b.ReportMetric(float64(page.Len()), "html-bytes")
			b.ReportMetric(drawn/float64(b.N), "ms-first-draw")
			b.ReportMetric(script/float64(b.N), "ms-script")
			b.ReportMetric(rects, "rects")
		})
	}
}

// TestBrowserCompareIdentical: an image compared with itself has nothing
// to draw in either treemap; the page says so, without errors.
func TestBrowserCompareIdentical(t *testing.T) {
	ctx := browser(t)
	a := reporttest.PaperBuild(t, "app:base", []v1.History{{CreatedBy: "ADD rootfs /"}}, reporttest.PaperBase())
	ca := reporttest.Classify(a, nil)
	c, err := analyze.Compare(a, a, ca, ca, analyze.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := WriteComparison(&page, comparisonView(t, c, ca, ca)); err != nil {
		t.Fatal(err)
	}
	p := open(t, ctx, page.Bytes())
	for _, id := range []string{"#saved-empty", "#added-empty"} {
		if s := text(t, ctx, id); !strings.HasPrefix(s, "Nothing") {
			t.Errorf("%s = %q", id, s)
		}
	}
	if ps := p.get(); len(ps) > 0 {
		t.Errorf("the page misbehaved:\n%s", strings.Join(ps, "\n"))
	}
}

// TestBrowserEscapes: markup in file names is drawn as text, in labels
// (innerHTML) as in the tooltip.
func TestBrowserEscapes(t *testing.T) {
	ctx := browser(t)
	odd := `<img src=x onerror=alert(1)>&amp;"'.txt`
	img := reporttest.PaperBuild(t, `app:<b>odd</b>`, []v1.History{{CreatedBy: "COPY x / # buildkit"}},
		reporttest.PaperLayer([]index.Entry{reporttest.File("d/"+odd, 5_000_000), reporttest.File("d/<i>dir/f", 4_000_000)}))
	var page bytes.Buffer
	if err := WriteAnalysis(&page, analysisView(t, analyze.Summarize(img, nil, 5))); err != nil {
		t.Fatal(err)
	}
	p := open(t, ctx, page.Bytes())
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[String(document.querySelectorAll("img, b, i").length),
		[...document.querySelectorAll("#treemap text")].map(t => t.textContent).join("|"), document.querySelector("h1").textContent]`))
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "0" || !strings.Contains(got[1], odd) || !strings.Contains(got[1], "<i>dir/ 4.0 MB") || got[2] != "imgdiff analyze app:<b>odd</b>" {
		t.Errorf("elements made from names: %s; labels %q; title %q", got[0], got[1], got[2])
	}
	if ps := p.get(); len(ps) > 0 {
		t.Errorf("the page misbehaved:\n%s", strings.Join(ps, "\n"))
	}
}
