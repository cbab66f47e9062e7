package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/dockerfile"
	"github.com/imgdiff/imgdiff/analyze/hygiene"
)

func dockerfileLines(l analyze.StepLocation) dockerfile.Lines {
	return dockerfile.Lines{Start: l.Start, End: l.End}
}

// The Dockerfile sections: present only when a Dockerfile (or the image's
// provenance) mapped the steps, so that reports of runs without one stay
// as they were.

// dfRef is one thing the report names (a step, a package, a flagged
// directory, a finding) with the Dockerfile lines behind it.
type dfRef struct {
	what  string
	bytes int64
	step  int
}

// maxEvidence caps the flagged-bytes-by-line list: the JSON has the rest.
const maxEvidence = 15

// evidenceByLine lists what the image carries, placed on the Dockerfile
// lines that put it there: flagged packages, flagged directories and
// hygiene findings, largest first.
func evidenceByLine(a *analyze.Analysis) []dfRef {
	c := a.Classification
	if c == nil {
		return nil
	}
	var out []dfRef
	for _, p := range flaggedPackages(c.Packages) {
		out = append(out, dfRef{what: fmt.Sprintf("package %s (%s, %s)", p.Name, p.Manager, categoryName(p.Category)), bytes: p.Bytes, step: p.Step})
	}
	for _, d := range c.TopDirs {
		out = append(out, dfRef{what: fmt.Sprintf("directory %s (%s)", visiblePath(d.Path), categoryName(d.Category)), bytes: d.Bytes, step: d.Step})
	}
	for _, f := range c.Findings {
		if f.Step >= 0 {
			out = append(out, dfRef{what: "finding " + f.ID, bytes: f.Bytes, step: f.Step})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].bytes > out[j].bytes })
	if len(out) > maxEvidence {
		out = out[:maxEvidence]
	}
	return out
}

