// Package budget owns the limits an image or a comparison must meet: their
// types, their validation (written once, used by the config file, the flags
// and code alike), the one size grammar imgdiff accepts anywhere a size is
// written ("50MB", "50MiB", "10%"), and the evaluation of an analysis or a
// comparison against them.
package budget

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
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
	MaxCategory map[model.Category]int64 `json:"maxCategory,omitempty"`
	// MaxWasted caps the bytes later layers deleted or overwrote: bytes,
	// or a percentage of the content size (which includes them, so it is
	// at most 100%).
	MaxWasted *Limit `json:"maxWasted,omitempty"`
	// FailOn names finding ids ("root-user") and categories ("build-tool")
	// whose presence fails the budget; "secret" is both and covers secret
	// files, ENV values, build args and credentials pasted into a RUN
	// (hygiene.Covers).
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

// CheckCategory returns an error unless name is a category.
func CheckCategory(name string) error {
	_, err := model.ParseCategory(name)
	return err
}

// CheckFailOn returns an error unless name is a finding id or a category.
func CheckFailOn(name string) error {
	if slices.Contains(hygiene.IDs(), name) || slices.Contains(model.Categories(), model.Category(name)) {
		return nil
	}
	return fmt.Errorf("unknown finding or category %q (findings: %s; categories: %s)",
		name, strings.Join(hygiene.IDs(), ", "), categoryNames())
}

func categoryNames() string {
	names := make([]string, model.NumCategories)
	for i, c := range model.Categories() {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// Validate checks what the types allow but a budget cannot mean: unknown
// categories and finding ids, negative limits, a minimum saving above
// 100%. It is the one definition of a valid budget: the config file and
// the flags check each value with the same functions (CheckCategory,
// CheckFailOn, CheckLimit) as they parse it, so that an error can name
// its line or flag, and cmd/config validates the merged result with it.
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

// CheckLimit rejects what a limit cannot mean: a negative one and, where
// the figure is a share of a whole (share: a saving of A's size), a
// percentage above 100. The config file and the flags call it on the
// values they parse, with their own position or flag name in front;
// Validate calls it with the rule's name.
func CheckLimit(l Limit, share bool) error {
	switch {
	case l.Bytes < 0 || l.Percent < 0:
		return errors.New("must not be negative")
	case share && l.IsPercent && l.Percent > 100:
		return fmt.Errorf("%s can never be met: B cannot save more than 100%% of A", l)
	}
	return nil
}

// checkLimit is CheckLimit of a rule that may be unset.
func checkLimit(rule string, l *Limit, share bool) error {
	if l == nil {
		return nil
	}
	if err := CheckLimit(*l, share); err != nil {
		return fmt.Errorf("%s %w", rule, err)
	}
	return nil
}
