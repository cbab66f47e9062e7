package budget

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// budgetImage is a small image with every figure a budget reads: 100 MB
// content, 40 MB compressed, 5 MB wasted, 6 layers, 20 MB of build tools
// in two files, one secret file, a root-user finding and a secret ENV.
func budgetImage() (*model.Image, *model.Classification) {
	files := []struct {
		path  string
		bytes int64
		cat   model.Category
	}{
		{"usr/bin/cc1", 15_000_000, model.BuildTool},
		{"usr/bin/gcc", 5_000_000, model.BuildTool},
		{"app/.env", 100, model.Secret},
		{"app/server", 70_000_000, ""},
		{"usr/share/doc/README", 4_999_900, model.Docs},
	}
	img := &model.Image{
		Ref: "docker://ghcr.io/acme/app:pr-7", Transport: "registry",
		Size: 100_000_000, CompressedSize: 40_000_000, Wasted: 5_000_000,
		Layers: make([]model.Layer, 6), FS: &model.FS{},
	}
	cls := &model.Classification{}
	totals := map[model.Category]*model.CategoryTotal{}
	for _, f := range files {
		img.FS.Append(model.File{Entry: index.Entry{Path: f.path, Kind: index.File, Size: f.bytes}, Bytes: f.bytes})
		cls.Flags.Append(model.Flag{Category: f.cat})
		c := f.cat
		if c == "" {
			c = model.Other
		}
		if totals[c] == nil {
			totals[c] = &model.CategoryTotal{Category: c}
		}
		totals[c].Bytes += f.bytes
		totals[c].Files++
	}
	for _, c := range model.Categories() {
		t := model.CategoryTotal{Category: c}
		if totals[c] != nil {
			t = *totals[c]
		}
		cls.Totals = append(cls.Totals, t)
	}
	cls.Findings = []model.Finding{
		{ID: hygiene.FindingRootUser, Severity: model.Warning, Title: "runs as root", Step: -1, Field: "config.User"},
		{ID: hygiene.FindingSecretEnv, Severity: model.Error, Title: "token-like value in ENV API_TOKEN", Step: -1, Field: "config.Env"},
		{ID: hygiene.FindingSecretFile, Severity: model.Error, Title: "secret file", Path: "app/.env", Step: 3},
	}
	return img, cls
}

func ptr[T any](v T) *T { return &v }

