// Package view is what every report format shows, built once from the
// analysis: Analysis and Comparison (the model with the flagged
// categories, flagged packages, evidence by Dockerfile line and the
// annotations derived from it), the one size formatter (Human, Exact,
// Both, Signed: SI units as docker shows them), the plain-text escaping
// of image strings (OneLine, VisiblePath), and the annotation model that
// report/sarif and report/github write. It computes nothing the JSON does
// not carry, and writes nothing.
package view

import (
	"errors"
	"fmt"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// Analysis is the report of one image as every format shows it: the
// model, and what the formats derive from it, computed once by
// NewAnalysis. A renderer reads it and computes nothing of its own.
type Analysis struct {
	*analyze.Analysis
	// Flagged are the categories with flagged bytes, in report order
	// (other is never flagged).
	Flagged []model.Category
	// FlaggedBySteps is each step's flagged bytes by category.
	FlaggedBySteps map[int]map[model.Category]int64
	// FlaggedPackages are the packages that carry a category, largest
	// first as the model keeps them.
	FlaggedPackages []model.Package
	// Evidence is what the image carries on the Dockerfile lines that put
	// it there, largest first, at most maxEvidence (nil without a
	// classification).
	Evidence []Ref
	// Annotations are the findings and failed budgets placed on
	// Dockerfile lines (or on the image), for -o sarif and -o github;
	// Placement counts those that no line of their own holds.
	Annotations []Annotation
	Placement   Placement
}

// ErrNoImage is the error of an analysis without an image.
var ErrNoImage = errors.New("report: analysis has no image")

// ErrMissingImage is the error of a comparison without both images.
var ErrMissingImage = errors.New("report: comparison is missing an image")

// NewAnalysis builds the view of one image.
func NewAnalysis(a *analyze.Analysis) (*Analysis, error) {
	if a == nil || a.Image == nil {
		return nil, ErrNoImage
	}
	v := &Analysis{Analysis: a, Flagged: flaggedCategories(a.Classification), FlaggedBySteps: flaggedByStep(a.Classification), Evidence: evidenceByLine(a)}
	if a.Classification != nil {
		v.FlaggedPackages = flaggedPackages(a.Classification.Packages)
	}
	v.Annotations = dockerfileAnnotations(a.Dockerfile, a.Classification)
	v.Annotations = append(v.Annotations, imageAnnotations(a.Image.Ref, a.Dockerfile, a.Budgets, a.Classification, nil, &v.Placement)...)
	return v, nil
}

// Comparison is the report of two images as every format shows it,
// computed once by NewComparison.
type Comparison struct {
	*analyze.Comparison
	// ClassA and ClassB are the images' classifications (nil: not
	// classified): the HTML page colours its treemaps with them, the
	// annotations leave out B's findings that A already had.
	ClassA, ClassB *model.Classification
	// Sides are the sides whose Dockerfile was mapped, A first.
	Sides []Side
	// Annotations and Placement are as Analysis's: both Dockerfiles'
	// findings, each once, then B's failed budgets and the findings of B
	// that A does not have and no Dockerfile line holds.
	Annotations []Annotation
	Placement   Placement
}

// Side is one image of a comparison with its Dockerfile mapping.
type Side struct {
	// Name is "A" or "B".
	Name       string
	Dockerfile *analyze.DockerfileReport
	// Origins are the side's instructions of origin with their
	// Dockerfile lines.
	Origins []Ref
}

// NewComparison builds the view of a comparison; classA and classB may
// be nil.
func NewComparison(c *analyze.Comparison, classA, classB *model.Classification) (*Comparison, error) {
	if c == nil || c.A == nil || c.B == nil {
		return nil, ErrMissingImage
	}
	v := &Comparison{Comparison: c, ClassA: classA, ClassB: classB}
	for _, s := range []Side{{"A", c.DockerfileA, stepOrigins(c.StepsA)}, {"B", c.DockerfileB, stepOrigins(c.StepsB)}} {
		if s.Dockerfile != nil {
			v.Sides = append(v.Sides, s)
		}
	}
	v.Annotations = dockerfileAnnotations(c.DockerfileB, nil)
	seen := map[string]bool{}
	key := func(a Annotation) string { return fmt.Sprintf("%s\x00%s\x00%d", a.RuleID, a.File, a.StartLine) }
	for _, a := range v.Annotations {
		seen[key(a)] = true
	}
	for _, a := range dockerfileAnnotations(c.DockerfileA, nil) {
		if !seen[key(a)] {
			v.Annotations = append(v.Annotations, a)
		}
	}
	inA := map[string]bool{}
	if classA != nil {
		for _, f := range classA.Findings {
			inA[f.ID+"\x00"+f.Title] = true
		}
	}
	v.Annotations = append(v.Annotations, imageAnnotations(c.B.Ref, c.DockerfileB, c.Budgets, classB, inA, &v.Placement)...)
	return v, nil
}
