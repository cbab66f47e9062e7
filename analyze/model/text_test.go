package model

import "testing"

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
