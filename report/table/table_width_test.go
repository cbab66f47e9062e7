package table

import (
	"strings"
	"testing"
)

// TestTableDisplayWidth: paths with CJK characters and emoji line up with
// the ASCII ones (a wide character takes two columns), and the fit column
// is shortened by display width, never past the room it has. The expected
// output is written by hand, column by column.
func TestTableDisplayWidth(t *testing.T) {
	cols := []column{{name: "PATH", fit: true}, {name: "SIZE", right: true}}
	rows := [][]string{
		// 45 columns: cut to the 24 columns left of a 30-column width
		// (the minimum), "…" included; 長 (two columns) no longer fits.
		{"app/データ/設定/とても長い名前のファイル.json", "1.2 MB"},
		{"app/🚀/x", "3 kB"},
		{"app/plain", "10 B"},
	}
	tw := &textWriter{width: 30}
	tw.table(cols, rows)
	if err := tw.flush(&strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	sp := strings.Repeat
	want := "" +
		"  PATH" + sp(" ", 19+2+2) + "SIZE\n" +
		"  app/データ/設定/とても…" + sp(" ", 2) + "1.2 MB\n" +
		"  app/🚀/x" + sp(" ", 15+2+2) + "3 kB\n" +
		"  app/plain" + sp(" ", 14+2+2) + "10 B\n"
	if got := tw.buf.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}
