package fleet

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

func analysis(size, compressed int64, totals map[model.Category]int64, pkgs []model.Package, budgetPass *bool) *analyze.Analysis {
	c := &model.Classification{Packages: pkgs, Verdict: "v"}
	for _, cat := range model.Categories() {
		c.Totals = append(c.Totals, model.CategoryTotal{Category: cat, Bytes: totals[cat]})
	}
	a := &analyze.Analysis{Image: &model.Image{Size: size, CompressedSize: compressed}, Classification: c}
	if budgetPass != nil {
		a.Budgets = &model.BudgetReport{Pass: *budgetPass, Checks: []model.BudgetCheck{{Rule: "max-category.build-tool", Pass: *budgetPass}}}
	}
	return a
}

func TestBuild(t *testing.T) {
	fail := false
	in := []Input{
		{Ref: "r/a@1", Repo: "r/a", Tag: "1", Analysis: analysis(1000, 400,
			map[model.Category]int64{model.BuildTool: 300, model.Cache: 50, model.Docs: 20, model.Recommended: 10, model.Other: 620},
			[]model.Package{
				{Name: "libc6", Manager: "dpkg", Bytes: 500},
				{Name: "gcc-12", Manager: "dpkg", Category: model.BuildTool, Bytes: 200},
				{Name: "manpages", Manager: "dpkg", Category: model.Docs, Bytes: 20},
				{Name: "make", Manager: "dpkg", Category: model.BuildTool, Bytes: 60},
				{Name: "cpp", Manager: "dpkg", Category: model.BuildTool, Bytes: 40},
				{Name: "binutils", Manager: "dpkg", Category: model.BuildTool, Bytes: 39},
			}, &fail)},
		{Ref: "r/a@2", Repo: "r/a", Tag: "2", Missing: []string{"sha256:aa"}},
		{Ref: "r/b@3", Repo: "r/b", Tag: "3", Analysis: analysis(500, 200,
			map[model.Category]int64{model.BuildTool: 400, model.Secret: 1, model.Other: 99}, nil, nil)},
		{Ref: "r/c@4", Repo: "r/c", Analysis: analysis(10, 5, map[model.Category]int64{model.Other: 10}, nil, nil)},
	}
	r := Build(in)
	// By hand: a flags 300+50 (docs and recommended are not moved to a
	// build stage), b 400+1, c nothing.
	wantImages := []Image{
		{Ref: "r/a@1", Repo: "r/a", Tag: "1", Complete: true, Size: 1000, CompressedSize: 400, Flagged: 350,
			Categories:  map[model.Category]int64{model.BuildTool: 300, model.Cache: 50, model.Docs: 20, model.Recommended: 10},
			TopPackages: []Package{{"gcc-12", "dpkg", model.BuildTool, 200}, {"make", "dpkg", model.BuildTool, 60}, {"cpp", "dpkg", model.BuildTool, 40}},
			Verdict:     "v", Budget: "fail", BudgetFailed: []string{"max-category.build-tool"}},
		{Ref: "r/a@2", Repo: "r/a", Tag: "2", Missing: []string{"sha256:aa"}},
		{Ref: "r/b@3", Repo: "r/b", Tag: "3", Complete: true, Size: 500, CompressedSize: 200, Flagged: 401,
			Categories: map[model.Category]int64{model.BuildTool: 400, model.Secret: 1}, Verdict: "v"},
		{Ref: "r/c@4", Repo: "r/c", Complete: true, Size: 10, CompressedSize: 5, Verdict: "v"},
	}
	if d := cmp.Diff(wantImages, r.Images); d != "" {
		t.Errorf("images (-want +got):\n%s", d)
	}
	wantRepos := []Totals{
		{Repo: "r/b", Images: 1, Size: 500, CompressedSize: 200, Flagged: 401, Saving: 401,
			Categories: map[model.Category]int64{model.BuildTool: 400, model.Secret: 1}},
		{Repo: "r/a", Images: 2, Incomplete: 1, BudgetFailed: 1, Size: 1000, CompressedSize: 400, Flagged: 350, Saving: 350,
			Categories: map[model.Category]int64{model.BuildTool: 300, model.Cache: 50, model.Docs: 20, model.Recommended: 10}},
		{Repo: "r/c", Images: 1, Size: 10, CompressedSize: 5},
	}
	if d := cmp.Diff(wantRepos, r.Repositories); d != "" {
		t.Errorf("repositories (-want +got):\n%s", d)
	}
	wantTotal := Totals{Images: 4, Incomplete: 1, BudgetFailed: 1, Size: 1510, CompressedSize: 605, Flagged: 751, Saving: 751,
		Categories: map[model.Category]int64{model.BuildTool: 700, model.Cache: 50, model.Docs: 20, model.Recommended: 10, model.Secret: 1}}
	if d := cmp.Diff(wantTotal, r.Total); d != "" {
		t.Errorf("total (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]ImageBytes{{"r/b@3", "r/b:3", 400}, {"r/a@1", "r/a:1", 300}}, r.BuildTools); d != "" {
		t.Errorf("build tools (-want +got):\n%s", d)
	}
	if r.SchemaVersion != SchemaVersion || r.Kind != "fleet" {
		t.Errorf("schema %d kind %q", r.SchemaVersion, r.Kind)
	}
}
