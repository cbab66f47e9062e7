package model

import "github.com/clipperhouse/displaywidth"

// narrow measures as the report's tables pad (tablewriter, with East Asian
// ambiguous characters such as "…" one column wide whatever the locale, so
// that piped output does not depend on LANG).
var narrow = displaywidth.Options{EastAsianWidth: false}

// Width is the display width of s in terminal columns: a wide CJK
// character or an emoji counts two, a combining mark none. Runes are
// measured one by one, as tablewriter measures the cells it pads.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += narrow.Rune(r)
	}
	return n
}

// Shorten cuts s to at most width display columns (at least 2), marking
// the cut with "…". It is the one shortening of text shown to people:
// finding details, table cells, instructions in Markdown.
func Shorten(s string, width int) string {
	width = max(width, 2)
	if Width(s) <= width {
		return s
	}
	n := 0
	for i, r := range s {
		w := narrow.Rune(r)
		if n+w > width-1 {
			return s[:i] + "…"
		}
		n += w
	}
	return s
}
