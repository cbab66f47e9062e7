package html

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/fleet"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// TestBrowserFleet: the fleet page runs without an error or a request;
// each treemap gives each repository, and each flagged category, the share
// of the area its flagged bytes are in the report's JSON; a click on a
// header sorts the table by that column.
func TestBrowserFleet(t *testing.T) {
	ctx := browser(t)
	img := func(repo string, size int64, cats map[model.Category]int64) fleet.Input {
		c := &model.Classification{}
		for cat, n := range cats {
			c.Totals = append(c.Totals, model.CategoryTotal{Category: cat, Bytes: n})
		}
		return fleet.Input{Ref: repo + "@x", Repo: repo, Tag: "1",
			Analysis: &analyze.Analysis{Image: &model.Image{Size: size}, Classification: c}}
	}
	r := fleet.Build([]fleet.Input{
		img("team/small", 900e6, map[model.Category]int64{model.BuildTool: 60e6, model.Cache: 40e6, model.Docs: 500e6}),
		img("team/big", 400e6, map[model.Category]int64{model.BuildTool: 140e6, model.Source: 160e6, model.Recommended: 50e6}),
		{Ref: "team/gone@y", Repo: "team/gone", Missing: []string{"sha256:aa"}},
	})
	// By hand: docs and recommended bytes are not flagged; big flags
	// 140+160 MB, small 60+40; build tools 200 MB in all, sources 160,
	// caches 40.
	wantRepos := map[string]float64{"team/big": 300e6, "team/small": 100e6}
	wantCats := map[string]float64{"build-tool": 200e6, "source": 160e6, "cache": 40e6}
	// The JSON report says the same.
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON struct {
		Repositories []struct {
			Repo    string `json:"repository"`
			Flagged int64  `json:"flaggedBytes"`
		} `json:"repositories"`
		Total struct {
			Flagged    int64            `json:"flaggedBytes"`
			Categories map[string]int64 `json:"categories"`
		} `json:"total"`
	}
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	for _, rp := range fromJSON.Repositories {
		if rp.Flagged > 0 && float64(rp.Flagged) != wantRepos[rp.Repo] {
			t.Errorf("JSON: %s flags %d, want %.0f", rp.Repo, rp.Flagged, wantRepos[rp.Repo])
		}
	}
	for c, n := range wantCats {
		if float64(fromJSON.Total.Categories[c]) != n {
			t.Errorf("JSON: total %s %d, want %.0f", c, fromJSON.Total.Categories[c], n)
		}
	}
	if fromJSON.Total.Flagged != 400e6 {
		t.Errorf("JSON: %d flagged in total, want 400 MB", fromJSON.Total.Flagged)
	}
	var page bytes.Buffer
	if err := WriteFleet(&page, r); err != nil {
		t.Fatal(err)
	}
	p := open(t, ctx, page.Bytes())
	for id, want := range map[string]map[string]float64{"treemap": wantRepos, "cat-treemap": wantCats} {
		areas, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => { const o = {};
			for (const d of document.querySelectorAll("#`+id+` div")) o[d.title.split(":")[0]] = d.offsetWidth * d.offsetHeight;
			return o; })()`))
		if err != nil {
			t.Fatal(err)
		}
		var gotSum, wantSum float64
		for k, a := range areas {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: a rectangle for %s, which flags nothing", id, k)
			}
			gotSum += a
		}
		for k, n := range want {
			if _, ok := areas[k]; !ok {
				t.Errorf("%s: no rectangle for %s", id, k)
			}
			wantSum += n
		}
		for k, n := range want {
			// Each share of the drawn area within 3 points (the 1 px
			// padding between rectangles takes a little of each).
			if got, exp := areas[k]/gotSum, n/wantSum; math.Abs(got-exp) > 0.03 {
				t.Errorf("%s: %s covers %.3f of the area, want %.3f", id, k, got, exp)
			}
		}
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
