package view

import "github.com/imgdiff/imgdiff/analyze/dockerfile"

// DockerfileRules lists the Dockerfile checks as SARIF rules.
func DockerfileRules() []RuleInfo {
	var out []RuleInfo
	for _, r := range dockerfile.Rules() {
		help := r.Help
		if len(r.Hadolint) > 0 {
			help += " (hadolint:"
			for _, h := range r.Hadolint {
				help += " " + h
			}
			help += ")"
		}
		out = append(out, RuleInfo{ID: r.ID, ShortDescription: r.Title, FullDescription: r.Description, Help: help, Tags: r.Hadolint})
	}
	return out
}

// DockerfileAnnotations places Dockerfile findings on their lines; f gives
// the text for fingerprints (nil: none). path, when not "", replaces the
// findings' file (the Dockerfile's path relative to the repository root).
func DockerfileAnnotations(f *dockerfile.File, findings []dockerfile.Finding, path string) []Annotation {
	out := make([]Annotation, 0, len(findings))
	for _, x := range findings {
		a := Annotation{RuleID: x.ID, Level: levelOf(string(x.Severity)), Title: x.Title, Message: x.Message,
			File: x.File, StartLine: x.Lines.Start, EndLine: x.Lines.End, Bytes: x.Bytes}
		if path != "" {
			a.File = path
		}
		if f != nil {
			a.Snippet = f.Snippet(x.Lines)
		}
		out = append(out, a)
	}
	return out
}
