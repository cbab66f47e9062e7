package analyzecmd

import (
	"context"
	"testing"

	"github.com/imgdiff/imgdiff/cmd/cmdutil"
	"github.com/imgdiff/imgdiff/report"
)

func TestFlags(t *testing.T) {
	ios, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdAnalyze(ios, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"docker://r/app:1", "-o", "json", "--top", "5", "--insecure", "-v", "--max-size", "1GB"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Ref != "docker://r/app:1" || got.Output.Format != report.JSON || got.Top != 5 || !got.Source.Insecure || !got.Source.Verbose {
		t.Errorf("options %+v", got)
	}
	cmd = NewCmdAnalyze(ios, func(context.Context, *Options) error { return nil })
	cmd.SetArgs([]string{"a:1", "b:1"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.ExecuteContext(context.Background()); err == nil {
		t.Error("two images accepted")
	}
}
