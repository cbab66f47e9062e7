package budget

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// sizeUnits maps a unit, lower-cased, to its multiplier. SI units are
// powers of 1000 and IEC units powers of 1024, as their standards say:
// "50MB" is 50,000,000 bytes and "50MiB" 52,428,800. A bare "K", "M", "G"
// is SI, like docker's and humanize's.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
	"ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40, "pi": 1 << 50,
}

// sizeSyntax is a plain decimal number and an optional unit; no sign, no
// exponent, no digit separators, so every accepted string means one thing.
var sizeSyntax = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([A-Za-z]*)$`)

// ParseSize parses a byte count: "0", "1234", "50MB" (SI: 50,000,000),
// "50MiB" (IEC: 52,428,800), "1.5GB". Units are case-insensitive. The
// result must be a whole number of bytes ("1.5B" and "0.1KiB" are errors)
// and fit an int64.
func ParseSize(s string) (int64, error) {
	m := sizeSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		if strings.HasSuffix(strings.TrimSpace(s), "%") {
			return 0, fmt.Errorf("size %q: a percentage is not allowed here", s)
		}
		return 0, fmt.Errorf("size %q: want a number and an optional unit, e.g. 50MB (SI), 50MiB (IEC) or 1234 (bytes)", s)
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, kB, MB, GB, TB, PB or KiB, MiB, GiB, TiB, PiB)", s, m[2])
	}
	// Exact decimal arithmetic: 4.1GB is 4,100,000,000, not a float's
	// 4,099,999,999.
	n, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("size %q: bad number", s)
	}
	n.Mul(n, new(big.Rat).SetInt64(mult))
	if !n.IsInt() {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	if !n.Num().IsInt64() {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n.Num().Int64(), nil
}

// Limit is a threshold given either in bytes or as a percentage.
type Limit struct {
	Bytes   int64   `json:"bytes,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	// IsPercent says which of Bytes and Percent holds the limit.
	IsPercent bool `json:"isPercent,omitempty"`
}

// ParseLimit parses a size ("10MB", see ParseSize) or a non-negative
// percentage ("10%", "2.5%"); Limit.IsPercent says which it was.
func ParseLimit(s string) (Limit, error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		p = strings.TrimSpace(p)
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !isPlainDecimal(p) || math.IsInf(v, 0) {
			return Limit{}, fmt.Errorf("percentage %q: want a non-negative number followed by %%, e.g. 10%%", s)
		}
		return Limit{Percent: v, IsPercent: true}, nil
	}
	n, err := ParseSize(t)
	if err != nil {
		return Limit{}, fmt.Errorf("%w, or a percentage such as 10%%", err)
	}
	return Limit{Bytes: n}, nil
}

// isPlainDecimal rejects what ParseFloat accepts but a budget should not:
// signs, exponents, "NaN", "Inf", hex.
func isPlainDecimal(s string) bool {
	m := sizeSyntax.FindStringSubmatch(s)
	return m != nil && m[2] == ""
}

// String formats the limit as it would be written: "10%" or the exact
// byte count.
func (l Limit) String() string {
	if l.IsPercent {
		return strconv.FormatFloat(l.Percent, 'f', -1, 64) + "%"
	}
	return strconv.FormatInt(l.Bytes, 10)
}
