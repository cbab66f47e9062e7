package report

import (
	"fmt"
	"io"

	"github.com/imgdiff/imgdiff/report/github"
	"github.com/imgdiff/imgdiff/report/sarif"
	"github.com/imgdiff/imgdiff/report/view"
)

// imgdiffTool is the tool SARIF names.
var imgdiffTool = sarif.Tool{Name: "imgdiff", InformationURI: "https://github.com/imgdiff/imgdiff"}

// writeAnnotations writes the view's annotations as SARIF (with the
// Dockerfile checks as its rules) or workflow commands, and tells o.Note
// what it could not place on a line, or left out.
func (o Options) writeAnnotations(w io.Writer, f Format, anns []view.Annotation, pl view.Placement) error {
	if n := pl.Note(string(f)); n != "" && o.Note != nil {
		o.Note(n)
	}
	if len(anns) == 0 && o.Note != nil {
		o.Note("-o " + string(f) + ": nothing to annotate (no finding, no failed budget)")
	}
	if f == SARIF {
		return sarif.Write(w, imgdiffTool, view.DockerfileRules(), anns)
	}
	if dropped := github.Dropped(anns); dropped > 0 && o.Note != nil {
		o.Note(fmt.Sprintf("-o github: %d %s left out (GitHub shows %d per level and step; the largest by bytes are written, and a notice says so)", dropped, view.Plural(dropped, "annotation"), github.PerLevel))
	}
	return github.Write(w, anns)
}
