package budget

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1234", 1234},
		{"50MB", 50_000_000},
		{"50MiB", 52_428_800},
		{"50mb", 50_000_000},
		{"50 MB", 50_000_000},
		{"50M", 50_000_000},
		{"1.5GB", 1_500_000_000},
		{"4.1GB", 4_100_000_000}, // exact, where float64 math gives 4,099,999,999
		{"1kB", 1000},
		{"1KB", 1000},
		{"1KiB", 1024},
		{"0.5KiB", 512},
		{"2GiB", 2 << 30},
		{"1TB", 1e12},
		{"1PiB", 1 << 50},
		{"12B", 12},
		{" 7 ", 7},
		{"8PiB", 8 << 50},
	}
	for _, c := range good {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "want a number"},
		{"-1MB", "want a number"},
		{"+1MB", "want a number"},
		{"10%", "percentage is not allowed"},
		{"ten", "want a number"},
		{"12 parsecs", `unknown unit "parsecs"`},
		{"50XB", `unknown unit "XB"`},
		{"1e9", "want a number"},
		{"1.5B", "not a whole number of bytes"},
		{"0.1KiB", "not a whole number of bytes"},
		{"1,000", "want a number"},
		{"10000PB", "too large"}, // 10^19 > 2^63
		{"99999999999999999999", "too large"},
		{"1..5MB", "want a number"},
		{".5MB", "want a number"},
	}
	rejects(t, "ParseSize", ParseSize, bad)
}

func TestParseLimit(t *testing.T) {
	good := []struct {
		in   string
		want Limit
		str  string
	}{
		{"10%", Limit{Percent: 10, IsPercent: true}, "10%"},
		{"2.5%", Limit{Percent: 2.5, IsPercent: true}, "2.5%"},
		{"0%", Limit{IsPercent: true}, "0%"},
		{"150 %", Limit{Percent: 150, IsPercent: true}, "150%"},
		{"10MiB", Limit{Bytes: 10 << 20}, "10485760"},
		{"10MB", Limit{Bytes: 10_000_000}, "10000000"},
		{"0", Limit{}, "0"},
	}
	for _, c := range good {
		got, err := ParseLimit(c.in)
		if err != nil || got != c.want || got.String() != c.str {
			t.Errorf("ParseLimit(%q) = %+v (%s), %v; want %+v (%s)", c.in, got, got, err, c.want, c.str)
		}
	}
	bad := []struct{ in, msg string }{
		{"-3%", "non-negative number followed by %"},
		{"x%", "non-negative number followed by %"},
		{"%", "non-negative number followed by %"},
		{"NaN%", "non-negative number followed by %"},
		{"Inf%", "non-negative number followed by %"},
		{"1e2%", "non-negative number followed by %"},
		{"0x10%", "non-negative number followed by %"},
		{"5 apples", "or a percentage such as 10%"},
	}
	rejects(t, "ParseLimit", ParseLimit, bad)
}

// rejects checks that parse (named name) fails on each bad input with an
// error containing its msg.
func rejects[T any](t *testing.T, name string, parse func(string) (T, error), bad []struct{ in, msg string }) {
	t.Helper()
	for _, c := range bad {
		if got, err := parse(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s(%q) = %+v, %v; want an error containing %q", name, c.in, got, err, c.msg)
		}
	}
}
