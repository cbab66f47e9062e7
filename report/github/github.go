// Package github writes annotations (report/view) as GitHub Actions
// workflow commands (::error file=…,line=…::), escaped as
// actions/toolkit escapes them, within GitHub's limits per level.
package github

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/report/view"
)

// PerLevel is how many annotations of each level GitHub shows for
// one step; the rest are dropped silently.
const PerLevel = 10

// Write writes workflow-command annotations (::error file=…,line=…::…)
// for GitHub Actions, escaped as actions/toolkit's command.ts escapes them.
// Annotations are ranked by bytes; at most PerLevel are written per
// level, and when some are left out one notice says how many (notices then
// stop at PerLevel-1 so that it shows).
func Write(w io.Writer, anns []view.Annotation) error {
	ranked := view.Rank(anns)
	count := map[string]int{}
	for _, a := range ranked {
		count[githubLevel(a.Level)]++
	}
	overflow := count["error"] > PerLevel || count["warning"] > PerLevel || count["notice"] > PerLevel
	limit := map[string]int{"error": PerLevel, "warning": PerLevel, "notice": PerLevel}
	if overflow {
		limit["notice"] = PerLevel - 1
	}
	written := map[string]int{}
	for _, a := range ranked {
		lvl := githubLevel(a.Level)
		if written[lvl] >= limit[lvl] {
			continue
		}
		written[lvl]++
		props := [][2]string{{"file", view.CleanPath(a.File)}}
		if a.StartLine > 0 {
			props = append(props, [2]string{"line", strconv.Itoa(a.StartLine)}, [2]string{"endLine", strconv.Itoa(a.LastLine())})
		}
		if a.Title != "" {
			props = append(props, [2]string{"title", a.Title})
		}
		if _, err := io.WriteString(w, workflowCommand(lvl, props, a.Message)+"\n"); err != nil {
			return fmt.Errorf("github annotations: %w", err)
		}
	}
	if overflow {
		var parts []string
		for _, lvl := range []string{"error", "warning", "notice"} {
			if n := count[lvl] - written[lvl]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, view.Plural(n, lvl)))
			}
		}
		msg := fmt.Sprintf("imgdiff: %s not annotated (GitHub shows %d per level; the largest by bytes are shown): see the report for all", strings.Join(parts, ", "), PerLevel)
		if _, err := io.WriteString(w, workflowCommand("notice", [][2]string{{"title", "More findings"}}, msg)+"\n"); err != nil {
			return fmt.Errorf("github annotations: %w", err)
		}
	}
	return nil
}

// Dropped is how many of anns Write leaves out.
func Dropped(anns []view.Annotation) int {
	count := map[string]int{}
	for _, a := range anns {
		count[githubLevel(a.Level)]++
	}
	dropped := 0
	overflow := false
	for _, n := range count {
		overflow = overflow || n > PerLevel
	}
	for lvl, n := range count {
		limit := PerLevel
		if overflow && lvl == "notice" {
			limit--
		}
		dropped += max(0, n-limit)
	}
	return dropped
}

func githubLevel(l view.Level) string {
	switch l {
	case view.LevelError:
		return "error"
	case view.LevelWarning:
		return "warning"
	}
	return "notice"
}

// workflowCommand renders "::cmd k=v,k=v::message" as command.ts's
// Command.toString does (empty property values left out).
func workflowCommand(cmd string, props [][2]string, message string) string {
	var b strings.Builder
	b.WriteString("::" + cmd)
	first := true
	for _, p := range props {
		if p[1] == "" {
			continue
		}
		if first {
			b.WriteString(" ")
			first = false
		} else {
			b.WriteString(",")
		}
		b.WriteString(p[0] + "=" + escapeProperty(p[1]))
	}
	b.WriteString("::" + escapeData(message))
	return b.String()
}

// escapeData is command.ts's escapeData: % CR LF.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty is command.ts's escapeProperty: also : and ,.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
