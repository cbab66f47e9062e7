package report

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
	contentLabel    = "content (uncompressed, as docker image inspect .Size)"
	compressedLabel = "compressed (as the registry manifest)"
)

// minus is the sign of a negative figure in prose and tables (U+2212, as
// typeset); machines read the JSON.
const minus = "−"

// human is a size as docker displays it: SI units ("412 MB").
func human(n int64) string {
	if n < 0 {
		return minus + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}

// exact is a byte count with thousands separators ("412,345,678 bytes").
func exact(n int64) string {
	if n < 0 {
		return minus + humanize.Comma(-n) + " bytes"
	}
	return humanize.Comma(n) + " bytes"
}

// both is a size for people and for checking: "7.3 kB (7,312 bytes)".
func both(n int64) string {
	return human(n) + " (" + exact(n) + ")"
}

// signed is a change with its sign always shown: "+30 MB", "−52 MB".
func signed(n int64) string {
	if n > 0 {
		return "+" + human(n)
	}
	if n == 0 {
		return "0 B"
	}
	return human(n)
}

// signedExact is signed with exact bytes: "−52,000,000".
func signedExact(n int64) string {
	switch {
	case n > 0:
		return "+" + humanize.Comma(n)
	case n < 0:
		return minus + humanize.Comma(-n)
	}
	return "0"
}

// knownHuman renders a size that may be analyze.Unknown.
func knownHuman(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return human(n)
}

// knownBoth renders a size that may be analyze.Unknown, with exact bytes.
func knownBoth(n int64) string {
	if n < 0 {
		return "unknown (the source holds layers uncompressed)"
	}
	return both(n)
}

// percent renders a share of a whole with one decimal ("12.3%").
func percent(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + "%"
}

// signedPercent renders a relative change ("−82.8%", "+4.0%").
func signedPercent(p float64) string {
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64) + "%"
	switch {
	case p > 0:
		return "+" + s
	case p < 0:
		return minus + s
	}
	return s
}

// countNoun is "1 file", "12,345 files".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return humanize.Comma(int64(n)) + " " + noun + "s"
}

// oneLine folds a free-form text (a RUN script, a finding detail) onto one
// line: runs of spaces and tabs become one space, and what is left that a
// terminal or a renderer would obey (newlines, ESC, BEL, bidi overrides)
// becomes a visible escape (model.Visible), so a hostile value cannot
// break a table row.
func oneLine(s string) string {
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

// visiblePath shows a path with its control characters escaped
// (model.Visible), keeping every other character: paths are evidence and
// must stay recognisable.
func visiblePath(p string) string {
	if p == "" || p == "." {
		return "/"
	}
	return "/" + model.Visible(p)
}

// stepLabel names a step by number and instruction: "#3 RUN make".
func stepLabel(img *analyze.Image, step, width int) string {
	if step < 0 || img == nil || step >= len(img.Steps) {
		return "—"
	}
	return model.Shorten(fmt.Sprintf("#%d %s", step, oneLine(img.Steps[step].Instruction.String())), width)
}

// categoryName is a category as reports call it: unflagged is "other".
func categoryName(c analyze.Category) string {
	if c == "" {
		return string(analyze.Other)
	}
	return string(c)
}

// budgetFigure renders a budget's actual value or limit in its unit.
func budgetFigure(unit string, v float64) string {
	switch unit {
	case "bytes":
		return both(int64(v))
	case "percent":
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case "count":
		return humanize.Comma(int64(v))
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}

// headline states a comparison in one sentence, from B's point of view.
func headline(c *analyze.Comparison, a, b string) string {
	d := c.Delta
	switch {
	case c.Identical:
		return fmt.Sprintf("%s and %s have the same layers: ΔS = 0", b, a)
	case d.Size > 0:
		return fmt.Sprintf("%s is %s smaller than %s (%s)", b, human(d.Size), a, signedPercent(-d.Percent))
	case d.Size < 0:
		return fmt.Sprintf("%s is %s larger than %s (%s)", b, human(-d.Size), a, signedPercent(-d.Percent))
	}
	return fmt.Sprintf("%s has the same content size as %s (ΔS = 0)", b, a)
}

// decompositionLine is ΔS as one line whose terms add up exactly to it;
// format renders each amount (human sizes for reading, exact bytes for
// checking).
func decompositionLine(d analyze.Decomposition, format func(int64) string) string {
	var b strings.Builder
	b.WriteString("ΔS " + format(d.Total) + " =")
	for i, t := range d.Terms {
		switch {
		case i == 0 && t.Bytes >= 0:
			b.WriteString(" ")
		case t.Bytes >= 0:
			b.WriteString(" + ")
		default:
			b.WriteString(" " + minus + " ")
		}
		b.WriteString(t.Name + " " + format(abs(t.Bytes)))
	}
	if len(d.Terms) == 0 {
		b.WriteString(" 0")
	}
	b.WriteString(" " + minus + " ε " + format(d.Epsilon))
	return b.String()
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// configList renders an exec-form list as JSON-like text, as docker
// inspect shows it.
func configList(xs []string) string {
	if len(xs) == 0 {
		return "(not set)"
	}
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// userOf shows the config user, saying when it is root by default.
func userOf(u string) string {
	if u == "" {
		return "(not set: root)"
	}
	return u
}
