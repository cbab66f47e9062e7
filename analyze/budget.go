package analyze

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Budgets are the limits an image, or a comparison, must meet. The config
// file and flags fill them (package cmd/config); EvaluateAnalysis and
// EvaluateComparison check them. A nil pointer or map means "no limit".
type Budgets struct {
	// Images are per-image budgets. Every one whose Image pattern matches
	// an image's reference applies to it, in order.
	Images []ImageBudget `json:"images,omitempty"`
	// Compare limits what compare measures between A (the baseline) and B.
	Compare CompareBudget `json:"compare"`
	// Source says where the budgets came from, for the report: a config
	// file path, "flags", or "PATH + flags".
	Source string `json:"source,omitempty"`
}

// ImageBudget limits one image.
type ImageBudget struct {
	// Image is a pattern over the image reference (see MatchImage); ""
	// matches every image.
	Image string `json:"image,omitempty"`
	// MaxSize caps the content size (`docker image inspect` .Size).
	MaxSize *int64 `json:"maxSize,omitempty"`
	// MaxCompressedSize caps the sum of the layer blobs, what a pull
	// transfers.
	MaxCompressedSize *int64 `json:"maxCompressedSize,omitempty"`
	MaxLayers         *int   `json:"maxLayers,omitempty"`
	// MaxCategory caps the bytes of a category in the final filesystem
	// ("build-tool": 0).
	MaxCategory map[Category]int64 `json:"maxCategory,omitempty"`
	// MaxWasted caps the bytes later layers deleted or overwrote: bytes,
	// or a percentage of the content size (which includes them, so it is
	// at most 100%).
	MaxWasted *Limit `json:"maxWasted,omitempty"`
	// FailOn names finding ids ("root-user") and categories ("build-tool")
	// whose presence fails the budget; "secret" is both and covers secret
	// files, ENV values and build args.
	FailOn []string `json:"failOn,omitempty"`
}

// CompareBudget limits a comparison of A (baseline) and B. Both are about
// content size; percentages are of A's content size.
type CompareBudget struct {
	// MinSavings is how much smaller B must be than A (ΔS = A − B).
	MinSavings *Limit `json:"minSavings,omitempty"`
	// MaxGrowth is how much larger B may be than A (B − A).
	MaxGrowth *Limit `json:"maxGrowth,omitempty"`
}

// Empty reports whether b sets no limit at all.
func (b *Budgets) Empty() bool {
	return b == nil || len(b.Images) == 0 && b.Compare.MinSavings == nil && b.Compare.MaxGrowth == nil
}

// FindingIDs are the hygiene finding ids fail-on accepts besides the
// categories.
var FindingIDs = []string{
	FindingRootUser, FindingShellEntrypoint, FindingShellCmd, FindingAptUpdateAlone, FindingAptListsLeft,
	FindingContextBeforeDeps, FindingWasted, FindingSecretFile, FindingSecretEnv, FindingSecretArg,
	FindingVCS, FindingManyLayers, FindingNoHealthcheck,
}

// CheckCategory returns an error unless name is a category.
func CheckCategory(name string) error {
	if slices.Contains(Categories, Category(name)) {
		return nil
	}
	return fmt.Errorf("unknown category %q (want one of %s)", name, categoryNames())
}

// CheckFailOn returns an error unless name is a finding id or a category.
func CheckFailOn(name string) error {
	if slices.Contains(FindingIDs, name) || slices.Contains(Categories, Category(name)) {
		return nil
	}
	return fmt.Errorf("unknown finding or category %q (findings: %s; categories: %s)",
		name, strings.Join(FindingIDs, ", "), categoryNames())
}

