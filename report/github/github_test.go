package github

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/imgdiff/imgdiff/report/view"

	"github.com/imgdiff/imgdiff/report/reporttest"
)

func TestGitHubRoundTrip(t *testing.T) {
	hostile := view.Annotation{RuleID: "r", Level: view.LevelError, Title: "50% of it: gcc, g++\nand more",
		Message: "100% sure: a,b\r\nline two %0A stays literal", File: "dir,with:colon/Docker%file", StartLine: 4, EndLine: 6, Bytes: 10}
	var buf bytes.Buffer
	if err := Write(&buf, []view.Annotation{hostile}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("a command spans lines: %q", out)
	}
	want := "::error file=dir%2Cwith%3Acolon/Docker%25file,line=4,endLine=6,title=50%25 of it%3A gcc%2C g++%0Aand more::100%25 sure: a,b%0D%0Aline two %250A stays literal\n"
	if out != want {
		t.Errorf("got  %q\nwant %q", out, want)
	}
	got := reporttest.ParseCommand(t, strings.TrimSuffix(out, "\n"))
	wantCmd := reporttest.Command{Command: "error", Message: hostile.Message,
		Props: map[string]string{"file": hostile.File, "line": "4", "endLine": "6", "title": hostile.Title}}
	if diff := cmp.Diff(wantCmd, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestGitHubLimitPerLevel(t *testing.T) {
	var anns []view.Annotation
	for i := 0; i < 14; i++ {
		anns = append(anns, view.Annotation{RuleID: "e", Level: view.LevelError, File: "Dockerfile", StartLine: i + 1, Bytes: int64(i), Message: fmt.Sprintf("error %d", i)})
	}
	for i := 0; i < 3; i++ {
		anns = append(anns, view.Annotation{RuleID: "w", Level: view.LevelWarning, File: "Dockerfile", StartLine: 1, Bytes: int64(i), Message: fmt.Sprintf("warning %d", i)})
	}
	for i := 0; i < 12; i++ {
		anns = append(anns, view.Annotation{RuleID: "n", Level: view.LevelNote, File: "Dockerfile", StartLine: 1, Bytes: int64(i), Message: fmt.Sprintf("note %d", i)})
	}
	// 14 errors: 4 left out; 12 notes: 9 shown beside the notice that
	// counts the rest, 3 left out.
	if n := Dropped(anns); n != 7 {
		t.Errorf("GitHubDropped = %d, want 7", n)
	}
	var buf bytes.Buffer
	if err := Write(&buf, anns); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var errors []string
	var summary string
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		c := reporttest.ParseCommand(t, line)
		count[c.Command]++
		if c.Command == "error" {
			errors = append(errors, c.Message)
		}
		if c.Props["title"] == "More findings" {
			summary = c.Message
		}
	}
	if diff := cmp.Diff(map[string]int{"error": 10, "warning": 3, "notice": 10}, count); diff != "" {
		t.Errorf("commands per level (-want +got):\n%s", diff)
	}
	// The largest by bytes: errors 13 down to 4.
	if errors[0] != "error 13" || errors[9] != "error 4" {
		t.Errorf("errors shown: %v", errors)
	}
	if summary != "imgdiff: 4 errors, 3 notices not annotated (GitHub shows 10 per level; the largest by bytes are shown): see the report for all" {
		t.Errorf("summary %q", summary)
	}
	// Within the limits: no summary.
	buf.Reset()
	if err := Write(&buf, anns[14:17]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "More findings") || strings.Count(buf.String(), "\n") != 3 {
		t.Errorf("within limits: %q", buf.String())
	}
}
