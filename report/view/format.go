package view

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/analyze/model"
)

// The size labels: every size a report prints says which size it is.
const (
	ContentLabel    = "content (uncompressed, as docker image inspect .Size)"
	CompressedLabel = "compressed (as the registry manifest)"
)

// Minus is the sign of a negative figure in prose and tables (U+2212, as
// typeset); machines read the JSON.
const Minus = "−"

// Human is a size as docker displays it: SI units ("412 MB").
func Human(n int64) string {
	if n < 0 {
		return Minus + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}

// Exact is a byte count with thousands separators ("412,345,678 bytes").
func Exact(n int64) string {
	if n < 0 {
		return Minus + humanize.Comma(-n) + " bytes"
	}
	return humanize.Comma(n) + " bytes"
}

// Both is a size for people and for checking: "7.3 kB (7,312 bytes)".
func Both(n int64) string {
	return Human(n) + " (" + Exact(n) + ")"
}

// Signed is a change with its sign always shown: "+30 MB", "−52 MB".
func Signed(n int64) string {
	if n > 0 {
		return "+" + Human(n)
	}
	if n == 0 {
		return "0 B"
	}
	return Human(n)
}

// SignedExact is Signed with exact bytes: "−52,000,000".
func SignedExact(n int64) string {
	switch {
	case n > 0:
		return "+" + humanize.Comma(n)
	case n < 0:
		return Minus + humanize.Comma(-n)
	}
	return "0"
}

// KnownHuman renders a size that may be model.Unknown.
func KnownHuman(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return Human(n)
}

// KnownBoth renders a size that may be model.Unknown, with exact bytes.
func KnownBoth(n int64) string {
	if n < 0 {
		return "unknown (the source holds layers uncompressed)"
	}
	return Both(n)
}

// Percent renders a share of a whole with one decimal ("12.3%").
func Percent(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + "%"
}

// SignedPercent renders a relative change ("−82.8%", "+4.0%").
func SignedPercent(p float64) string {
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64) + "%"
	switch {
	case p > 0:
		return "+" + s
	case p < 0:
		return Minus + s
	}
	return s
}

// CountNoun is "1 file", "12,345 files".
func CountNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return humanize.Comma(int64(n)) + " " + noun + "s"
}

// OneLine folds a free-form text (a RUN script, a finding detail) onto one
// line: runs of spaces and tabs become one space, and what is left that a
// terminal or a renderer would obey (newlines, ESC, BEL, bidi overrides)
// becomes a visible escape (model.Visible), so a hostile value cannot
// break a table row.
func OneLine(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		b.WriteByte(s[i])
		space = false
	}
	return strings.TrimSpace(model.Visible(b.String()))
}

// VisiblePath shows a path with its control characters escaped
// (model.Visible), keeping every other character: paths are evidence and
// must stay recognisable.
func VisiblePath(p string) string {
	if p == "" || p == "." {
		return "/"
	}
	return "/" + model.Visible(p)
}

// StepLabel names a step by number and instruction: "#3 RUN make".
func StepLabel(img *model.Image, step, width int) string {
	if step < 0 || img == nil || step >= len(img.Steps) {
		return "—"
	}
	return model.Shorten(fmt.Sprintf("#%d %s", step, OneLine(img.Steps[step].Instruction.String())), width)
}

// CategoryName is a category as reports call it: unflagged is "other".
func CategoryName(c model.Category) string {
	if c == "" {
		return string(model.Other)
	}
	return string(c)
}

// BudgetFigure renders a budget's actual value or limit in its unit.
func BudgetFigure(unit string, v float64) string {
	switch unit {
	case "bytes":
		return Both(int64(v))
	case "percent":
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case "count":
		return humanize.Comma(int64(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}

// Headline states a comparison in one sentence, from B's point of view.
func Headline(c *analyze.Comparison, a, b string) string {
	d := c.Delta
	switch {
	case c.Identical:
		return fmt.Sprintf("%s and %s have the same layers: ΔS = 0", b, a)
	case d.Size > 0:
		return fmt.Sprintf("%s is %s smaller than %s (%s)", b, Human(d.Size), a, SignedPercent(-d.Percent))
	case d.Size < 0:
		return fmt.Sprintf("%s is %s larger than %s (%s)", b, Human(-d.Size), a, SignedPercent(-d.Percent))
	}
	return fmt.Sprintf("%s has the same content size as %s (ΔS = 0)", b, a)
}

// DecompositionLine is ΔS as one line whose terms add up exactly to it;
// format renders each amount (human sizes for reading, exact bytes for
// checking).
func DecompositionLine(d analyze.Decomposition, format func(int64) string) string {
	var b strings.Builder
	b.WriteString("ΔS " + format(d.Total) + " =")
	for i, t := range d.Terms {
		switch {
		case i == 0 && t.Bytes >= 0:
			b.WriteString(" ")
		case t.Bytes >= 0:
			b.WriteString(" + ")
		default:
			b.WriteString(" " + Minus + " ")
		}
		b.WriteString(t.Name + " " + format(abs(t.Bytes)))
	}
	if len(d.Terms) == 0 {
		b.WriteString(" 0")
	}
	b.WriteString(" " + Minus + " ε " + format(d.Epsilon))
	return b.String()
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// ConfigList renders an exec-form list as JSON-like text, as docker
// inspect shows it.
func ConfigList(xs []string) string {
	if len(xs) == 0 {
		return "(not set)"
	}
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// UserOf shows the config user, saying when it is root by default.
func UserOf(u string) string {
	if u == "" {
		return "(not set: root)"
	}
	return u
}
