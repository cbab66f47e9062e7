package dpkg

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStanzas(t *testing.T) {
	// Hand-written: a CRLF line, a comment, a paragraph break of white
	// space alone, continuation lines, and two malformed lines (one a
	// continuation of a malformed line, which is outside a field too).
	in := "Package: a\r\nVersion: 1\n# a comment\nDescription: short\n long\n\tlonger\n \t \nPackage: b\nnot a field\n continued\nBad Key: x\nStatus: install ok installed\n\n\n"
	var bad []string
	got := ParseStanzas([]byte(in), func(line int, why string) { bad = append(bad, fmt.Sprintf("%d %s", line, why)) })
	want := []Stanza{
		{"Package": "a", "Version": "1", "Description": "short\nlong\nlonger"},
		{"Package": "b", "Status": "install ok installed"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stanzas (-want +got):\n%s", d)
	}
	wantBad := []string{`9 not a "Field: value" line`, "10 continuation line outside a field", `11 not a "Field: value" line`}
	if d := cmp.Diff(wantBad, bad); d != "" {
		t.Errorf("malformed lines (-want +got):\n%s", d)
	}
	if got := ParseStanzas([]byte(" x\nPackage: c\n"), nil); len(got) != 1 || got[0]["Package"] != "c" {
		t.Errorf("without bad: %v, want the stanza after the bad line", got)
	}
}

func TestInstalled(t *testing.T) {
	for status, want := range map[string]bool{
		"install ok installed": true, "hold ok installed": true, "": true,
		"deinstall ok config-files": false, "install ok half-installed": false, "installed": false,
	} {
		if got := Installed(status); got != want {
			t.Errorf("Installed(%q) = %v, want %v", status, got, want)
		}
	}
}
