package budget

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// transports are the reference prefixes MatchImage also ignores, so that
// "ghcr.io/acme/*" matches "docker://ghcr.io/acme/app:1". (analyze may not
// import layers, which owns them; these are the user-facing spellings.)
var transports = []string{"docker://", "docker-daemon:", "docker-archive:", "oci-archive:", "oci:"}

// MatchImage reports whether a budget's image pattern matches ref. In a
// pattern "*" matches any run of characters, "/" and ":" included, "?"
// any one character, and everything else itself; "" matches every image.
// The pattern is matched against the reference as given and against it
// without its transport prefix.
func MatchImage(pattern, ref string) bool {
	if pattern == "" {
		return true
	}
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	m := regexp.MustCompile(re.String()) // every meta-character is quoted: it always compiles
	if m.MatchString(ref) {
		return true
	}
	for _, t := range transports {
		if rest, ok := strings.CutPrefix(ref, t); ok {
			return m.MatchString(rest)
		}
	}
	return false
}

// UnknownFigureError says a budget limits a figure the image's source
// cannot provide (a compressed size read from a docker save archive or
// the engine). It is an error, not a failed check: the tool could not
// tell, and CI must not read that as "over budget" (exit 1) or as "within
// budget" (exit 0).
type UnknownFigureError struct {
	Rule, Image, Why string
}

func (e *UnknownFigureError) Error() string {
	return fmt.Sprintf("budget %s for %s: %s", e.Rule, e.Image, e.Why)
}

// EvaluateAnalysis checks every per-image budget whose pattern matches
// a's image. It returns nil when b sets no limit, and a report with no
// checks when budgets exist but none applies to this image. Compare
// budgets do not apply to one image and are ignored.
//
// It returns an error, and no report, when a rule cannot be checked: an
// UnknownFigureError for a compressed size the source does not have, or
// a category or fail-on rule for an image that was not classified, or
// budgets that Validate rejects (an unknown category is an error, never
// a limit on nothing).
func EvaluateAnalysis(a *analyze.Analysis, b *Budgets) (*model.BudgetReport, error) {
	if b.Empty() {
		return nil, nil
	}
	if err := b.Validate(); err != nil { // an unknown category, say
		return nil, fmt.Errorf("budgets: %w", err)
	}
	r := &model.BudgetReport{Source: b.Source, Pass: true, Checks: []model.BudgetCheck{}}
	if err := checkImage(r, a.Image, a.Classification, b); err != nil {
		return nil, err
	}
	return r, nil
}

// EvaluateComparison checks the compare budgets against c, then the
// per-image budgets against B, classified as cb (nil when not classified).
// The baseline A is not checked: a pull request is judged by what it
// builds, not by what main already carries. Results and errors are as for
// EvaluateAnalysis.
func EvaluateComparison(c *analyze.Comparison, b *Budgets, cb *model.Classification) (*model.BudgetReport, error) {
	if b.Empty() {
		return nil, nil
	}
	if err := b.Validate(); err != nil { // an unknown category, say
		return nil, fmt.Errorf("budgets: %w", err)
	}
	r := &model.BudgetReport{Source: b.Source, Pass: true, Checks: []model.BudgetCheck{}}
	ref := c.B.Ref
	if l := b.Compare.MinSavings; l != nil {
		if l.IsPercent {
			r.Add(model.BudgetCheck{Rule: "min-savings", Image: ref, Unit: "percent", Actual: c.Delta.Percent, Limit: l.Percent,
				Pass: c.Delta.Percent >= l.Percent, Detail: "ΔS = A − B, content size, as % of A"})
		} else {
			r.Add(model.BudgetCheck{Rule: "min-savings", Image: ref, Unit: "bytes", Actual: float64(c.Delta.Size), Limit: float64(l.Bytes),
				Pass: c.Delta.Size >= l.Bytes, Detail: "ΔS = A − B, content size"})
		}
	}
	if l := b.Compare.MaxGrowth; l != nil {
		if l.IsPercent {
			growth := -c.Delta.Percent
			r.Add(model.BudgetCheck{Rule: "max-growth", Image: ref, Unit: "percent", Actual: growth, Limit: l.Percent,
				Pass: growth <= l.Percent, Detail: "B − A, content size, as % of A"})
		} else {
			growth := -c.Delta.Size
			r.Add(model.BudgetCheck{Rule: "max-growth", Image: ref, Unit: "bytes", Actual: float64(growth), Limit: float64(l.Bytes),
				Pass: growth <= l.Bytes, Detail: "B − A, content size"})
		}
	}
	if err := checkImage(r, c.B, cb, b); err != nil {
		return nil, err
	}
	return r, nil
}

