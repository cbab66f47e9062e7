package comparecmd

import (
	"testing"

	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
	"github.com/imgdiff/imgdiff/report"
)

func TestFlags(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdCompare, "a:1", "b:2", "-o", "markdown", "--top", "3", "--all-files", "--allow-platform-mismatch",
		"--platform", "linux/arm64", "--no-cache", "-j", "4", "--min-savings", "30%", "--max-category", "build-tool=0")
	if err != nil {
		t.Fatal(err)
	}
	if got.RefA != "a:1" || got.RefB != "b:2" || got.Output.Format != report.Markdown || got.Top != 3 || !got.AllFiles ||
		!got.AllowPlatformMismatch || got.Source.Platform != "linux/arm64" || !got.Source.NoCache || got.Source.Jobs != 4 {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{{"a:1"}, {"a:1", "b:2", "-o", "yaml"}, {"a:1", "b:2", "--top", "x"}} {
		if _, err := cmdtest.Parse(NewCmdCompare, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
