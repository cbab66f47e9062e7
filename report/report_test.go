package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/report/reporttest"
	"github.com/imgdiff/imgdiff/report/view"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", p, diff)
	}
}

func TestGolden(t *testing.T) {
	// HTML and ncdu are tested in their own packages (in a browser, in
	// ncdu), not against goldens.
	for _, f := range []Format{Table, Markdown, JSON, SARIF, GitHub} {
		t.Run("analysis."+string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := (Options{Width: 100}).WriteAnalysis(&b, f, reporttest.Analysis(t)); err != nil {
				t.Fatal(err)
			}
			golden(t, "analysis."+ext(f), b.Bytes())
		})
		t.Run("comparison."+string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := (Options{Width: 100}).WriteComparison(&b, f, reporttest.Comparison(t)); err != nil {
				t.Fatal(err)
			}
			golden(t, "comparison."+ext(f), b.Bytes())
		})
	}
}

func ext(f Format) string {
	switch f {
	case Markdown:
		return "md"
	case Table:
		return "txt"
	}
	return string(f)
}

// The decomposition line must add up exactly to ΔS, in every format that
// prints it: parse the exact-bytes line and add the terms.
func TestDecompositionLineAddsUp(t *testing.T) {
	c := reporttest.Comparison(t)
	var b bytes.Buffer
	if err := WriteComparison(&b, Table, c); err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "ΔS "+view.Number(int(c.Delta.Size))) {
			line = strings.TrimSpace(l)
		}
	}
	if line == "" {
		t.Fatalf("no exact ΔS line in:\n%s", b.String())
	}
	lhs, rhs, ok := strings.Cut(line, " = ")
	if !ok {
		t.Fatalf("no = in %q", line)
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return n
	}
	want := num(strings.TrimPrefix(lhs, "ΔS "))
	// rhs: "build-tool 33,525,812 + source 15,400 ... − ε 851,500"
	var sum int64
	sign := int64(1)
	terms := 0
	for _, tok := range strings.Fields(rhs) {
		switch {
		case tok == "+":
			sign = 1
		case tok == view.Minus:
			sign = -1
		case regexp.MustCompile(`^[0-9,]+$`).MatchString(tok):
			sum += sign * num(tok)
			terms++
		}
	}
	if sum != want || want != c.Delta.Size {
		t.Errorf("%q: terms add up to %d, line says %d, ΔS is %d", line, sum, want, c.Delta.Size)
	}
	if terms != len(c.Decomposition.Terms)+1 {
		t.Errorf("%q: %d amounts, want %d terms and ε", line, terms, len(c.Decomposition.Terms))
	}
}

// Without classification, budgets or compressed sizes the reports still
// render, say what they do not know, and show no empty sections.
func TestMinimalModels(t *testing.T) {
	img, _ := reporttest.SingleStage(t)
	for i := range img.Layers {
		img.Layers[i].CompressedSize = model.Unknown
	}
	for i := range img.Steps {
		img.Steps[i].CompressedSize = model.Unknown
	}
	img.CompressedSize = model.Unknown
	a := analyze.Summarize(img, nil, 3)
	var tb, md bytes.Buffer
	if err := WriteAnalysis(&tb, Table, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteAnalysis(&md, Markdown, a); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"compressed size unknown", "unknown (the source holds layers uncompressed)"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
	for _, absent := range []string{"COMPRESSED", "Budgets", "Findings", "What the bytes are"} {
		if strings.Contains(tb.String(), absent) {
			t.Errorf("table shows %q without data:\n%s", absent, tb.String())
		}
	}
	if !strings.Contains(md.String(), "pie showData title Content by instruction") {
		t.Errorf("unclassified markdown should chart content by instruction:\n%s", md.String())
	}

	b, _ := reporttest.MultiStage(t)
	c, err := analyze.Compare(img, b, nil, nil, analyze.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tb.Reset()
	if err := WriteComparison(&tb, Table, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), view.CompressedLabel) || !strings.Contains(tb.String(), "unknown") {
		t.Errorf("comparison with unknown compressed size:\n%s", tb.String())
	}
	if strings.Contains(tb.String(), "By category") {
		t.Errorf("by-category section without classification:\n%s", tb.String())
	}
}

func TestHeadline(t *testing.T) {
	c := &analyze.Comparison{}
	c.Delta = analyze.Delta{Size: -30_000_000, Percent: -12.5}
	if got, want := view.Headline(c, "A", "B"), "B is 30 MB larger than A (+12.5%)"; got != want {
		t.Errorf("growth: %q, want %q", got, want)
	}
	c.Delta = analyze.Delta{Size: 412_000_000, Percent: 71}
	if got, want := view.Headline(c, "A", "B"), "B is 412 MB smaller than A (−71.0%)"; got != want {
		t.Errorf("savings: %q, want %q", got, want)
	}
	c.Identical, c.Delta = true, analyze.Delta{}
	if got := view.Headline(c, "A", "B"); !strings.Contains(got, "ΔS = 0") {
		t.Errorf("identical: %q", got)
	}
}

func TestTableFitsWidth(t *testing.T) {
	img, c := reporttest.SingleStage(t)
	img.Steps[2].Instruction.Args += strings.Repeat(" && echo padding", 30)
	a := analyze.Summarize(img, c, 5)
	var b bytes.Buffer
	const width = 110
	if err := (Options{Width: width}).WriteAnalysis(&b, Table, a); err != nil {
		t.Fatal(err)
	}
	in := false
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "Per instruction") {
			in = true
			continue
		}
		if in && l == "" {
			break
		}
		if in && len([]rune(l)) > width {
			t.Errorf("per-instruction line is %d runes wide at width %d: %q", len([]rune(l)), width, l)
		}
	}
	if !strings.Contains(b.String(), "RUN apt-get update") || !strings.Contains(b.String(), "…") {
		t.Errorf("long instruction not shortened with an ellipsis:\n%s", b.String())
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := WriteAnalysis(&bytes.Buffer{}, Format("yaml"), reporttest.Analysis(t)); err == nil {
		t.Error("unknown format accepted")
	}
	if err := WriteComparison(&bytes.Buffer{}, Table, &analyze.Comparison{}); err == nil {
		t.Error("comparison without images accepted")
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("ParseFormat accepted yaml")
	}
	for _, f := range []Format{HTML, NCDU} {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if err := WriteComparison(&bytes.Buffer{}, NCDU, reporttest.Comparison(t)); !errors.Is(err, ErrNCDUCompare) {
		t.Errorf("compare -o ncdu: %v, want ErrNCDUCompare", err)
	}
}

// TestDispatch: html and ncdu reach their packages.
func TestDispatch(t *testing.T) {
	for _, c := range []struct {
		f      Format
		prefix string
	}{{HTML, "<!DOCTYPE html>"}, {NCDU, "[1,2,"}} {
		var b bytes.Buffer
		if err := WriteAnalysis(&b, c.f, reporttest.Analysis(t)); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), c.prefix) {
			t.Errorf("-o %s starts with %.40q, want %q", c.f, b.String(), c.prefix)
		}
	}
	var b bytes.Buffer
	if err := WriteComparison(&b, HTML, reporttest.Comparison(t)); err != nil || !strings.HasPrefix(b.String(), "<!DOCTYPE html>") {
		t.Errorf("compare -o html: %v, %.40q", err, b.String())
	}
}