// checkImage adds the checks of every budget that applies to img, each
// budget's rules in a fixed order.
func checkImage(r *model.BudgetReport, img *model.Image, cls *model.Classification, b *Budgets) error {
	for i := range b.Images {
		ib := &b.Images[i]
		if !MatchImage(ib.Image, img.Ref) {
			continue
		}
		if ib.MaxSize != nil {
			r.Add(bytesCheck("max-size", img.Ref, img.Size, *ib.MaxSize, "content size"))
		}
		if ib.MaxCompressedSize != nil {
			if img.CompressedSize < 0 {
				return &UnknownFigureError{Rule: "max-compressed-size", Image: img.Ref,
					Why: "the compressed size is unknown because the " + transportName(img) +
						" holds layers uncompressed; read the image from a registry (docker://) or an OCI layout, or drop the rule"}
			}
			r.Add(bytesCheck("max-compressed-size", img.Ref, img.CompressedSize, *ib.MaxCompressedSize, "compressed size, what a pull transfers"))
		}
		if ib.MaxLayers != nil {
			n := len(img.Layers)
			r.Add(model.BudgetCheck{Rule: "max-layers", Image: img.Ref, Unit: "count", Actual: float64(n), Limit: float64(*ib.MaxLayers),
				Pass: n <= *ib.MaxLayers, Detail: "layers"})
		}
		if l := ib.MaxWasted; l != nil {
			const what = "bytes deleted or overwritten by a later layer"
			if l.IsPercent {
				pct := 0.0
				if img.Size > 0 {
					pct = 100 * float64(img.Wasted) / float64(img.Size)
				}
				r.Add(model.BudgetCheck{Rule: "max-wasted", Image: img.Ref, Unit: "percent", Actual: pct, Limit: l.Percent,
					Pass: pct <= l.Percent, Detail: what + ", as % of content size"})
			} else {
				r.Add(bytesCheck("max-wasted", img.Ref, img.Wasted, l.Bytes, what))
			}
		}
		if cls == nil && (len(ib.MaxCategory) > 0 || len(ib.FailOn) > 0) {
			return fmt.Errorf("budget for %s: max-category and fail-on need the image classified, and it was not", img.Ref)
		}
		for _, cat := range model.Categories() { // report order, not map order
			limit, ok := ib.MaxCategory[cat]
			if !ok {
				continue
			}
			r.Add(bytesCheck("max-category."+string(cat), img.Ref, categoryTotal(cls, cat).Bytes, limit, string(cat)+" bytes in the final filesystem"))
		}
		for _, name := range ib.FailOn {
			n, detail := failOnCount(img, cls, name)
			r.Add(model.BudgetCheck{Rule: "fail-on." + name, Image: img.Ref, Unit: "count", Actual: float64(n), Limit: 0, Pass: n == 0, Detail: detail})
		}
	}
	return nil
}

func transportName(img *model.Image) string {
	if img.Transport == "" {
		return "source"
	}
	return img.Transport + " source"
}

func bytesCheck(rule, ref string, actual, limit int64, detail string) model.BudgetCheck {
	return model.BudgetCheck{Rule: rule, Image: ref, Unit: "bytes", Actual: float64(actual), Limit: float64(limit), Pass: actual <= limit, Detail: detail}
}

func categoryTotal(cls *model.Classification, cat model.Category) model.CategoryTotal {
	for _, t := range cls.Totals {
		if t.Category == cat {
			return t
		}
	}
	return model.CategoryTotal{Category: cat}
}

// failOnCount counts what a fail-on entry names: the findings it covers
// (hygiene.Covers: "secret" takes every secret finding) or, when
// there are none, the files in that category. The detail is the evidence
// a reviewer needs: the first finding, or an example path.
func failOnCount(img *model.Image, cls *model.Classification, name string) (int, string) {
	n, first := 0, ""
	for _, f := range cls.Findings {
		if hygiene.Covers(name, f.ID) {
			if n == 0 {
				first = f.Title
				if f.Path != "" {
					first += " (" + f.Path + ")"
				}
			}
			n++
		}
	}
	if n > 0 {
		if n > 1 {
			return n, fmt.Sprintf("%s, and %d more", first, n-1)
		}
		return n, first
	}
	if _, err := model.ParseCategory(name); err != nil {
		return 0, "no " + name + " finding"
	}
	t := categoryTotal(cls, model.Category(name))
	if t.Files == 0 {
		return 0, "no " + name + " files"
	}
	detail := fmt.Sprintf("%d %s files", t.Files, name)
	if p := examplePath(img, cls, model.Category(name)); p != "" {
		detail += ", e.g. " + p
	}
	return t.Files, detail
}

// examplePath is the largest file of the category, or "" when the
// classification carries no per-file flags.
func examplePath(img *model.Image, cls *model.Classification, cat model.Category) string {
	if img.FS == nil || cls.Flags.Len() != img.FS.Len() {
		return ""
	}
	best := -1
	for i := range cls.Flags.Len() {
		f := cls.Flags.At(i)
		if f.Category == cat && (best < 0 || img.FS.At(i).Bytes > img.FS.At(best).Bytes) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return img.FS.At(best).Path
}
