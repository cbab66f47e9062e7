package comparecmd

import (
	"context"
	"testing"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/report"
)

func TestFlags(t *testing.T) {
	ios, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdCompare(ios, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"a:1", "b:2", "-o", "markdown", "--top", "3", "--all-files", "--allow-platform-mismatch",
		"--platform", "linux/arm64", "--no-cache", "-j", "4", "--min-savings", "30%", "--max-category", "build-tool=0"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.RefA != "a:1" || got.RefB != "b:2" || got.Output.Format != report.Markdown || got.Top != 3 || !got.AllFiles ||
		!got.AllowPlatformMismatch || got.Source.Platform != "linux/arm64" || !got.Source.NoCache || got.Source.Jobs != 4 {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{{"a:1"}, {"a:1", "b:2", "-o", "yaml"}, {"a:1", "b:2", "--top", "x"}} {
		cmd := NewCmdCompare(ios, func(context.Context, *Options) error { return nil })
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.ExecuteContext(context.Background()); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