// dfSummary is the one-line account of a mapping.
func dfSummary(r *analyze.DockerfileReport) string {
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

// lineText is "Dockerfile:4-6" for a mapped location, "—" otherwise.
func lineText(r *analyze.DockerfileReport, step int) string {
	if l := r.Location(step); l != "" {
		return l
	}
	return "—"
}

// dockerfileText is the Dockerfile section of the table report.
func dockerfileText(t *textWriter, title string, img *analyze.Image, r *analyze.DockerfileReport, ev []dfRef) {
	if r == nil {
		return
	}
	t.section(title)
	t.line("  %s", oneLine(dfSummary(r)))
	var rows [][]string
	for _, s := range img.Steps {
		rows = append(rows, []string{fmt.Sprint(s.Index), oneLine(s.Instruction.String()), zeroBlank(s.Final), oneLine(lineText(r, s.Index))})
	}
	t.table([]column{{name: "STEP", right: true}, {name: "INSTRUCTION", fit: true}, {name: "CONTENT", right: true}, {name: "DOCKERFILE"}}, rows)
	if len(ev) > 0 {
		t.section("Flagged bytes by Dockerfile line")
		rows = rows[:0]
		for _, e := range ev {
			rows = append(rows, []string{oneLine(e.what), zeroBlank(e.bytes), oneLine(lineText(r, e.step))})
		}
		t.table([]column{{name: "WHAT", fit: true}, {name: "CONTENT", right: true}, {name: "DOCKERFILE"}}, rows)
	}
	if len(r.Findings) > 0 {
		t.section("Dockerfile findings")
		rows = rows[:0]
		for _, f := range r.Findings {
			loc := f.File + ":" + f.Lines.String()
			if f.Stage != "" {
				loc += " (" + f.Stage + ")"
			}
			rows = append(rows, []string{string(f.Severity), f.ID, oneLine(loc), zeroBlank(f.Bytes), oneLine(f.Message)})
		}
		t.table([]column{{name: "SEVERITY"}, {name: "ID"}, {name: "DOCKERFILE"}, {name: "BYTES", right: true}, {name: "MESSAGE", fit: true}}, rows)
	}
	for _, w := range r.Warnings {
		t.line("  warning: %s", oneLine(w))
	}
}

// dockerfileMarkdown is the Dockerfile section of the Markdown report.
func dockerfileMarkdown(d *mdDoc, title string, img *analyze.Image, r *analyze.DockerfileReport, ev []dfRef, o Options) {
	if r == nil {
		return
	}
	d.text("\n### %s\n\n%s\n", mdText(title), mdText(dfSummary(r)))
	for _, w := range r.Warnings {
		d.text("\n> [!WARNING]\n> %s\n", mdText(oneLine(w)))
	}
	if len(r.Findings) > 0 {
		ft := d.add(mdTable("Severity", "ID", "Dockerfile", ">Bytes", "Message"))
		ft.noun = "finding"
		for _, f := range r.Findings {
			ft.row(mdText(string(f.Severity)), mdCode(f.ID), o.mdLines(f.File, f.Lines.Start, f.Lines.End, f.Stage), zeroBlank(f.Bytes), mdText(oneLine(f.Message)))
		}
	}
	if len(ev) > 0 {
		et := d.add(details("Flagged bytes by Dockerfile line", mdTable("What", ">Content", "Dockerfile")))
		et.noun = "entry"
		for _, e := range ev {
			et.row(mdText(oneLine(e.what)), zeroBlank(e.bytes), o.mdStep(r, e.step))
		}
	}
	st := d.add(details("Steps by Dockerfile line", mdTable(">Step", "Instruction", ">Content", "Dockerfile")))
	st.noun = "step"
	for _, s := range img.Steps {
		st.row(fmt.Sprint(s.Index), mdInstr(s.Instruction.String()), zeroBlank(s.Final), o.mdStep(r, s.Index))
	}
}

// mdStep is a step's Dockerfile location, linked when the repository is
// known.
func (o Options) mdStep(r *analyze.DockerfileReport, step int) string {
	l, ok := r.StepAt(step)
	if !ok {
		return "—"
	}
	return o.mdLines(l.File, l.Start, l.End, l.Stage)
}

// mdLines renders "Dockerfile:4-6 (build)", a link to the lines in the
// repository when Options.SourceURL is set.
func (o Options) mdLines(file string, start, end int, stage string) string {
	text := file + ":" + fmt.Sprint(start)
	anchor := fmt.Sprintf("#L%d", start)
	if end > start {
		text += fmt.Sprintf("-%d", end)
		anchor += fmt.Sprintf("-L%d", end)
	}
	out := mdCode(text)
	if o.SourceURL != "" {
		out = "[" + out + "](" + strings.TrimSuffix(o.SourceURL, "/") + "/" + urlPath(cleanPath(file)) + anchor + ")"
	}
	if stage != "" {
		out += " (" + mdText(stage) + ")"
	}
	return out
}

// urlPath escapes each segment of a slash-separated path for a URL.
func urlPath(p string) string { return fileURI(p) }

// stepOrigins lists a comparison side's instructions of origin with their
// Dockerfile lines.
func stepOrigins(steps []analyze.StepDelta, r *analyze.DockerfileReport) []dfRef {
	out := make([]dfRef, 0, len(steps))
	for _, s := range steps {
		out = append(out, dfRef{what: fmt.Sprintf("#%d %s", s.Step, s.Instruction), bytes: s.Bytes, step: s.Step})
	}
	return out
}

// compareDockerfileText is the comparison's Dockerfile section.
func compareDockerfileText(t *textWriter, c *analyze.Comparison) {
	for _, side := range []struct {
		name  string
		r     *analyze.DockerfileReport
		steps []analyze.StepDelta
	}{{"A", c.DockerfileA, c.StepsA}, {"B", c.DockerfileB, c.StepsB}} {
		if side.r == nil {
			continue
		}
		t.section("Dockerfile of " + side.name)
		t.line("  %s", oneLine(dfSummary(side.r)))
		var rows [][]string
		for _, e := range stepOrigins(side.steps, side.r) {
			rows = append(rows, []string{oneLine(e.what), zeroBlank(e.bytes), oneLine(lineText(side.r, e.step))})
		}
		t.table([]column{{name: "INSTRUCTION OF ORIGIN", fit: true}, {name: "BYTES", right: true}, {name: "DOCKERFILE"}}, rows)
		for _, f := range side.r.Findings {
			t.line("  %s %s %s:%s %s", f.Severity, f.ID, oneLine(f.File), f.Lines, oneLine(f.Message))
		}
		for _, w := range side.r.Warnings {
			t.line("  warning: %s", oneLine(w))
		}
	}
}

// compareDockerfileMarkdown is the comparison's Dockerfile section.
func compareDockerfileMarkdown(d *mdDoc, c *analyze.Comparison, o Options) {
	for _, side := range []struct {
		name  string
		r     *analyze.DockerfileReport
		steps []analyze.StepDelta
	}{{"A", c.DockerfileA, c.StepsA}, {"B", c.DockerfileB, c.StepsB}} {
		if side.r == nil {
			continue
		}
		d.text("\n### Dockerfile of %s\n\n%s\n", side.name, mdText(dfSummary(side.r)))
		for _, w := range side.r.Warnings {
			d.text("\n> [!WARNING]\n> %s\n", mdText(oneLine(w)))
		}
		if len(side.r.Findings) > 0 {
			ft := d.add(mdTable("Severity", "ID", "Dockerfile", ">Bytes", "Message"))
			ft.noun = "finding"
			for _, f := range side.r.Findings {
				ft.row(mdText(string(f.Severity)), mdCode(f.ID), o.mdLines(f.File, f.Lines.Start, f.Lines.End, f.Stage), zeroBlank(f.Bytes), mdText(oneLine(f.Message)))
			}
		}
		ot := d.add(details("Instructions of origin by Dockerfile line", mdTable("Instruction", ">Bytes", "Dockerfile")))
		ot.noun = "step"
		for _, e := range stepOrigins(side.steps, side.r) {
			ot.row(mdInstr(e.what), zeroBlank(e.bytes), o.mdStep(side.r, e.step))
		}
	}
}

// imgdiffTool is the tool SARIF names.
var imgdiffTool = Tool{Name: "imgdiff", InformationURI: "https://github.com/imgdiff/imgdiff"}

// dockerfileAnnotations places a mapping's Dockerfile findings, and the
// image's hygiene findings whose step is mapped to an instruction, on
// their Dockerfile lines.
func dockerfileAnnotations(r *analyze.DockerfileReport, c *analyze.Classification) []Annotation {
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
		a := Annotation{RuleID: f.ID, Level: LevelOf(string(f.Severity)), Title: f.Title, Message: msg,
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

// annotationRules are the rules SARIF lists: the Dockerfile checks.
func annotationRules() []RuleInfo { return DockerfileRules() }

func writeAnalysisAnnotations(w io.Writer, f Format, a *analyze.Analysis, o Options) error {
	anns := dockerfileAnnotations(a.Dockerfile, a.Classification)
	var pl placement
	anns = append(anns, imageAnnotations(a.Image.Ref, a.Dockerfile, a.Budgets, a.Classification, nil, &pl)...)
	return o.writeAnnotations(w, f, anns, pl)
}

// writeComparisonAnnotations annotates both sides' Dockerfiles (B's is
// usually the pull request's), each finding once, then the failed budgets
// and B's findings that A does not have and no Dockerfile line holds.
func writeComparisonAnnotations(w io.Writer, f Format, c *analyze.Comparison, o Options) error {
	anns := dockerfileAnnotations(c.DockerfileB, nil)
	seen := map[string]bool{}
	for _, a := range anns {
		seen[fmt.Sprintf("%s\x00%s\x00%d", a.RuleID, a.File, a.StartLine)] = true
	}
	for _, a := range dockerfileAnnotations(c.DockerfileA, nil) {
		if !seen[fmt.Sprintf("%s\x00%s\x00%d", a.RuleID, a.File, a.StartLine)] {
			anns = append(anns, a)
		}
	}
	inA := map[string]bool{}
	if o.ClassA != nil {
		for _, f := range o.ClassA.Findings {
			inA[f.ID+"\x00"+f.Title] = true
		}
	}
	var pl placement
	anns = append(anns, imageAnnotations(c.B.Ref, c.DockerfileB, c.Budgets, o.ClassB, inA, &pl)...)
	return o.writeAnnotations(w, f, anns, pl)
}

// writeAnnotations writes anns as SARIF or workflow commands and tells
// o.Note what it could not place on a line, or left out.
func (o Options) writeAnnotations(w io.Writer, f Format, anns []Annotation, pl placement) error {
	if n := pl.note(f); n != "" && o.Note != nil {
		o.Note(n)
	}
	if len(anns) == 0 && o.Note != nil {
		o.Note("-o " + string(f) + ": nothing to annotate (no finding, no failed budget)")
	}
	if f == SARIF {
		return WriteSARIF(w, imgdiffTool, annotationRules(), anns)
	}
	if dropped := GitHubDropped(anns); dropped > 0 && o.Note != nil {
		o.Note(fmt.Sprintf("-o github: %d %s left out (GitHub shows %d per level and step; the largest by bytes are written, and a notice says so)", dropped, plural(dropped, "annotation"), GitHubPerLevel))
	}
	return WriteGitHub(w, anns)
}
