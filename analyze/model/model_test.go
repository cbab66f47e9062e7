package model

import (
	"strings"
	"testing"
)

func TestWidthAndShorten(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width int
	}{
		{"", 0},
		{"app/server", 10},
		{"データ", 6},        // katakana: two columns each
		{"設定.json", 9},    // CJK ideographs, then ASCII
		{"🚀x", 3},         // an emoji takes two
		{"café", 4},       // precomposed é
		{"cafe\u0301", 4}, // e + combining acute: the mark takes none
		{"…", 1},          // ambiguous width: narrow, whatever the locale
	} {
		if got := Width(tc.s); got != tc.width {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.width)
		}
	}
	for _, tc := range []struct {
		s     string
		width int
		want  string
	}{
		{"app/server", 10, "app/server"},
		{"app/server", 9, "app/serv…"},
		{"app/server", 0, "a…"}, // at least two columns
		// A wide character is never split: the cut leaves one column
		// unused rather than overflow.
		{"app/データ/設定", 10, "app/デー…"},
		{"app/データ/設定", 9, "app/デー…"},
		{"app/データ/設定", 8, "app/デ…"},
		{"🚀🚀🚀", 4, "🚀…"},
		{"🚀🚀🚀", 6, "🚀🚀🚀"},
	} {
		got := Shorten(tc.s, tc.width)
		if got != tc.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
		if w := max(tc.width, 2); Width(got) > w {
			t.Errorf("Shorten(%q, %d) = %q is %d columns wide", tc.s, tc.width, got, Width(got))
		}
	}
}

func TestParseCategory(t *testing.T) {
	for _, c := range Categories() {
		if got, err := ParseCategory(string(c)); err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %q, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "compilers", "Build-Tool"} {
		if _, err := ParseCategory(bad); err == nil || !strings.Contains(err.Error(), "build-tool, source, dev-dependency, recommended, cache, vcs, secret, docs, other") {
			t.Errorf("ParseCategory(%q): %v, want an error listing the categories", bad, err)
		}
	}
	if i, ok := CategoryIndex("compilers"); ok || i != -1 {
		t.Errorf("CategoryIndex(unknown) = %d, %v", i, ok)
	}
	if i, ok := CategoryIndex(""); !ok || Categories()[i] != Other {
		t.Errorf("CategoryIndex(\"\") = %d, %v; want Other's", i, ok)
	}
	// Categories returns a copy: changing it changes nothing.
	Categories()[0] = "x"
	if Categories()[0] != BuildTool {
		t.Error("Categories shares its backing array")
	}
}

func TestVisible(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain/path é 日本 🙂", "plain/path é 日本 🙂"},
		{"a\nb\r\tc", `a\nb\r\tc`},
		{"\x1b[31mred\x1b[0m\a", `\x1b[31mred\x1b[0m\x07`},
		{"\x1b]0;title\x07", `\x1b]0;title\x07`},
		{"csi\u009b2J del\x7f nul\x00", `csi\x9b2J del\x7f nul\x00`},
		{"\u202eevil\u202c \u2066iso\u2069 zw\u200bsp \ufeffbom", `\u202eevil\u202c \u2066iso\u2069 zw\u200bsp \ufeffbom`},
		{"line\u2028sep", `line\u2028sep`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{`already\x1b visible`, `already\x1b visible`},
	} {
		got := Visible(c.in)
		if got != c.want {
			t.Errorf("Visible(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := Visible(got); again != got {
			t.Errorf("Visible is not idempotent on %q: %q", got, again)
		}
	}
}

func TestJoinAnd(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{nil, ""},
		{[]string{"gcc"}, "gcc"},
		{[]string{"gcc", "make"}, "gcc and make"},
		{[]string{"gcc", "make", "git"}, "gcc, make and git"},
	} {
		if got := JoinAnd(tc.parts); got != tc.want {
			t.Errorf("JoinAnd(%q) = %q, want %q", tc.parts, got, tc.want)
		}
	}
}
