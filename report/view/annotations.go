package view

import (
	"net/url"
	"sort"
	"strings"
)

// Level is an annotation's severity in SARIF's words.
type Level string

// The levels, least severe first.
const (
	LevelNote    Level = "note"
	LevelWarning Level = "warning"
	LevelError   Level = "error"
)

// levelOf maps a finding severity ("info", "warning", "error") to a Level.
func levelOf(severity string) Level {
	switch severity {
	case "error":
		return LevelError
	case "warning":
		return LevelWarning
	}
	return LevelNote
}

// Annotation is one finding placed on lines of a file, the input of the
// SARIF and GitHub writers.
type Annotation struct {
	// RuleID is the finding's stable id.
	RuleID string
	Level  Level
	// Title is a short headline; Message the full text (may hold newlines).
	Title   string
	Message string
	// File is the path relative to the repository root, with slashes;
	// "" for an annotation on the image as a whole (Image).
	File string
	// Image is the image reference an annotation without a File is
	// about: SARIF locates it there.
	Image string
	// StartLine and EndLine are 1-based and inclusive; EndLine 0 = StartLine.
	StartLine, EndLine int
	// Bytes is what is at stake; it ranks annotations.
	Bytes int64
	// Snippet is the text of the lines, for a fingerprint that survives the
	// lines moving; "" falls back to the file and line numbers.
	Snippet string
}

// RuleInfo describes a rule for SARIF's tool.driver.rules.
type RuleInfo struct {
	ID               string
	Name             string
	ShortDescription string
	FullDescription  string
	Help             string
	HelpURI          string
	Level            Level
	Tags             []string
}

// LastLine is the last line annotated: EndLine, or StartLine when EndLine is
// 0 or before it.
func (a Annotation) LastLine() int {
	if a.EndLine < a.StartLine {
		return a.StartLine
	}
	return a.EndLine
}

// Rank orders annotations by bytes at stake, then severity, file, line.
func Rank(anns []Annotation) []Annotation {
	out := append([]Annotation(nil), anns...)
	sev := map[Level]int{LevelError: 2, LevelWarning: 1}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Bytes != b.Bytes:
			return a.Bytes > b.Bytes
		case sev[a.Level] != sev[b.Level]:
			return sev[a.Level] > sev[b.Level]
		case a.File != b.File:
			return a.File < b.File
		}
		return a.StartLine < b.StartLine
	})
	return out
}

// CleanPath makes a path repository-relative with forward slashes.
func CleanPath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return strings.TrimPrefix(p, "/")
}

// FileURI encodes a repository-relative path as a relative URI reference.
func FileURI(p string) string {
	segs := strings.Split(CleanPath(p), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
