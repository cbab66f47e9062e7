package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/imgdiff/imgdiff/analyze"
	"github.com/imgdiff/imgdiff/report"
)

// Render writes a report to ios.Out in format f and, when
// $GITHUB_STEP_SUMMARY names a file, appends its Markdown rendering there
// too (GitHub shows it on the job's summary page). It returns
// ErrBudgetFailed, after writing everything, when a budget failed: the
// report must reach the user before the exit code says why.
func Render(ios *IOStreams, f report.Format, write func(io.Writer, report.Format) error, budgets *analyze.BudgetReport) error {
	var out bytes.Buffer
	if err := write(&out, f); err != nil {
		return err
	}
	if _, err := ios.Out.Write(out.Bytes()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if p := ios.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := appendStepSummary(p, f, out.Bytes(), write); err != nil {
			return err
		}
	}
	if budgets != nil && !budgets.Pass {
		return ErrBudgetFailed
	}
	return nil
}

func appendStepSummary(path string, f report.Format, rendered []byte, write func(io.Writer, report.Format) error) error {
	md := rendered
	if f != report.Markdown {
		var b bytes.Buffer
		if err := write(&b, report.Markdown); err != nil {
			return err
		}
		md = b.Bytes()
	}
	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	if _, err := file.Write(append(md, '\n')); err != nil {
		file.Close()
		return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
	}
	return file.Close()
}
