package budget

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseLimit: the size grammar reads config files, flags and
// IMGDIFF_CACHE_MAX_SIZE. What parses is never negative and round-trips
// through its String form; a size with a unit is its number times the
// unit's multiplier.
func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"0", "1234", "50MB", "50MiB", "1.5GB", "4.1GB", "10%", "2.5%", " 7 kb ", "9223372036854775807", "9223372036854775808", "8EiB", "1e3", "-1", "NaN%", "0x10", "1.5B", "100.%", "1,000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLimit(s)
		if err != nil {
			return
		}
		if l.Bytes < 0 || l.Percent < 0 || (l.IsPercent && l.Bytes != 0) || (!l.IsPercent && l.Percent != 0) {
			t.Fatalf("ParseLimit(%q) = %+v", s, l)
		}
		back, err := ParseLimit(l.String())
		if err != nil || back != l {
			t.Fatalf("ParseLimit(%q) = %+v, whose String %q parses as %+v, %v", s, l, l.String(), back, err)
		}
		if l.IsPercent {
			return
		}
		n, err := ParseSize(s)
		if err != nil || n != l.Bytes {
			t.Fatalf("ParseSize(%q) = %d, %v; ParseLimit said %d", s, n, err, l.Bytes)
		}
		// An integer with a unit: the product, checked with the
		// multiplier of the unit as written.
		m := sizeSyntax.FindStringSubmatch(strings.TrimSpace(s))
		if m == nil {
			t.Fatalf("ParseSize(%q) accepted what the syntax refuses", s)
		}
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil {
			mult := sizeUnits[strings.ToLower(m[2])]
			if v != 0 && mult != 0 && (n/mult != v || n%mult != 0) {
				t.Fatalf("ParseSize(%q) = %d, want %d × %d", s, n, v, mult)
			}
		}
	})
}
