package view

import (
	"fmt"
	"sort"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
	"github.com/imgdiff/imgdiff/analyze/model"
)

func dockerfileLines(l analyze.StepLocation) dockerfile.Lines {
	return dockerfile.Lines{Start: l.Start, End: l.End}
}

// The Dockerfile sections: present only when a Dockerfile (or the image's
// provenance) mapped the steps, so that reports of runs without one stay
// as they were.

// Ref is one thing the report names (a step, a package, a flagged
// directory, a finding) with the Dockerfile lines behind it.
type Ref struct {
	What  string
	Bytes int64
	Step  int
}

// maxEvidence caps the flagged-bytes-by-line list: the JSON has the rest.
const maxEvidence = 15

// evidenceByLine lists what the image carries, placed on the Dockerfile
// lines that put it there: flagged packages, flagged directories and
// hygiene findings, largest first.
func evidenceByLine(a *analyze.Analysis) []Ref {
	c := a.Classification
	if c == nil {
		return nil
	}
	var out []Ref
	for _, p := range flaggedPackages(c.Packages) {
		out = append(out, Ref{What: fmt.Sprintf("package %s (%s, %s)", p.Name, p.Manager, CategoryName(p.Category)), Bytes: p.Bytes, Step: p.Step})
	}
	for _, d := range c.TopDirs {
		out = append(out, Ref{What: fmt.Sprintf("directory %s (%s)", VisiblePath(d.Path), CategoryName(d.Category)), Bytes: d.Bytes, Step: d.Step})
	}
	for _, f := range c.Findings {
		if f.Step >= 0 {
			out = append(out, Ref{What: "finding " + f.ID, Bytes: f.Bytes, Step: f.Step})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	if len(out) > maxEvidence {
		out = out[:maxEvidence]
	}
	return out
}

// Summary is the one-line account of a mapping.
func Summary(r *analyze.DockerfileReport) string {
	builder := ""
	if r.Builder != "" {
		builder = ", " + r.Builder + " history"
	}
	return fmt.Sprintf("%s (target %s%s, from the %s): %d of %d history entries mapped (%s)",
		r.File, r.Target, builder, r.Source, r.Mapped, r.Total, matchPercent(r.MatchRate))
}

// matchPercent renders a match rate without rounding a partial match up
// to 100%.
func matchPercent(rate float64) string {
	p := float64(int(rate*1000)) / 10
	return fmt.Sprintf("%.1f%%", p)
}

// LineText is "Dockerfile:4-6" for a mapped location, "—" otherwise.
func LineText(r *analyze.DockerfileReport, step int) string {
	if l := r.Location(step); l != "" {
		return l
	}
	return "—"
}

// stepOrigins lists a comparison side's instructions of origin with their
// Dockerfile lines.
func stepOrigins(steps []analyze.StepDelta) []Ref {
	out := make([]Ref, 0, len(steps))
	for _, s := range steps {
		out = append(out, Ref{What: fmt.Sprintf("#%d %s", s.Step, s.Instruction), Bytes: s.Bytes, Step: s.Step})
	}
	return out
}

// dockerfileAnnotations places a mapping's Dockerfile findings, and the
// image's hygiene findings whose step is mapped to an instruction, on
// their Dockerfile lines.
func dockerfileAnnotations(r *analyze.DockerfileReport, c *model.Classification) []Annotation {
	if r == nil {
		return nil
	}
	anns := DockerfileAnnotations(r.Parsed, r.Findings, "")
	if c == nil {
		return anns
	}
	for _, f := range c.Findings {
		l, ok := r.StepAt(f.Step)
		if !ok || l.Kind != "instruction" || coveredByCheck[f.ID] {
			continue
		}
		msg := f.Title
		if f.Detail != "" {
			msg += ": " + f.Detail
		}
		a := Annotation{RuleID: f.ID, Level: levelOf(string(f.Severity)), Title: f.Title, Message: msg,
			File: l.File, StartLine: l.Start, EndLine: l.End, Bytes: f.Bytes}
		if r.Parsed != nil {
			a.Snippet = r.Parsed.Snippet(dockerfileLines(l))
		}
		anns = append(anns, a)
	}
	return anns
}

// coveredByCheck are the image findings a Dockerfile check reports on
// the same line with more to say: annotated once, by the check.
var coveredByCheck = map[string]bool{
	hygiene.FindingAptListsLeft:      true, // dockerfile-package-cache-left
	hygiene.FindingRootUser:          true, // dockerfile-root-user
	hygiene.FindingShellEntrypoint:   true, // dockerfile-shell-form-entrypoint
	hygiene.FindingShellCmd:          true, // dockerfile-shell-form-cmd
	hygiene.FindingContextBeforeDeps: true, // dockerfile-context-copied-before-deps
}