func categoryNames() string {
	names := make([]string, len(Categories))
	for i, c := range Categories {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// Validate checks what the types allow but a budget cannot mean: unknown
// categories and finding ids, negative limits, a minimum saving above
// 100%. The config parser checks the same with line numbers; this is for
// budgets built in code or from flags.
func (b *Budgets) Validate() error {
	for i, ib := range b.Images {
		if err := ib.validate(); err != nil {
			return fmt.Errorf("budget %d (image %q): %w", i+1, ib.Image, err)
		}
	}
	if err := checkLimit("min-savings", b.Compare.MinSavings, true); err != nil {
		return err
	}
	return checkLimit("max-growth", b.Compare.MaxGrowth, false)
}

func (ib *ImageBudget) validate() error {
	for _, p := range []struct {
		name string
		v    *int64
	}{{"max-size", ib.MaxSize}, {"max-compressed-size", ib.MaxCompressedSize}} {
		if p.v != nil && *p.v < 0 {
			return fmt.Errorf("%s must not be negative", p.name)
		}
	}
	if ib.MaxLayers != nil && *ib.MaxLayers < 0 {
		return fmt.Errorf("max-layers must not be negative")
	}
	for cat, n := range ib.MaxCategory {
		if err := CheckCategory(string(cat)); err != nil {
			return fmt.Errorf("max-category: %w", err)
		}
		if n < 0 {
			return fmt.Errorf("max-category.%s must not be negative", cat)
		}
	}
	if err := checkLimit("max-wasted", ib.MaxWasted, false); err != nil {
		return err
	}
	for _, f := range ib.FailOn {
		if err := CheckFailOn(f); err != nil {
			return fmt.Errorf("fail-on: %w", err)
		}
	}
	return nil
}

// checkLimit rejects negative limits and, where the figure is a share of
// a whole (a saving), percentages above 100.
func checkLimit(rule string, l *Limit, upTo100 bool) error {
	switch {
	case l == nil:
		return nil
	case l.Bytes < 0 || l.Percent < 0:
		return fmt.Errorf("%s must not be negative", rule)
	case upTo100 && l.IsPercent && l.Percent > 100:
		return fmt.Errorf("%s of %s can never be met: B cannot save more than 100%% of A", rule, l)
	}
	return nil
}

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
// a category or fail-on rule for an image that was not classified.
func EvaluateAnalysis(a *Analysis, b *Budgets) (*BudgetReport, error) {
	if b.Empty() {
		return nil, nil
	}
	r := &BudgetReport{Source: b.Source, Pass: true, Checks: []BudgetCheck{}}
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
func EvaluateComparison(c *Comparison, b *Budgets, cb *Classification) (*BudgetReport, error) {
	if b.Empty() {
		return nil, nil
	}
	r := &BudgetReport{Source: b.Source, Pass: true, Checks: []BudgetCheck{}}
	ref := c.B.Ref
	if l := b.Compare.MinSavings; l != nil {
		if l.IsPercent {
			r.add(BudgetCheck{Rule: "min-savings", Image: ref, Unit: "percent", Actual: c.Delta.Percent, Limit: l.Percent,
				Pass: c.Delta.Percent >= l.Percent, Detail: "ΔS = A − B, content size, as % of A"})
		} else {
			r.add(BudgetCheck{Rule: "min-savings", Image: ref, Unit: "bytes", Actual: float64(c.Delta.Size), Limit: float64(l.Bytes),
				Pass: c.Delta.Size >= l.Bytes, Detail: "ΔS = A − B, content size"})
		}
	}
	if l := b.Compare.MaxGrowth; l != nil {
		if l.IsPercent {
			growth := -c.Delta.Percent
			r.add(BudgetCheck{Rule: "max-growth", Image: ref, Unit: "percent", Actual: growth, Limit: l.Percent,
				Pass: growth <= l.Percent, Detail: "B − A, content size, as % of A"})
		} else {
			growth := -c.Delta.Size
			r.add(BudgetCheck{Rule: "max-growth", Image: ref, Unit: "bytes", Actual: float64(growth), Limit: float64(l.Bytes),
				Pass: growth <= l.Bytes, Detail: "B − A, content size"})
		}
	}
	if err := checkImage(r, c.B, cb, b); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *BudgetReport) add(c BudgetCheck) {
	r.Checks = append(r.Checks, c)
	if !c.Pass {
		r.Pass = false
	}
}

// checkImage adds the checks of every budget that applies to img, each
// budget's rules in a fixed order.
func checkImage(r *BudgetReport, img *Image, cls *Classification, b *Budgets) error {
	for i := range b.Images {
		ib := &b.Images[i]
		if !MatchImage(ib.Image, img.Ref) {
			continue
		}
		if ib.MaxSize != nil {
			r.add(bytesCheck("max-size", img.Ref, img.Size, *ib.MaxSize, "content size"))
		}
		if ib.MaxCompressedSize != nil {
			if img.CompressedSize < 0 {
				return &UnknownFigureError{Rule: "max-compressed-size", Image: img.Ref,
					Why: "the compressed size is unknown because the " + transportName(img) +
						" holds layers uncompressed; read the image from a registry (docker://) or an OCI layout, or drop the rule"}
			}
			r.add(bytesCheck("max-compressed-size", img.Ref, img.CompressedSize, *ib.MaxCompressedSize, "compressed size, what a pull transfers"))
		}
		if ib.MaxLayers != nil {
			n := len(img.Layers)
			r.add(BudgetCheck{Rule: "max-layers", Image: img.Ref, Unit: "count", Actual: float64(n), Limit: float64(*ib.MaxLayers),
				Pass: n <= *ib.MaxLayers, Detail: "layers"})
		}
		if l := ib.MaxWasted; l != nil {
			const what = "bytes deleted or overwritten by a later layer"
			if l.IsPercent {
				pct := 0.0
				if img.Size > 0 {
					pct = 100 * float64(img.Wasted) / float64(img.Size)
				}
				r.add(BudgetCheck{Rule: "max-wasted", Image: img.Ref, Unit: "percent", Actual: pct, Limit: l.Percent,
					Pass: pct <= l.Percent, Detail: what + ", as % of content size"})
			} else {
				r.add(bytesCheck("max-wasted", img.Ref, img.Wasted, l.Bytes, what))
			}
		}
		if cls == nil && (len(ib.MaxCategory) > 0 || len(ib.FailOn) > 0) {
			return fmt.Errorf("budget for %s: max-category and fail-on need the image classified, and it was not", img.Ref)
		}
		for _, cat := range Categories { // report order, not map order
			limit, ok := ib.MaxCategory[cat]
			if !ok {
				continue
			}
			r.add(bytesCheck("max-category."+string(cat), img.Ref, categoryTotal(cls, cat).Bytes, limit, string(cat)+" bytes in the final filesystem"))
		}
		for _, name := range ib.FailOn {
			n, detail := failOnCount(img, cls, name)
			r.add(BudgetCheck{Rule: "fail-on." + name, Image: img.Ref, Unit: "count", Actual: float64(n), Limit: 0, Pass: n == 0, Detail: detail})
		}
	}
	return nil
}

func transportName(img *Image) string {
	if img.Transport == "" {
		return "source"
	}
	return img.Transport + " source"
}

func bytesCheck(rule, ref string, actual, limit int64, detail string) BudgetCheck {
	return BudgetCheck{Rule: rule, Image: ref, Unit: "bytes", Actual: float64(actual), Limit: float64(limit), Pass: actual <= limit, Detail: detail}
}

func categoryTotal(cls *Classification, cat Category) CategoryTotal {
	for _, t := range cls.Totals {
		if t.Category == cat {
			return t
		}
	}
	return CategoryTotal{Category: cat}
}

// failOnCount counts what a fail-on entry names: the findings with that id
// ("secret" also takes secret-in-config and secret-in-build-arg) or, when
// there are none, the files in that category. The detail is the evidence
// a reviewer needs: the first finding, or an example path.
func failOnCount(img *Image, cls *Classification, name string) (int, string) {
	n, first := 0, ""
	for _, f := range cls.Findings {
		if f.ID == name || name == FindingSecretFile && (f.ID == FindingSecretEnv || f.ID == FindingSecretArg) {
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
	if !slices.Contains(Categories, Category(name)) {
		return 0, "no " + name + " finding"
	}
	t := categoryTotal(cls, Category(name))
	if t.Files == 0 {
		return 0, "no " + name + " files"
	}
	detail := fmt.Sprintf("%d %s files", t.Files, name)
	if p := examplePath(img, cls, Category(name)); p != "" {
		detail += ", e.g. " + p
	}
	return t.Files, detail
}

// examplePath is the largest file of the category, or "" when the
// classification carries no per-file flags.
func examplePath(img *Image, cls *Classification, cat Category) string {
	if img.FS == nil || len(cls.Flags) != len(img.FS.Files) {
		return ""
	}
	best := -1
	for i, f := range cls.Flags {
		if f.Category == cat && (best < 0 || img.FS.Files[i].Bytes > img.FS.Files[best].Bytes) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return img.FS.Files[best].Path
}
