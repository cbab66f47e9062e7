package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"
)

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

// Visible makes every character of s that a terminal or a renderer would
// obey rather than show visible as an escape: control characters (C0, DEL,
// C1, so ESC and BEL) become `\x1b`, newline, carriage return and tab
// become `\n`, `\r`, `\t`, bytes that are not UTF-8 become `\xff`, and the
// invisible formatting characters that reorder or hide text (bidi
// overrides and isolates such as U+202E, zero-width characters, line and
// paragraph separators, the byte-order mark) become `\u202e`. Every other
// character, backslashes included, is kept, so Visible(Visible(s)) ==
// Visible(s). It is the one escaping of text from an image or a config
// file on its way to a terminal: the table report and the error line both
// use it.
func Visible(s string) string {
	clean := true
	for _, r := range s {
		if invisible(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case invisible(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// invisible reports whether Visible escapes r (utf8.RuneError stands for
// a byte that is not UTF-8 as well as for U+FFFD itself, which is
// escaped too).
func invisible(r rune) bool {
	switch {
	case r == utf8.RuneError, unicode.IsControl(r):
		return true
	case r == 0x061c, r == 0x180e, r == 0xfeff:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x2028 && r <= 0x202e, r >= 0x2060 && r <= 0x2069:
		return true
	case r >= 0xfff9 && r <= 0xfffb: // interlinear annotation controls
		return true
	}
	return false
}

// JoinAnd says a list in a sentence: "a", "a and b", "a, b and c".
func JoinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
