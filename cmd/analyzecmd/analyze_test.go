package analyzecmd

import (
	"testing"

	"github.com/imgdiff/imgdiff/cmd/cmdutil/cmdtest"
	"github.com/imgdiff/imgdiff/report"
)

func TestFlags(t *testing.T) {
	got, err := cmdtest.Parse(NewCmdAnalyze, "docker://r/app:1", "-o", "json", "--top", "5", "--insecure", "-v", "--max-size", "1GB")
	if err != nil {
		t.Fatal(err)
	}
	if got.Ref != "docker://r/app:1" || got.Output.Format != report.JSON || got.Top != 5 || !got.Source.Insecure || !got.Source.Verbose {
		t.Errorf("options %+v", got)
	}
	if _, err := cmdtest.Parse(NewCmdAnalyze, "a:1", "b:1"); err == nil {
		t.Error("two images accepted")
	}
}
