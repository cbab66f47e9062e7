package view

import (
	"fmt"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// What -o sarif and -o github say besides the Dockerfile findings: the
// failed budgets and the image's findings that no Dockerfile line holds.
// With a Dockerfile they go on its first line; without one they name the
// image only (a file-less ::error, a SARIF result located at the image
// reference), so that a failed budget is never silent.

// BudgetRuleID prefixes a budget rule ("max-size") to make the id of the
// annotation of its failure.
const BudgetRuleID = "budget-"

// Placement counts what ImageAnnotations could not put on a line of its
// own, for the note the command prints.
type Placement struct {
	firstLine, fileless int
	file                string
}

// imageAnnotations returns the annotations of ref's failed budgets and of
// its findings that dockerfileAnnotations does not place (nil r: all),
// leaving out findings whose id and title are in skip (a comparison's
// A already had them).
func imageAnnotations(ref string, r *analyze.DockerfileReport, budgets *model.BudgetReport, c *model.Classification, skip map[string]bool, pl *Placement) []Annotation {
	place := func(a Annotation) Annotation {
		a.Image = ref
		if r != nil && r.File != "" {
			a.File, a.StartLine, a.EndLine = r.File, 1, 1
			pl.firstLine++
			pl.file = r.File
		} else {
			pl.fileless++
		}
		return a
	}
	var out []Annotation
	for _, b := range budgets.Failed() {
		img := b.Image
		if img == "" {
			img = ref
		}
		msg := fmt.Sprintf("budget %s failed for %s: %s, limit %s", b.Rule, img, BudgetFigure(b.Unit, b.Actual), BudgetFigure(b.Unit, b.Limit))
		if b.Detail != "" {
			msg += " (" + b.Detail + ")"
		}
		out = append(out, place(Annotation{RuleID: BudgetRuleID + b.Rule, Level: LevelError,
			Title: visible("imgdiff budget failed: " + b.Rule), Message: visible(msg), Snippet: b.Rule}))
	}
	if c == nil {
		return out
	}
	for _, f := range c.Findings {
		if r != nil {
			if l, ok := r.StepAt(f.Step); ok && l.Kind == "instruction" {
				continue // on its line: dockerfileAnnotations, or the check that covers it
			}
		}
		if skip[f.ID+"\x00"+f.Title] {
			continue
		}
		msg := f.Title
		if f.Detail != "" {
			msg += ": " + f.Detail
		}
		if f.Path != "" {
			msg += " [/" + f.Path + "]"
		}
		msg += " (image " + ref + ")"
		out = append(out, place(Annotation{RuleID: f.ID, Level: levelOf(string(f.Severity)), Title: visible(f.Title),
			Message: visible(msg), Bytes: f.Bytes, Snippet: f.Title + "\x00" + f.Path}))
	}
	return out
}

// visible makes the control characters of image strings visible, one line.
func visible(s string) string { return model.Visible(s) }

// Note is what the command tells on stderr about what it could not place.
func (pl Placement) Note(format string) string {
	var parts []string
	if pl.fileless > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (failed budgets, image findings) with no Dockerfile to put them on (give --dockerfile): written without a file", pl.fileless, Plural(pl.fileless, "annotation")))
	}
	if pl.firstLine > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (failed budgets, image findings from no Dockerfile instruction) placed on line 1 of %s", pl.firstLine, Plural(pl.firstLine, "annotation"), pl.file))
	}
	if len(parts) == 0 {
		return ""
	}
	return "-o " + format + ": " + strings.Join(parts, "; ")
}
