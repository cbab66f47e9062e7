package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// GitHubPerLevel is how many annotations of each level GitHub shows for
// one step; the rest are dropped silently.
const GitHubPerLevel = 10

// WriteGitHub writes workflow-command annotations (::error file=…,line=…::…)
// for GitHub Actions, escaped as actions/toolkit's command.ts escapes them.
// Annotations are ranked by bytes; at most GitHubPerLevel are written per
// level, and when some are left out one notice says how many (notices then
// stop at GitHubPerLevel-1 so that it shows).
func WriteGitHub(w io.Writer, anns []Annotation) error {
	ranked := rank(anns)
	count := map[string]int{}
	for _, a := range ranked {
		count[githubLevel(a.Level)]++
	}
	overflow := count["error"] > GitHubPerLevel || count["warning"] > GitHubPerLevel || count["notice"] > GitHubPerLevel
	limit := map[string]int{"error": GitHubPerLevel, "warning": GitHubPerLevel, "notice": GitHubPerLevel}
	if overflow {
		limit["notice"] = GitHubPerLevel - 1
	}
	written := map[string]int{}
	for _, a := range ranked {
		lvl := githubLevel(a.Level)
		if written[lvl] >= limit[lvl] {
			continue
		}
		written[lvl]++
		props := [][2]string{{"file", cleanPath(a.File)}}
		if a.StartLine > 0 {
			props = append(props, [2]string{"line", strconv.Itoa(a.StartLine)}, [2]string{"endLine", strconv.Itoa(a.endLine())})
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
				parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, lvl)))
			}
		}
		msg := fmt.Sprintf("imgdiff: %s not annotated (GitHub shows %d per level; the largest by bytes are shown): see the report for all", strings.Join(parts, ", "), GitHubPerLevel)
		if _, err := io.WriteString(w, workflowCommand("notice", [][2]string{{"title", "More findings"}}, msg)+"\n"); err != nil {
			return fmt.Errorf("github annotations: %w", err)
		}
	}
	return nil
}

// GitHubDropped is how many of anns WriteGitHub leaves out.
func GitHubDropped(anns []Annotation) int {
	count := map[string]int{}
	for _, a := range anns {
		count[githubLevel(a.Level)]++
	}
	dropped := 0
	overflow := false
	for _, n := range count {
		overflow = overflow || n > GitHubPerLevel
	}
	for lvl, n := range count {
		limit := GitHubPerLevel
		if overflow && lvl == "notice" {
			limit--
		}
		dropped += max(0, n-limit)
	}
	return dropped
}

func githubLevel(l Level) string {
	switch l {
	case LevelError:
		return "error"
	case LevelWarning:
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