func TestEvaluateAnalysis(t *testing.T) {
	type check struct {
		rule           string
		actual, limit  float64
		pass           bool
		unit, inDetail string
	}
	cases := []struct {
		name   string
		budget ImageBudget
		want   []check
	}{
		{"max-size at the size passes", ImageBudget{MaxSize: ptr[int64](100_000_000)},
			[]check{{"max-size", 1e8, 1e8, true, "bytes", "content size"}}},
		{"max-size a byte under fails", ImageBudget{MaxSize: ptr[int64](99_999_999)},
			[]check{{"max-size", 1e8, 99_999_999, false, "bytes", ""}}},
		{"max-compressed-size passes", ImageBudget{MaxCompressedSize: ptr[int64](40_000_000)},
			[]check{{"max-compressed-size", 4e7, 4e7, true, "bytes", "compressed"}}},
		{"max-compressed-size fails", ImageBudget{MaxCompressedSize: ptr[int64](39_999_999)},
			[]check{{"max-compressed-size", 4e7, 39_999_999, false, "bytes", ""}}},
		{"max-layers passes", ImageBudget{MaxLayers: ptr(6)}, []check{{"max-layers", 6, 6, true, "count", ""}}},
		{"max-layers fails", ImageBudget{MaxLayers: ptr(5)}, []check{{"max-layers", 6, 5, false, "count", ""}}},
		{"max-wasted bytes passes", ImageBudget{MaxWasted: &Limit{Bytes: 5_000_000}},
			[]check{{"max-wasted", 5e6, 5e6, true, "bytes", "deleted or overwritten"}}},
		{"max-wasted bytes fails", ImageBudget{MaxWasted: &Limit{Bytes: 4_999_999}},
			[]check{{"max-wasted", 5e6, 4_999_999, false, "bytes", ""}}},
		{"max-wasted percent passes", ImageBudget{MaxWasted: &Limit{Percent: 5, IsPercent: true}},
			[]check{{"max-wasted", 5, 5, true, "percent", "% of content size"}}},
		{"max-wasted percent fails", ImageBudget{MaxWasted: &Limit{Percent: 4.9, IsPercent: true}},
			[]check{{"max-wasted", 5, 4.9, false, "percent", ""}}},
		{"max-category in report order", ImageBudget{MaxCategory: map[model.Category]int64{model.Docs: 5_000_000, model.BuildTool: 0, model.Cache: 0}},
			[]check{
				{"max-category.build-tool", 2e7, 0, false, "bytes", "build-tool"},
				{"max-category.cache", 0, 0, true, "bytes", ""},
				{"max-category.docs", 4_999_900, 5e6, true, "bytes", ""},
			}},
		{"fail-on a finding", ImageBudget{FailOn: []string{hygiene.FindingRootUser}},
			[]check{{"fail-on.root-user", 1, 0, false, "count", "runs as root"}}},
		{"fail-on a finding absent", ImageBudget{FailOn: []string{hygiene.FindingShellCmd}},
			[]check{{"fail-on.shell-form-cmd", 0, 0, true, "count", "no shell-form-cmd finding"}}},
		{"fail-on secret takes ENV and files", ImageBudget{FailOn: []string{"secret"}},
			[]check{{"fail-on.secret", 2, 0, false, "count", "and 1 more"}}},
		{"fail-on a category names the largest file", ImageBudget{FailOn: []string{"build-tool"}},
			[]check{{"fail-on.build-tool", 2, 0, false, "count", "2 build-tool files, e.g. usr/bin/cc1"}}},
		{"fail-on an empty category", ImageBudget{FailOn: []string{"vcs"}},
			[]check{{"fail-on.vcs", 0, 0, true, "count", "no vcs files"}}},
		{"pattern matches without the transport", ImageBudget{Image: "ghcr.io/acme/*", MaxLayers: ptr(10)},
			[]check{{"max-layers", 6, 10, true, "count", ""}}},
		{"pattern matches the ref as given", ImageBudget{Image: "docker://*:pr-?", MaxLayers: ptr(10)},
			[]check{{"max-layers", 6, 10, true, "count", ""}}},
		{"pattern skips other images", ImageBudget{Image: "ghcr.io/acme/other:*", MaxSize: ptr[int64](0)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img, cls := budgetImage()
			a := &analyze.Analysis{Image: img, Classification: cls}
			r, err := EvaluateAnalysis(a, &Budgets{Images: []ImageBudget{c.budget}, Source: "test.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			var got []check
			pass := true
			for _, k := range r.Checks {
				if k.Image != img.Ref {
					t.Errorf("check %s is for %q, want %q", k.Rule, k.Image, img.Ref)
				}
				got = append(got, check{k.Rule, k.Actual, k.Limit, k.Pass, k.Unit, ""})
				pass = pass && k.Pass
			}
			var want []check
			for i, w := range c.want {
				want = append(want, w)
				want[i].inDetail = ""
				if w.inDetail != "" && !strings.Contains(r.Checks[i].Detail, w.inDetail) {
					t.Errorf("%s detail %q lacks %q", w.rule, r.Checks[i].Detail, w.inDetail)
				}
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(check{})); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			if r.Pass != pass || r.Source != "test.yaml" || len(r.Failed()) != countFailed(r) {
				t.Errorf("report pass %v source %q, want pass %v", r.Pass, r.Source, pass)
			}
		})
	}
}

func countFailed(r *model.BudgetReport) int {
	n := 0
	for _, c := range r.Checks {
		if !c.Pass {
			n++
		}
	}
	return n
}

func TestEvaluateAnalysisEveryMatchingBudgetApplies(t *testing.T) {
	img, cls := budgetImage()
	b := &Budgets{Images: []ImageBudget{
		{Image: "*", MaxSize: ptr[int64](200_000_000)},
		{Image: "*acme/app:*", MaxSize: ptr[int64](50_000_000)},
		{Image: "*/other:*", MaxSize: ptr[int64](1)},
	}}
	r, err := EvaluateAnalysis(&analyze.Analysis{Image: img, Classification: cls}, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 2 || !r.Checks[0].Pass || r.Checks[1].Pass || r.Checks[1].Limit != 5e7 || r.Pass {
		t.Errorf("want the 200 MB check passing and the 50 MB one failing, got %+v (pass %v)", r.Checks, r.Pass)
	}
}

func TestEvaluateNoBudgets(t *testing.T) {
	img, cls := budgetImage()
	for _, b := range []*Budgets{nil, {}, {Source: "x"}} {
		if r, err := EvaluateAnalysis(&analyze.Analysis{Image: img, Classification: cls}, b); r != nil || err != nil {
			t.Errorf("EvaluateAnalysis(%+v) = %+v, %v; want no report", b, r, err)
		}
	}
	// Budgets that exist but match nothing: a passing report with no
	// checks, so the output can say no budget applied.
	r, err := EvaluateAnalysis(&analyze.Analysis{Image: img, Classification: cls}, &Budgets{Images: []ImageBudget{{Image: "nope", MaxSize: ptr[int64](0)}}})
	if err != nil || r == nil || !r.Pass || len(r.Checks) != 0 {
		t.Errorf("unmatched budgets: %+v, %v", r, err)
	}
	// Compare budgets mean nothing for one image.
	r, err = EvaluateAnalysis(&analyze.Analysis{Image: img}, &Budgets{Compare: CompareBudget{MinSavings: &Limit{Bytes: 1}}})
	if err != nil || r == nil || !r.Pass || len(r.Checks) != 0 {
		t.Errorf("compare budgets on analyze: %+v, %v", r, err)
	}
}

// A figure the source does not have is an error (exit 2), never a pass
// and never a budget failure.
func TestEvaluateUnknownFigures(t *testing.T) {
	img, cls := budgetImage()
	img.CompressedSize, img.Transport = model.Unknown, "docker-archive"
	_, err := EvaluateAnalysis(&analyze.Analysis{Image: img, Classification: cls}, &Budgets{Images: []ImageBudget{{MaxCompressedSize: ptr[int64](1 << 40)}}})
	var ue *UnknownFigureError
	if !errors.As(err, &ue) || ue.Rule != "max-compressed-size" || !strings.Contains(err.Error(), "docker-archive") {
		t.Errorf("unknown compressed size: %v, want an UnknownFigureError naming the transport", err)
	}

	img, _ = budgetImage()
	for _, ib := range []ImageBudget{{FailOn: []string{"secret"}}, {MaxCategory: map[model.Category]int64{model.BuildTool: 0}}} {
		if _, err := EvaluateAnalysis(&analyze.Analysis{Image: img}, &Budgets{Images: []ImageBudget{ib}}); err == nil || !strings.Contains(err.Error(), "classified") {
			t.Errorf("%+v on an unclassified image: %v, want an error", ib, err)
		}
	}
}

func TestEvaluateComparison(t *testing.T) {
	a := &model.Image{Ref: "oci:single", Size: 150_000_000}
	b, cb := budgetImage() // 100 MB
	// The deltas by hand: A 150 MB, B 100 MB (40 MB compressed; A's
	// compressed size is 0).
	c := &analyze.Comparison{A: a, B: b, Delta: analyze.Delta{Size: 50_000_000, Percent: 100.0 / 3, CompressedSize: -40_000_000}}
	grown := &analyze.Comparison{A: b, B: a, Delta: analyze.Delta{Size: -50_000_000, Percent: -50, CompressedSize: 40_000_000, CompressedPercent: 100}} // B is 50 MB larger, +50%

	cases := []struct {
		name    string
		c       *analyze.Comparison
		compare CompareBudget
		rule    string
		actual  float64
		limit   float64
		pass    bool
	}{
		{"min-savings bytes pass", c, CompareBudget{MinSavings: &Limit{Bytes: 50_000_000}}, "min-savings", 5e7, 5e7, true},
		{"min-savings bytes fail", c, CompareBudget{MinSavings: &Limit{Bytes: 50_000_001}}, "min-savings", 5e7, 50_000_001, false},
		{"min-savings percent pass", c, CompareBudget{MinSavings: &Limit{Percent: 33, IsPercent: true}}, "min-savings", 100.0 / 3, 33, true},
		{"min-savings percent fail", c, CompareBudget{MinSavings: &Limit{Percent: 34, IsPercent: true}}, "min-savings", 100.0 / 3, 34, false},
		{"min-savings when B grew", grown, CompareBudget{MinSavings: &Limit{}}, "min-savings", -5e7, 0, false},
		{"max-growth bytes pass", grown, CompareBudget{MaxGrowth: &Limit{Bytes: 50_000_000}}, "max-growth", 5e7, 5e7, true},
		{"max-growth bytes fail", grown, CompareBudget{MaxGrowth: &Limit{Bytes: 49_999_999}}, "max-growth", 5e7, 49_999_999, false},
		{"max-growth percent pass", grown, CompareBudget{MaxGrowth: &Limit{Percent: 50, IsPercent: true}}, "max-growth", 50, 50, true},
		{"max-growth percent fail", grown, CompareBudget{MaxGrowth: &Limit{Percent: 49.9, IsPercent: true}}, "max-growth", 50, 49.9, false},
		{"max-growth when B shrank", c, CompareBudget{MaxGrowth: &Limit{}}, "max-growth", -5e7, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := EvaluateComparison(tc.c, &Budgets{Compare: tc.compare}, cb)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Checks) != 1 {
				t.Fatalf("checks %+v, want one", r.Checks)
			}
			k := r.Checks[0]
			if k.Rule != tc.rule || k.Actual != tc.actual || k.Limit != tc.limit || k.Pass != tc.pass || r.Pass != tc.pass || k.Image != tc.c.B.Ref {
				t.Errorf("got %+v (report pass %v), want %s actual %v limit %v pass %v", k, r.Pass, tc.rule, tc.actual, tc.limit, tc.pass)
			}
		})
	}

	// Per-image budgets apply to B only: A (150 MB) would fail max-size
	// 120MB, B (100 MB) passes.
	r, err := EvaluateComparison(c, &Budgets{
		Images:  []ImageBudget{{MaxSize: ptr[int64](120_000_000), FailOn: []string{hygiene.FindingRootUser}}},
		Compare: CompareBudget{MinSavings: &Limit{Percent: 10, IsPercent: true}},
	}, cb)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, k := range r.Checks {
		rules = append(rules, k.Rule)
		if k.Image != b.Ref {
			t.Errorf("%s checked %s, want B", k.Rule, k.Image)
		}
	}
	if diff := cmp.Diff([]string{"min-savings", "max-size", "fail-on.root-user"}, rules); diff != "" || r.Pass || len(r.Failed()) != 1 {
		t.Errorf("rules (-want +got):\n%s\nfailed %+v", diff, r.Failed())
	}
	// fail-on needs B's classification.
	if _, err := EvaluateComparison(c, &Budgets{Images: []ImageBudget{{FailOn: []string{"secret"}}}}, nil); err == nil {
		t.Error("fail-on without B's classification: no error")
	}
}

func TestMatchImage(t *testing.T) {
	cases := []struct {
		pattern, ref string
		want         bool
	}{
		{"", "anything", true},
		{"*", "docker://ghcr.io/acme/app:1", true},
		{"ghcr.io/acme/app:*", "docker://ghcr.io/acme/app:1.2", true},
		{"ghcr.io/acme/app:*", "ghcr.io/acme/app:1.2", true},
		{"ghcr.io/acme/app:*", "ghcr.io/acme/app-debug:1.2", false},
		{"*/app:*", "docker-daemon:registry.local:5000/team/app:pr-3", true},
		{"oci:*multi", "oci:/tmp/demo/multi", true},
		{"*multi", "oci:/tmp/demo/multi", true},
		{"app.tar", "docker-archive:app.tar", true},
		{"app?tar", "docker-archive:app.tar", true},
		{"app.tar", "docker-archive:appxtar", false}, // "." is literal
		{"[a]pp", "app", false},                      // no character classes
		{"app:1", "app:10", false},                   // anchored
		{"oci-archive:*", "oci-archive:x.tar", true},
		{"x.tar", "oci-archive:x.tar", true}, // not mistaken for "oci:"
	}
	for _, c := range cases {
		if got := MatchImage(c.pattern, c.ref); got != c.want {
			t.Errorf("MatchImage(%q, %q) = %v, want %v", c.pattern, c.ref, got, c.want)
		}
	}
}

func TestBudgetsValidate(t *testing.T) {
	bad := []struct {
		b   Budgets
		msg string
	}{
		{Budgets{Images: []ImageBudget{{MaxSize: ptr[int64](-1)}}}, "max-size must not be negative"},
		{Budgets{Images: []ImageBudget{{MaxLayers: ptr(-1)}}}, "max-layers must not be negative"},
		{Budgets{Images: []ImageBudget{{MaxCategory: map[model.Category]int64{"compilers": 0}}}}, `unknown category "compilers"`},
		{Budgets{Images: []ImageBudget{{FailOn: []string{"nope"}}}}, `unknown finding or category "nope"`},
		{Budgets{Images: []ImageBudget{{MaxWasted: &Limit{Percent: -1, IsPercent: true}}}}, "max-wasted must not be negative"},
		{Budgets{Compare: CompareBudget{MinSavings: &Limit{Percent: 101, IsPercent: true}}}, "can never be met"},
	}
	for _, c := range bad {
		if err := c.b.Validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Validate(%+v) = %v, want %q", c.b, err, c.msg)
		}
	}
	good := Budgets{
		Images: []ImageBudget{{Image: "*", MaxSize: ptr[int64](0), MaxCategory: map[model.Category]int64{model.BuildTool: 0},
			FailOn: []string{"secret", "root-user", "vcs"}, MaxWasted: &Limit{Percent: 250, IsPercent: true}}},
		Compare: CompareBudget{MinSavings: &Limit{Percent: 100, IsPercent: true}, MaxGrowth: &Limit{Percent: 300, IsPercent: true}},
	}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestEvaluateUnknownCategory: a budget on a category that does not exist
// is an error, not a check of nothing (or of the first category).
func TestEvaluateUnknownCategory(t *testing.T) {
	img, cls := budgetImage()
	b := &Budgets{Images: []ImageBudget{{MaxCategory: map[model.Category]int64{"compilers": 0}}}}
	r, err := EvaluateAnalysis(&analyze.Analysis{Image: img, Classification: cls}, b)
	if err == nil || r != nil || !strings.Contains(err.Error(), `unknown category "compilers"`) {
		t.Errorf("EvaluateAnalysis = %+v, %v; want an unknown-category error", r, err)
	}
	if _, err := EvaluateComparison(&analyze.Comparison{A: img, B: img}, b, cls); err == nil {
		t.Error("EvaluateComparison accepted an unknown category")
	}
}

// TestFailOnEveryFindingID: every finding id hygiene reports is accepted
// by fail-on and fails a budget when the finding is present, and
// "secret" takes exactly the secret findings (a hand-written list: a
// credential in a file, the config, a build argument, a RUN).
func TestFailOnEveryFindingID(t *testing.T) {
	secrets := map[string]bool{"secret": true, "secret-in-config": true, "secret-in-build-arg": true, "secret-in-history": true}
	ids := hygiene.IDs()
	for id := range secrets {
		if !slices.Contains(ids, id) {
			t.Errorf("hygiene.IDs() lacks %s", id)
		}
	}
	for _, id := range ids {
		if err := CheckFailOn(id); err != nil {
			t.Errorf("fail-on %s: %v", id, err)
		}
		img := &model.Image{Ref: "app:1", Layers: make([]model.Layer, 1)}
		cls := &model.Classification{Findings: []model.Finding{{ID: id, Severity: model.Warning, Title: "the " + id + " finding", Step: -1}}}
		for _, c := range model.Categories() {
			cls.Totals = append(cls.Totals, model.CategoryTotal{Category: c})
		}
		for _, name := range []string{id, "secret"} {
			r, err := EvaluateAnalysis(&analyze.Analysis{Image: img, Classification: cls}, &Budgets{Images: []ImageBudget{{FailOn: []string{name}}}})
			if err != nil {
				t.Fatal(err)
			}
			wantFail := name == id || secrets[id]
			if len(r.Checks) != 1 || r.Pass == wantFail {
				t.Errorf("fail-on %s with a %s finding: pass %v (%+v), want pass %v", name, id, r.Pass, r.Checks, !wantFail)
			}
		}
	}
}
