package html

import (
	"bytes"
	"math"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// TestBrowserFleet: the fleet page runs without an error or a request;
// the treemap gives each repository the share of the area its flagged
// bytes are; a click on a header sorts the table by that column.
func TestBrowserFleet(t *testing.T) {
	ctx := browser(t)
	img := func(repo string, flagged, size int64) fleet.Image {
		return fleet.Image{Ref: repo + "@x", Repo: repo, Tag: "1", Complete: true, Size: size, Flagged: flagged,
			Categories: map[model.Category]int64{model.BuildTool: flagged}}
	}
	r := fleet.Build(nil)
	r.Images = []fleet.Image{img("team/small", 100e6, 900e6), img("team/big", 300e6, 400e6), {Ref: "team/gone@y", Repo: "team/gone", Missing: []string{"sha256:aa"}}}
	r.Repositories = []fleet.Totals{{Repo: "team/big", Images: 1, Flagged: 300e6}, {Repo: "team/small", Images: 1, Flagged: 100e6}, {Repo: "team/gone", Images: 1, Incomplete: 1}}
	var page bytes.Buffer
	if err := WriteFleet(&page, r); err != nil {
		t.Fatal(err)
	}
	p := open(t, ctx, page.Bytes())
	areas, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => { const o = {};
		for (const d of document.querySelectorAll("#treemap div")) o[d.title.split(":")[0]] = d.offsetWidth * d.offsetHeight;
		return o; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) != 2 {
		t.Fatalf("treemap rectangles %v, want the 2 repositories with flagged bytes", areas)
	}
	if ratio := areas["team/big"] / areas["team/small"]; math.Abs(ratio-3) > 0.15 {
		t.Errorf("treemap: big/small area %.2f, want 3 (300 MB / 100 MB flagged)", ratio)
	}
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector(`+"`"+sel+"`"+`).click(), true)`)); err != nil {
			t.Fatal(err)
		}
	}
	// Flagged is the 4th column; the first click sorts descending.
	click(`#images th:nth-child(4)`)
	if first := text(t, ctx, `#images tbody tr:first-child td:first-child`); first != "team/big:1" {
		t.Errorf("sorted by flagged, descending: first row %q", first)
	}
	click(`#images th:nth-child(2)`)
	if first := text(t, ctx, `#images tbody tr:first-child td:first-child`); first != "team/small:1" {
		t.Errorf("sorted by size, descending: first row %q", first)
	}
	if pr := p.get(); len(pr) > 0 {
		t.Errorf("page problems: %v", pr)
	}
}
